import type { TaskOutput } from './outputs.js';

export type GuardrailResult =
  | [true, string | TaskOutput | unknown]
  | [false, string]
  | { ok: true; value?: string | TaskOutput }
  | { ok: false; error: string };

/** A function that judges a task's output, or a sentence the agent's model judges it against. */
export type Guardrail = string | ((output: TaskOutput) => GuardrailResult | Promise<GuardrailResult>);
