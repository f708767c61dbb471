import type { TaskOutput } from './outputs.js';

/**
 * What a function guardrail returns. Success may transform the output: a string replaces `raw` (parsed
 * again when the task has an `outputSchema`), a `TaskOutput` replaces the output, another value is
 * taken as the new parsed value when the task has an `outputSchema` (ignored without one), and nothing
 * keeps the output. A failure's error is sent to the agent, which answers again.
 */
export type GuardrailResult =
  | [true, string | TaskOutput | unknown]
  | [false, string]
  // As the tuple: a string, a TaskOutput, or (with an outputSchema) the new parsed value.
  | { ok: true; value?: unknown }
  | { ok: false; error: string };

/**
 * A function that judges a task's output, or a sentence the task agent's model judges it against.
 * A function that throws fails the guardrail with the thrown message. `T` is the type of the output's
 * `parsed` value: a task with an `outputSchema` types its guardrails with the schema's output type.
 * @example
 * const short: Guardrail = (output) =>
 *   output.raw.length <= 280 ? [true, output.raw.trim()] : [false, 'Keep it under 280 characters'];
 * const positive: Guardrail<{ score: number }> = (output) =>
 *   (output.parsed?.score ?? 0) > 0 ? [true, output] : [false, 'The score must be positive'];
 */
export type Guardrail<T = unknown> =
  string | ((output: TaskOutput<T>) => GuardrailResult | Promise<GuardrailResult>);
