import { z } from 'zod';
import type { GuardrailVerdict } from '../../machines/task.machine.js';
import { parseStructuredOutput } from '../executor/structured-output.js';
import type { Guardrail, GuardrailResult } from '../guardrail.js';
import { TaskOutput, type TaskOutputData } from '../outputs.js';
import { addUsage, emptyUsage, usageOfResponse, type UsageMetrics } from '../usage.js';
import type { RunAgent, RunEnv, RunTask } from './run-env.js';

const judgement = z.object({ valid: z.boolean(), feedback: z.string() });

type Step = { ok: true; output: TaskOutput } | { ok: false; error: string };

/**
 * Runs a task's guardrails in order, each on the previous one's result (SPEC §6.1). A function's
 * success may replace the raw text (re-parsed for structured output) or the whole output; a string
 * guardrail is judged by the agent's model. The first failure stops the chain.
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
  for (const guardrail of task.task.guardrails) {
    const step = await applyGuardrail(
      guardrail,
      output,
      task,
      judge,
      signal,
      (u) => (usage = addUsage(usage, u)),
    );
    if (!step.ok) return { ok: false, error: step.error, usage };
    output = step.output;
  }
  return { ok: true, output: output.toData(), usage };
}

async function applyGuardrail(
  guardrail: Guardrail,
  output: TaskOutput,
  task: RunTask,
  judge: RunAgent,
  signal: AbortSignal,
  count: (usage: UsageMetrics) => void,
): Promise<Step> {
  try {
    if (typeof guardrail === 'string') return await judgeWithModel(guardrail, output, judge, signal, count);
    return interpret(await guardrail(output), output, task);
  } catch (error) {
    if (signal.aborted) throw error;
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function interpret(result: GuardrailResult, output: TaskOutput, task: RunTask): Step {
  if (Array.isArray(result)) {
    return result[0] === true
      ? transformed(result[1], output, task)
      : { ok: false, error: String(result[1]) };
  }
  if (result && typeof result === 'object' && 'ok' in result) {
    return result.ok ? transformed(result.value, output, task) : { ok: false, error: result.error };
  }
  return {
    ok: false,
    error: `A guardrail must return [ok, value] or { ok, ... } (got ${JSON.stringify(result)})`,
  };
}

function transformed(value: unknown, output: TaskOutput, task: RunTask): Step {
  if (value instanceof TaskOutput) return { ok: true, output: value };
  if (typeof value !== 'string') return { ok: true, output };
  const next = new TaskOutput({ ...output.toData(), raw: value });
  const schema = task.task.outputSchema;
  if (!schema) return { ok: true, output: next };
  const parsed = parseStructuredOutput(value, schema);
  if (!parsed.ok)
    return { ok: false, error: `The guardrail's result does not match the output schema: ${parsed.error}` };
  next.parsed = parsed.value;
  next.json = parsed.json;
  return { ok: true, output: next };
}

async function judgeWithModel(
  rule: string,
  output: TaskOutput,
  judge: RunAgent,
  signal: AbortSignal,
  count: (usage: UsageMetrics) => void,
): Promise<Step> {
  const response = await judge.llm.call({
    messages: [
      {
        role: 'system',
        content: 'You are a guardrail agent: an expert at validating the output of a task against a rule.',
      },
      {
        role: 'user',
        content: `Ensure the following task result complies with the given guardrail.\n\nTask result:\n${output.raw}\n\nGuardrail:\n${rule}\n\nAnswer with JSON {"valid": boolean, "feedback": string}; when it does not comply, the feedback says what to fix.`,
      },
    ],
    responseFormat: { name: 'guardrail_result', schema: judgement },
    signal,
  });
  count(usageOfResponse(response.usage));
  const verdict = parseStructuredOutput(response.content ?? '', judgement);
  if (!verdict.ok) return { ok: false, error: `Error while validating the task output: ${verdict.error}` };
  return verdict.value.valid ? { ok: true, output } : { ok: false, error: verdict.value.feedback };
}
