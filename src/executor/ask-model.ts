import { ExecutionTimeoutError, StatecrewError } from '../errors.js';
import type { LLMRequest, LLMResponse } from '../llm/types.js';
import type { RunAgent, RunEnv } from '../runtime/run-env.js';
import { addUsage, emptyUsage, usageOfResponse, type UsageMetrics } from '../usage.js';

/** Who a model call's events name. */
export interface ModelCallSource {
  runId: string;
  agentId: string;
  taskId?: string;
}

/**
 * One request to an agent's model, made as the crew makes every one (the agent loop's and a guardrail
 * judge's): after the agent's rate limit lets it through, announced by `llm.request`, streaming
 * `llm.delta` events when a `stream()` subscriber wants them, and answered by `llm.response` with its usage.
 */
export async function askModel(
  env: RunEnv,
  agent: RunAgent,
  source: ModelCallSource,
  request: LLMRequest,
  signal: AbortSignal,
): Promise<{ response: LLMResponse; usage: UsageMetrics }> {
  const model = agent.llm.model;
  // The event says the request starts: it comes once the rate limiter has let it through.
  await agent.limiter?.acquire(signal);
  if (env.observed) {
    const toolNames = (request.tools ?? []).map((t) => t.name);
    // A copy: a subscriber that edits the event's list does not edit the conversation.
    env.emit({ type: 'llm.request', ...source, model, messages: [...request.messages], toolNames });
  }
  const onDelta = env.wantsDeltas
    ? (delta: string) => env.emit({ type: 'llm.delta', ...source, delta })
    : undefined;
  const failed = (error: unknown) =>
    env.emit({
      type: 'llm.failed',
      ...source,
      model,
      error: error instanceof Error ? error : new Error(String(error)),
    });
  // Out of time (maxExecutionTime): reported when the deadline passes, whether or not the model gives up.
  // Watched only when someone listens: every model call of a run goes through here.
  const onAbort = () => {
    if (signal.reason instanceof ExecutionTimeoutError) failed(signal.reason);
  };
  if (env.observed) signal.addEventListener('abort', onAbort, { once: true });
  let response: LLMResponse;
  try {
    response = checkedResponse(
      model,
      await agent.llm.call({ ...request, signal, ...(onDelta ? { onDelta } : {}) }),
    );
  } catch (error) {
    // A call the run stopped is not reported (the run's end says why; a timeout was, above).
    if (env.observed && !signal.aborted) failed(error);
    throw error;
  } finally {
    if (env.observed) signal.removeEventListener('abort', onAbort);
  }
  const usage = usageOfResponse(response.usage);
  const task = source.taskId ?? '';
  env.usageByTask.set(task, addUsage(env.usageByTask.get(task) ?? emptyUsage(), usage));
  // A model that answers after the call was given up (its deadline passed) is not reported.
  if (env.observed && !signal.aborted) {
    const { content, toolCalls } = response;
    env.emit({ type: 'llm.response', ...source, model, content, ...(toolCalls ? { toolCalls } : {}), usage });
  }
  return { response, usage };
}

/**
 * A hand-written model that resolves to something else than an `LLMResponse` (a bare string, nothing)
 * fails the task at once with `invalid_llm_response`: retrying a programming error would not help.
 */
function checkedResponse(model: string, response: unknown): LLMResponse {
  const r = response as Partial<LLMResponse> | null | undefined;
  if (typeof r !== 'object' || r === null) throw invalidResponse(model, response);
  const calls = r.toolCalls;
  // No content at all is an answer only when the model calls tools (`{ text }` would be an empty answer).
  const content =
    r.content === null || typeof r.content === 'string' || (r.content === undefined && !!calls?.length);
  const ok = content && (calls === undefined || Array.isArray(calls));
  if (!ok) throw invalidResponse(model, response);
  const bad = calls?.findIndex((call) => !isToolCall(call)) ?? -1;
  if (bad >= 0) {
    throw new StatecrewError(
      'invalid_llm_response',
      `Model '${model}': toolCalls[${bad}] must be { id: string, name: string, arguments: string } (JSON text) (got ${shown(calls![bad])})`,
    );
  }
  return calls && calls.length > 1 ? withUniqueCallIds(r as LLMResponse) : (r as LLMResponse);
}

/**
 * Each tool call's result is matched to it by id: a provider that gives two calls of one response the
 * same id (or none, filled alike) would have one result stand for both, and one delegation's answer lost.
 * A repeated id gets a suffix (`call_1~2`), in the assistant message that goes back to the model too.
 */
function withUniqueCallIds(response: LLMResponse): LLMResponse {
  const seen = new Set<string>();
  let changed = false;
  const toolCalls = response.toolCalls!.map((call) => {
    let id = call.id;
    for (let n = 2; seen.has(id); n++) id = `${call.id}~${n}`;
    seen.add(id);
    if (id === call.id) return call;
    changed = true;
    return { ...call, id };
  });
  return changed ? { ...response, toolCalls } : response;
}

function isToolCall(call: unknown): boolean {
  const c = call as Partial<Record<'id' | 'name' | 'arguments', unknown>> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.id === 'string' &&
    typeof c.name === 'string' &&
    typeof c.arguments === 'string'
  );
}

function invalidResponse(model: string, response: unknown): StatecrewError {
  return new StatecrewError(
    'invalid_llm_response',
    `Model '${model}': call() must resolve to { content: string | null, toolCalls?, usage? } (got ${shown(response)})`,
  );
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return JSON.stringify(value).slice(0, 80);
  return `a ${typeof value}`;
}
