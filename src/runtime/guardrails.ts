import { z } from 'zod';
import type { GuardrailVerdict } from '../../machines/task.machine.js';
import { askModel } from '../executor/ask-model.js';
import { parseStructuredOutput } from '../executor/structured-output.js';
import type { Guardrail, GuardrailResult } from '../guardrail.js';
import type { ChatMessage } from '../llm/types.js';
import { TaskOutput, type TaskOutputData } from '../outputs.js';
import { addUsage, emptyUsage, type UsageMetrics } from '../usage.js';
import { oneLine } from '../verbose.js';
import type { RunAgent, RunEnv, RunTask } from './run-env.js';

/** The answer a string guardrail's judge is asked for (every field required: strict-mode friendly). */
const judgement = z.object({ valid: z.boolean(), feedback: z.string() });
/** How the judge's answer is read: a valid verdict may come without feedback. */
const lenientJudgement = z.object({ valid: z.boolean(), feedback: z.string().nullish() });

type Step = { ok: true; output: TaskOutput } | { ok: false; error: string };

/**
 * Runs a task's guardrails in order, each on the previous one's result (SPEC §6.1); the first failure
 * stops the chain. The task machine re-runs the whole chain, from the first guardrail, on every new
 * answer of the agent. A string guardrail is judged by `judge`'s model.
 */
export async function runGuardrails(
  env: RunEnv,
  task: RunTask,
  judge: RunAgent,
  draft: TaskOutputData,
  signal: AbortSignal,
): Promise<GuardrailVerdict> {
  let output = new TaskOutput(draft);
  let usage = emptyUsage();
  const count = (more: UsageMetrics) => (usage = addUsage(usage, more));
  for (const guardrail of task.task.guardrails) {
    // The chain stops with the run: no guardrail starts after it was stopped.
    signal.throwIfAborted();
    const step =
      typeof guardrail === 'string'
        ? await judgeWithModel(env, guardrail, output, task, judge, signal, count)
        : await applyFunction(guardrail, output, task, signal);
    if (!step.ok) return { ok: false, error: step.error, rejected: output.raw, usage };
    output = step.output;
  }
  return { ok: true, output: output.toData(), usage };
}

/** A function guardrail; one that throws (or returns something unreadable) fails with that message. */
async function applyFunction(
  guardrail: Exclude<Guardrail, string>,
  output: TaskOutput,
  task: RunTask,
  signal: AbortSignal,
): Promise<Step> {
  try {
    return interpret(await guardrail(output), output, task);
  } catch (error) {
    if (signal.aborted) throw error;
    return { ok: false, error: textOf(error) };
  }
}

function interpret(result: GuardrailResult, output: TaskOutput, task: RunTask): Step {
  if (Array.isArray(result) && (result[0] === true || result[0] === false)) {
    return result[0] ? transformed(result[1], output, task) : failure(result[1]);
  }
  if (result !== null && typeof result === 'object' && 'ok' in result) {
    if (result.ok === true) return transformed(result.value, output, task);
    if (result.ok === false) return failure(result.error);
  }
  return {
    ok: false,
    error: `A guardrail must return [true, value], [false, error], { ok: true, value? } or { ok: false, error } (got ${describe(result)})`,
  };
}

function failure(error: unknown): Step {
  return { ok: false, error: textOf(error) || 'The guardrail rejected the output without saying why' };
}

/**
 * What a passing guardrail's value does to the output:
 * - `undefined` / `null` (and `{ ok: true }` without a value): the output stays as it is;
 * - a `TaskOutput` replaces the output, as it is;
 * - a string replaces `raw`; with an `outputSchema` it is parsed again and `parsed` / `json` are re-derived
 *   from it (without a schema they are cleared). A string that does not match the schema fails the
 *   guardrail with the schema's error;
 * - any other value (an object, an array, a number…) is, when the task has an `outputSchema`, taken as
 *   the new *parsed* value: it is validated against the schema, `parsed` / `json` become the validated
 *   value and `raw` its JSON (a value that does not match fails the guardrail). Without a schema it is
 *   ignored and the output stays as it is, as in crewAI: return a string to change the text.
 */
function transformed(value: unknown, output: TaskOutput, task: RunTask): Step {
  if (value === undefined || value === null) return { ok: true, output };
  if (value instanceof TaskOutput) return { ok: true, output: value };
  const schema = task.task.outputSchema;
  const base = { ...output.toData(), parsed: undefined, json: undefined };
  if (typeof value === 'string') {
    if (!schema) return { ok: true, output: new TaskOutput({ ...base, raw: value }) };
    const parsed = parseStructuredOutput(value, schema);
    if (!parsed.ok) {
      return { ok: false, error: `The guardrail's result does not match the output schema: ${parsed.error}` };
    }
    return {
      ok: true,
      output: new TaskOutput({ ...base, raw: value, parsed: parsed.value, json: parsed.json }),
    };
  }
  if (!schema) return { ok: true, output };
  const checked = schema.safeParse(value);
  if (!checked.success) {
    return {
      ok: false,
      error: `The guardrail's value does not match the output schema:\n${z.prettifyError(checked.error)}`,
    };
  }
  const data: unknown = checked.data;
  return {
    ok: true,
    output: new TaskOutput({
      ...base,
      raw: JSON.stringify(data) ?? String(data),
      parsed: data,
      json: isPlainObject(data) ? data : undefined,
    }),
  };
}

/** How many answers a string guardrail's judge gives before an unreadable verdict fails the guardrail. */
const JUDGE_ANSWERS = 3;

/**
 * A string guardrail: the judge agent's model is asked, in a call of its own with `responseFormat`
 * `{ valid, feedback }`, whether the output complies with the rule. The call is made like the agent
 * loop's (`askModel`: rate limit, `llm.request` / `llm.delta` / `llm.response` events) and its tokens
 * count in the task's usage. An answer that is no verdict is sent back to the judge with what is wrong
 * (as a structured task's answer is), up to 3 answers: how to write JSON is the judge's business, never
 * the feedback the task's agent gets.
 * A judge that fails (model error, no readable verdict) fails the guardrail, as crewAI does.
 */
async function judgeWithModel(
  env: RunEnv,
  rule: string,
  output: TaskOutput,
  task: RunTask,
  judge: RunAgent,
  signal: AbortSignal,
  count: (usage: UsageMetrics) => void,
): Promise<Step> {
  let messages = judgeMessages(rule, output.raw);
  const source = { runId: env.runId, agentId: judge.id, taskId: task.task.id };
  try {
    for (let answers = 1; ; answers++) {
      const request = { messages, responseFormat: { name: 'guardrail_result', schema: judgement } };
      const { response, usage } = await askModel(env, judge, source, request, signal);
      count(usage);
      const text = response.content ?? '';
      const verdict = parseStructuredOutput(text, lenientJudgement);
      if (verdict.ok) {
        if (verdict.value.valid) return { ok: true, output };
        const feedback = verdict.value.feedback?.trim();
        return { ok: false, error: feedback || `The output does not comply with the guardrail: ${rule}` };
      }
      if (answers === JUDGE_ANSWERS) {
        return {
          ok: false,
          error: `Error while validating the task output: the guardrail's judge gave no verdict in ${answers} answers (its last: ${excerpt(text)})`,
        };
      }
      messages = [
        ...messages,
        { role: 'assistant', content: text },
        { role: 'user', content: verdict.error },
      ];
    }
  } catch (error) {
    if (signal.aborted) throw error;
    return { ok: false, error: `Error while validating the task output: ${textOf(error)}` };
  }
}

/** A model's answer quoted in an error: its start, on one line. */
function excerpt(text: string): string {
  const line = oneLine(text, 121);
  return line === '' ? 'an empty answer' : JSON.stringify(line);
}

function judgeMessages(rule: string, raw: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You are Guardrail Agent. Your goal: validate the output of a task.\n' +
        'You are an expert at validating the output of a task against a rule. You judge only whether the ' +
        'output complies with the rule; you never rewrite it.',
    },
    {
      role: 'user',
      content:
        'Ensure the following task result complies with the given guardrail.\n\n' +
        `Task result:\n${raw}\n\n` +
        `Guardrail:\n${rule}\n\n` +
        'Your task:\n' +
        '- Confirm whether the task result complies with the guardrail.\n' +
        '- If it does not, give clear feedback on what is wrong (for example by how much it breaks the ' +
        'rule, or which part fails). Point out the issues only; do not propose a corrected result.\n' +
        '- If it complies, say that it is valid.\n\n' +
        'Answer with only a JSON object: {"valid": boolean, "feedback": string}.',
    },
  ];
}

function textOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return describe(error);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
