import type { ModelCallInput, ModelTurn } from '../../machines/agent-job.machine.js';
import { isToolsUnsupportedError } from '../llm/tool-support.js';
import type { ChatMessage, LLM, LLMRequest, LLMResponse, ToolCall, ToolDefinition } from '../llm/types.js';
import { getRun, runAgent, type RunAgent, type RunEnv } from '../runtime/run-env.js';
import { usageOfResponse } from '../usage.js';
import { withDeadline } from './deadline.js';
import { jobTools } from './job-tools.js';
import { parseReAct, reactToolInstructions } from './react.js';
import { notifyStep } from './steps.js';

/**
 * Agents (as one run sees them) whose model refused tools: they use the ReAct text protocol for the rest
 * of the run, as crewAI falls back when a provider rejects native tool calling.
 */
const refusedTools = new WeakSet<RunAgent>();
/** Models already warned about: a process warns once per model object. */
const warned = new WeakSet<LLM>();

/** One model call of an agent's loop: rate limit, deadline, events, and the ReAct reading of the reply. */
export async function callModel(input: ModelCallInput, signal: AbortSignal): Promise<ModelTurn> {
  const env = getRun(input.runId);
  const agent = runAgent(env, input.agentId);
  const { definitions } = jobTools(env, agent, input.taskId, input.delegates);
  const describe = () =>
    `Agent '${agent.role}' exceeded its maxExecutionTime of ${agent.agent.maxExecutionTime} ms`;
  const { react, response } = await withDeadline(input.deadline, signal, describe, async (callSignal) => {
    const react = usesReAct(agent);
    const request = requestFor(env, agent, input, definitions, react);
    try {
      return { react, response: await send(env, agent, input, request, callSignal) };
    } catch (error) {
      // Only a request that offered tools falls back, and only once: the retry offers none.
      if (!request.tools || !isToolsUnsupportedError(error)) throw error;
      fallBackToReAct(env, agent, error as Error);
      const retry = requestFor(env, agent, input, definitions, true);
      return { react: true, response: await send(env, agent, input, retry, callSignal) };
    }
  });
  const usage = usageOfResponse(response.usage);
  if (env.observed) {
    env.emit({
      type: 'llm.response',
      ...eventBase(env, agent, input),
      model: agent.llm.model,
      content: response.content,
      toolCalls: response.toolCalls,
      usage,
    });
  }
  const turn = react ? reactTurn(response, input) : nativeTurn(response, input.final);
  await notifyStep(env, agent, input.taskId, {
    kind: 'answer',
    content: response.content,
    toolCalls: turn.toolCalls,
  });
  return { ...turn, usage };
}

function usesReAct(agent: RunAgent): boolean {
  return agent.llm.supportsFunctionCalling === false || refusedTools.has(agent);
}

function requestFor(
  env: RunEnv,
  agent: RunAgent,
  input: ModelCallInput,
  definitions: ToolDefinition[],
  react: boolean,
): LLMRequest {
  const offered = input.final || react ? [] : definitions;
  // A ReAct model acts in text (Action: …); a JSON-only response format would rule that out, so it is
  // asked for only once no action is possible (no tools, or the forced last call), as crewAI does.
  const reactActing = react && !input.final && definitions.length > 0;
  const schema =
    input.structured && input.taskId && !reactActing
      ? env.tasks.get(input.taskId)?.task.outputSchema
      : undefined;
  // The job's system message was written for native tools; after a fallback it also teaches ReAct.
  const messages =
    react && refusedTools.has(agent) ? withReActTools(input.messages, definitions) : input.messages;
  return {
    messages,
    ...(offered.length > 0 ? { tools: offered } : {}),
    ...(schema ? { responseFormat: { name: 'task_output', schema } } : {}),
  };
}

async function send(
  env: RunEnv,
  agent: RunAgent,
  input: ModelCallInput,
  request: LLMRequest,
  signal: AbortSignal,
): Promise<LLMResponse> {
  const base = eventBase(env, agent, input);
  // The event says the request starts: it comes once the rate limiter has let it through.
  await agent.limiter?.acquire(signal);
  if (env.observed) {
    env.emit({
      type: 'llm.request',
      ...base,
      model: agent.llm.model,
      messages: request.messages,
      toolNames: (request.tools ?? []).map((t) => t.name),
    });
  }
  const onDelta = env.observed
    ? (delta: string) => env.emit({ type: 'llm.delta', ...base, delta })
    : undefined;
  return agent.llm.call({ ...request, signal, ...(onDelta ? { onDelta } : {}) });
}

function eventBase(env: RunEnv, agent: RunAgent, input: ModelCallInput) {
  return { runId: env.runId, agentId: agent.id, ...(input.taskId ? { taskId: input.taskId } : {}) };
}

/** The model said it cannot use tools: this agent talks ReAct for the rest of the run, and says so once. */
function fallBackToReAct(env: RunEnv, agent: RunAgent, error: Error): void {
  refusedTools.add(agent);
  if (warned.has(agent.llm)) return;
  warned.add(agent.llm);
  process.emitWarning(
    `${error.message} — agent '${agent.role}' switches to the ReAct text protocol for the rest of run ` +
      `${env.runId}. Set supportsFunctionCalling: false on this model to skip the refused request.`,
    { code: 'STATECREW_REACT_FALLBACK' },
  );
}

function withReActTools(messages: ChatMessage[], definitions: ToolDefinition[]): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first?.role !== 'system' || definitions.length === 0) return messages;
  const instructions = reactToolInstructions(definitions);
  if (first.content.includes(instructions)) return messages;
  return [{ role: 'system', content: `${first.content}\n${instructions}` }, ...rest];
}

function nativeTurn(response: LLMResponse, final: boolean): Omit<ModelTurn, 'usage'> {
  const toolCalls = final ? [] : (response.toolCalls ?? []);
  const assistant: ChatMessage = toolCalls.length
    ? { role: 'assistant', content: response.content, toolCalls }
    : { role: 'assistant', content: response.content ?? '' };
  return { assistant, content: response.content ?? '', toolCalls, protocol: 'native' };
}

function reactTurn(response: LLMResponse, input: ModelCallInput): Omit<ModelTurn, 'usage'> {
  const text = response.content ?? '';
  const assistant: ChatMessage = { role: 'assistant', content: text };
  const step = parseReAct(text);
  if (step.kind === 'final') return { assistant, content: step.answer, toolCalls: [], protocol: 'react' };
  if (input.final) return { assistant, content: text, toolCalls: [], protocol: 'react' };
  const call: ToolCall = { id: `react-${input.messages.length}`, name: step.tool, arguments: step.input };
  return { assistant, content: null, toolCalls: [call], protocol: 'react' };
}
