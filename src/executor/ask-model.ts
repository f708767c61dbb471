import type { LLMRequest, LLMResponse } from '../llm/types.js';
import type { RunAgent, RunEnv } from '../runtime/run-env.js';
import { usageOfResponse, type UsageMetrics } from '../usage.js';

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
    env.emit({ type: 'llm.request', ...source, model, messages: request.messages, toolNames });
  }
  const onDelta = env.wantsDeltas
    ? (delta: string) => env.emit({ type: 'llm.delta', ...source, delta })
    : undefined;
  const response = await agent.llm.call({ ...request, signal, ...(onDelta ? { onDelta } : {}) });
  const usage = usageOfResponse(response.usage);
  // A model that answers after the call was given up (its deadline passed) is not reported.
  if (env.observed && !signal.aborted) {
    const { content, toolCalls } = response;
    env.emit({ type: 'llm.response', ...source, model, content, ...(toolCalls ? { toolCalls } : {}), usage });
  }
  return { response, usage };
}
