import type { Dispatch, ToolRound, ToolRunInput } from '../../machines/agent-job.machine.js';
import { servedTask } from '../../machines/types.js';
import { ExecutionTimeoutError } from '../errors.js';
import type { ToolCall } from '../llm/types.js';
import { getRun, runAgent, type RunAgent, type RunEnv } from '../runtime/run-env.js';
import { toolResultText, type Tool } from '../tool.js';
import { withDeadline } from './deadline.js';
import {
  askQuestionSchema,
  delegateWorkSchema,
  findCoworker,
  isDelegationTool,
  unknownCoworkerMessage,
} from './delegation.js';
import { jobTools } from './job-tools.js';
import { parseRelaxedJson } from './relaxed-json.js';
import { notifyStep } from './steps.js';
import { cacheArguments, cacheKey, canonicalJson, type ToolCache } from './tool-cache.js';

export const REPEATED_CALL_MESSAGE =
  "I tried reusing the same input, I must stop using this action input. I'll try something else instead.";

type Plan =
  | { kind: 'answer'; text: string; isError: boolean; repeated?: true }
  | { kind: 'dispatch'; dispatch: Dispatch }
  /**
   * `args` are what the tool receives (the schema's output); `cacheKey` the crew's cache entry of the call
   * (absent without a cache, or for arguments JSON cannot render); `hit` a cached result, given instead of
   * running the tool.
   */
  | { kind: 'run'; tool: Tool; args: unknown; cacheKey?: string; hit?: string };

/** A call's arguments as JSON (empty text means `{}`), read once per call, or why they are not JSON. */
type ReadArguments = { ok: true; json: unknown } | { ok: false; reason: string };

interface Outcome {
  text: string;
  isError: boolean;
  cached: boolean;
}

/**
 * Runs the tool calls of one model response (SPEC §4.2). Calls are checked in order (unknown tool,
 * bad arguments, a repeat of the call just before, the cache, usage limits), then the runnable ones run
 * concurrently. Delegations are not run here: they come back as dispatches the job sends as events.
 */
export async function runTools(input: ToolRunInput, signal: AbortSignal): Promise<ToolRound> {
  const env = getRun(input.runId);
  const agent = runAgent(env, input.agentId);
  const { tools, coworkers } = jobTools(env, agent, input.taskId, input.requestKind === 'task', input.chain);
  const byName = new Map(tools.map((t) => [t.name, t]));
  const usageCounts = { ...input.usageCounts };
  const read = input.calls.map(readArguments);
  const named = input.calls.map((call) => toolNamed(byName, call.name));
  // By the tool a call names (`Search` and `search` are one call repeated).
  const keys = input.calls.map((call, i) => callKey(named[i]?.name ?? call.name, call, read[i]));
  // Within the batch, a call planned to run is "the call just before" the next one.
  let previous = input.lastCall;
  const plans = input.calls.map((call, i) => {
    const repeated = keys[i] === previous;
    const plan = planCall(call, read[i], named[i], byName, coworkers, usageCounts, repeated, env.cache);
    previous = plan.kind === 'answer' && !plan.repeated ? undefined : keys[i];
    return plan;
  });
  const taskId = servedTask(input);
  for (const call of input.calls) {
    if (env.observed) env.emit({ type: 'tool.called', runId: env.runId, agentId: agent.id, taskId, call });
    await notifyStep(env, agent, taskId, { kind: 'tool_call', call });
  }
  // The run may have been stopped while a step callback ran: then no tool starts.
  signal.throwIfAborted();
  const outcomes = await Promise.all(
    plans.map((plan, i) => settle(env, agent, input, plan, input.calls[i], signal)),
  );
  // A tool that ignored its signal finished after the run stopped: nothing of it is announced.
  signal.throwIfAborted();
  return collect(env, agent, input, plans, outcomes, lastCallOf(plans, outcomes, keys), usageCounts);
}

/**
 * The call the next response's first call must not repeat: the last call of this one, unless it failed
 * (the model may retry a call that errored; a refused repeat still blocks the next repeat). A round has
 * at least one call: the loop runs tools only for a model turn that asked for some (`wantsTools`).
 */
function lastCallOf(plans: Plan[], outcomes: Array<Outcome | null>, keys: string[]): string | undefined {
  const last = plans.length - 1;
  const plan = plans[last];
  const failed =
    (plan.kind === 'answer' && !plan.repeated) || (plan.kind === 'run' && outcomes[last]?.isError !== false);
  return failed ? undefined : keys[last];
}

function readArguments(call: ToolCall): ReadArguments {
  const text = call.arguments.trim();
  try {
    return { ok: true, json: text === '' ? {} : JSON.parse(text) };
  } catch (error) {
    const relaxed = parseRelaxedJson(text);
    return relaxed === undefined
      ? { ok: false, reason: (error as Error).message }
      : { ok: true, json: relaxed };
  }
}

/** Name and arguments of a call; arguments that are JSON compare by value (key order and spacing ignored). */
function callKey(name: string, call: ToolCall, read: ReadArguments): string {
  try {
    if (read.ok) return `${name}:${canonicalJson(read.json)}`;
  } catch {
    // Nested too deep to render again: compared as the model wrote them.
  }
  return `${name}:${call.arguments.trim()}`;
}

function invalidArguments(call: ToolCall, why: string): Plan {
  return { kind: 'answer', text: `Invalid arguments for tool '${call.name}': ${why}`, isError: true };
}

/** The model's arguments checked by a zod schema: its output, or the call's answer naming each issue. */
function checkArguments(
  call: ToolCall,
  read: ReadArguments,
  schema: Tool['schema'],
): { ok: true; value: unknown; raw: unknown } | { ok: false; answer: Plan } {
  if (!read.ok) return { ok: false, answer: invalidArguments(call, `not valid JSON (${read.reason})`) };
  const parsed = schema.safeParse(read.json);
  if (parsed.success) return { ok: true, value: parsed.data, raw: read.json };
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return { ok: false, answer: invalidArguments(call, issues) };
}

function planCall(
  call: ToolCall,
  read: ReadArguments,
  tool: Tool | undefined,
  byName: Map<string, Tool>,
  coworkers: RunAgent[] | null,
  usageCounts: Record<string, number>,
  repeated: boolean,
  cache: ToolCache | undefined,
): Plan {
  // A delegation repeated as it was just sent is refused like any tool's repeat (crewAI checks every tool;
  // it is what stops a manager from sending the same work again and again).
  const repeat = { kind: 'answer', text: REPEATED_CALL_MESSAGE, isError: true, repeated: true } as const;
  if (coworkers && isDelegationTool(call.name))
    return repeated ? repeat : planDelegation(call, read, coworkers);
  if (!tool) {
    const available = [...byName.keys(), ...(coworkers ? ['delegate_work', 'ask_question'] : [])];
    const list = available.length > 0 ? available.join(', ') : '(none)';
    return {
      kind: 'answer',
      text: `Tool '${call.name}' does not exist. Available tools: ${list}`,
      isError: true,
    };
  }
  const args = checkArguments(call, read, tool.schema);
  if (!args.ok) return args.answer;
  if (repeated) return repeat;
  // As in crewAI, the cache is read before the usage limit: a hit runs nothing, so it uses nothing up.
  const key = cache ? cacheKey(tool.name, cacheArguments(args.raw, args.value, tool.schema)) : undefined;
  const hit = key === undefined ? undefined : cache?.get(key);
  if (hit !== undefined) return { kind: 'run', tool, args: args.value, hit };
  const used = usageCounts[tool.name] ?? 0;
  if (tool.maxUsageCount !== undefined && used >= tool.maxUsageCount) {
    return {
      kind: 'answer',
      text: `Tool '${tool.name}' has reached its usage limit of ${tool.maxUsageCount} times and cannot be used anymore.`,
      isError: true,
    };
  }
  usageCounts[tool.name] = used + 1;
  return { kind: 'run', tool, args: args.value, ...(key === undefined ? {} : { cacheKey: key }) };
}

/**
 * The tool a call names: by its exact name, else (a model writing `Action: Web Search` in ReAct, say) by
 * the name compared as crewAI compares it, ignoring case and turning spaces and hyphens into `_`.
 */
function toolNamed(byName: Map<string, Tool>, name: string): Tool | undefined {
  const exact = byName.get(name);
  if (exact) return exact;
  const wanted = looseName(name);
  const loose = [...byName.values()].filter((tool) => looseName(tool.name) === wanted);
  // Two tools that differ only so (`web-search`, `Web_Search`): the call names neither for sure.
  return loose.length === 1 ? loose[0] : undefined;
}

const looseName = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

/** crewAI's delegation tools also take `co_worker` for `coworker`; models that learnt them write it. */
function withCoworker(read: ReadArguments): ReadArguments {
  if (!read.ok || typeof read.json !== 'object' || read.json === null) return read;
  const { co_worker: alias, ...rest } = read.json as Record<string, unknown>;
  return alias === undefined || 'coworker' in rest ? read : { ok: true, json: { ...rest, coworker: alias } };
}

function planDelegation(call: ToolCall, read: ReadArguments, coworkers: RunAgent[]): Plan {
  const schema = call.name === 'delegate_work' ? delegateWorkSchema : askQuestionSchema;
  const checked = checkArguments(call, withCoworker(read), schema);
  if (!checked.ok) return checked.answer;
  const args = checked.value as { task?: string; question?: string; context: string; coworker: string };
  const coworker = findCoworker(coworkers, args.coworker);
  if (!coworker)
    return { kind: 'answer', text: unknownCoworkerMessage(args.coworker, coworkers), isError: true };
  const kind = call.name as Dispatch['kind'];
  return {
    kind: 'dispatch',
    dispatch: {
      callId: call.id,
      kind,
      to: coworker.systemId,
      request: args.task ?? args.question ?? '',
      context: args.context,
    },
  };
}

async function settle(
  env: RunEnv,
  agent: RunAgent,
  input: ToolRunInput,
  plan: Plan,
  call: ToolCall,
  signal: AbortSignal,
): Promise<Outcome | null> {
  if (plan.kind === 'dispatch') return null;
  if (plan.kind === 'answer') return { text: plan.text, isError: plan.isError, cached: false };
  if (plan.hit !== undefined) return { text: plan.hit, isError: false, cached: true };
  let result: unknown;
  let text: string;
  try {
    const describe = () =>
      `Agent '${agent.role}' exceeded its maxExecutionTime while running tool '${call.name}'`;
    result = await withDeadline(input.deadline, signal, describe, (s) =>
      Promise.resolve(
        plan.tool.execute(plan.args, { signal: s, agent: agent.role, task: servedTask(input) }),
      ),
    );
    text = toolResultText(result);
  } catch (error) {
    if (error instanceof ExecutionTimeoutError || signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return { text: `Error executing tool '${call.name}': ${message}`, isError: true, cached: false };
  }
  if (plan.cacheKey !== undefined && shouldCache(plan.tool, plan.args, result))
    env.cache?.set(plan.cacheKey, text);
  return { text, isError: false, cached: false };
}

/** The tool's `cacheFunction` verdict; one that throws keeps the result out of the cache (the result stands). */
function shouldCache(tool: Tool, args: unknown, result: unknown): boolean {
  try {
    return tool.cacheFunction?.(args, result) !== false;
  } catch {
    return false;
  }
}

async function collect(
  env: RunEnv,
  agent: RunAgent,
  input: ToolRunInput,
  plans: Plan[],
  outcomes: Array<Outcome | null>,
  lastCall: string | undefined,
  usageCounts: Record<string, number>,
): Promise<ToolRound> {
  const results: Record<string, string> = {};
  const dispatches: Dispatch[] = [];
  const taskId = servedTask(input);
  let finalAnswer: string | undefined;
  for (const [i, call] of input.calls.entries()) {
    const plan = plans[i];
    const outcome = outcomes[i];
    if (plan.kind === 'dispatch' || !outcome) {
      if (plan.kind === 'dispatch') dispatches.push(plan.dispatch);
      continue;
    }
    results[call.id] = outcome.text;
    if (finalAnswer === undefined && plan.kind === 'run' && plan.tool.resultAsAnswer && !outcome.isError) {
      finalAnswer = outcome.text;
    }
    if (env.observed) {
      env.emit({
        type: 'tool.result',
        runId: env.runId,
        agentId: agent.id,
        taskId,
        call,
        result: outcome.text,
        isError: outcome.isError,
        cached: outcome.cached,
      });
    }
    await notifyStep(env, agent, taskId, {
      kind: 'tool_result',
      call,
      result: outcome.text,
      isError: outcome.isError,
    });
  }
  return {
    results,
    dispatches,
    lastCall,
    usageCounts,
    ...(finalAnswer === undefined ? {} : { finalAnswer }),
  };
}
