import type { ModelCallInput, ModelTurn } from '../../machines/agent-loop.js';
import { servedTask, type WorkRequest } from '../../machines/types.js';
import { LLMError } from '../errors.js';
import { isToolsUnsupportedError } from '../llm/tool-support.js';
import type { ChatMessage, LLM, LLMRequest, LLMResponse, ToolCall, ToolDefinition } from '../llm/types.js';
import { getRun, runAgent, runTask, type RunAgent, type RunEnv } from '../runtime/run-env.js';
import { askModel, type ModelCallSource } from './ask-model.js';
import { withDeadline } from './deadline.js';
import { jobTools } from './job-tools.js';
import { MANAGER_REQUEST_EXPECTATION, systemMessage, taskMessage } from './prompts.js';
import { parseReAct, reactToolInstructions } from './react.js';
import { notifyStep } from './steps.js';

/**
 * Models that refused tools: every agent on one of them uses the ReAct text protocol from then on, in
 * this run and later ones (a model that cannot call tools will not learn to), as crewAI falls back when a
 * provider rejects native tool calling. Keyed by the model object, which an agent keeps across kickoffs.
 */
const refusedTools = new WeakSet<LLM>();

/**
 * One model call of an agent's loop: the opening prompt when the loop has no conversation yet, rate
 * limit, deadline, events, and the ReAct reading of the reply.
 */
export async function callModel(input: ModelCallInput, signal: AbortSignal): Promise<ModelTurn> {
  const env = getRun(input.runId);
  const agent = runAgent(env, input.agentId);
  const source = sourceOf(input, agent);
  // The coworkers' answers to the last round's delegations are that round's last tool results.
  for (const { call, result, isError } of input.delegated ?? []) {
    await notifyStep(env, agent, source.taskId, { kind: 'tool_result', call, result, isError });
  }
  const { definitions } = jobTools(
    env,
    agent,
    input.work.taskId,
    input.work.kind === 'task',
    input.work.chain,
  );
  const describe = () =>
    `Agent '${agent.role}' exceeded its maxExecutionTime of ${agent.agent.maxExecutionTime} ms`;
  const sent = await withDeadline(input.deadline, signal, describe, async (callSignal) => {
    const react = usesReAct(agent);
    const request = requestFor(env, agent, input, definitions, react);
    try {
      return { react, request, ...(await askModel(env, agent, source, request, callSignal)) };
    } catch (error) {
      // Only a request that offered tools falls back, and only once: the retry offers none.
      if (!request.tools || !isToolsUnsupportedError(error)) throw error;
      fallBackToReAct(agent, error as Error);
      const retry = requestFor(env, agent, input, definitions, true);
      return { react: true, request: retry, ...(await askModel(env, agent, source, retry, callSignal)) };
    }
  });
  const { react, request, response, usage } = sent;
  // An empty answer is no answer: retried while the agent's maxRetryLimit lasts, as crewAI does.
  if (!(response.content ?? '').trim() && (input.final || !response.toolCalls?.length)) {
    throw new LLMError(`Model '${agent.llm.model}' gave an empty answer (no text and no tool calls)`);
  }
  const turn = react
    ? reactTurn(response, input.final, request.messages.length)
    : nativeTurn(response, input.final);
  await notifyStep(env, agent, source.taskId, {
    kind: 'answer',
    content: response.content,
    toolCalls: turn.toolCalls,
  });
  // The loop keeps the conversation as it was sent (its opening prompt, a system message rewritten for ReAct).
  return { ...turn, usage, ...(request.messages !== input.messages ? { sent: request.messages } : {}) };
}

function usesReAct(agent: RunAgent): boolean {
  return agent.llm.supportsFunctionCalling === false || refusedTools.has(agent.llm);
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
    input.work.structured && input.work.taskId && !reactActing
      ? env.tasks.get(input.work.taskId)?.task.outputSchema
      : undefined;
  // A conversation begun for native tools also teaches ReAct after a fallback.
  const messages =
    input.messages.length === 0
      ? openingMessages(env, agent, input.work, react ? definitions : null)
      : react && refusedTools.has(agent.llm)
        ? withReActTools(input.messages, definitions)
        : input.messages;
  return {
    messages,
    ...(offered.length > 0 ? { tools: offered } : {}),
    ...(schema ? { responseFormat: { name: 'task_output', schema } } : {}),
  };
}

function sourceOf(input: ModelCallInput, agent: RunAgent): ModelCallSource {
  const taskId = servedTask(input.work);
  return { runId: input.runId, agentId: agent.id, ...(taskId ? { taskId } : {}) };
}

/** The model said it cannot use tools: its agents talk ReAct from now on, and the process says so once. */
function fallBackToReAct(agent: RunAgent, error: Error): void {
  // Another call to the same model may have been refused meanwhile (async tasks): one warning.
  if (refusedTools.has(agent.llm)) return;
  refusedTools.add(agent.llm);
  process.emitWarning(
    `${error.message} — agent '${agent.role}' and every agent on model '${agent.llm.model}' switch to ` +
      `the ReAct text protocol from now on. Set supportsFunctionCalling: false on this model to skip ` +
      `the refused request.`,
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

/** The system and user messages a loop begins with: who the agent is, and the task or the coworker's request. */
function openingMessages(
  env: RunEnv,
  agent: RunAgent,
  work: WorkRequest,
  reactTools: ToolDefinition[] | null,
): ChatMessage[] {
  const task = work.kind === 'task' && work.taskId ? runTask(env, work.taskId) : undefined;
  const prompt = task
    ? {
        description: task.description,
        expectedOutput: task.expectedOutput,
        context: work.context,
        markdown: task.task.markdown,
        structured: work.structured,
        // A ReAct agent's requests may not carry the schema as a response format: the prompt does.
        ...(reactTools && task.task.outputSchema ? { schema: task.task.outputSchema } : {}),
      }
    : { description: work.request ?? '', expectedOutput: MANAGER_REQUEST_EXPECTATION, context: work.context };
  return [systemMessage(agent, reactTools), taskMessage(prompt)];
}

function reactTurn(response: LLMResponse, final: boolean, sent: number): Omit<ModelTurn, 'usage'> {
  const text = response.content ?? '';
  const assistant: ChatMessage = { role: 'assistant', content: text };
  const step = parseReAct(text);
  if (step.kind === 'final') return { assistant, content: step.answer, toolCalls: [], protocol: 'react' };
  if (final) return { assistant, content: text, toolCalls: [], protocol: 'react' };
  const call: ToolCall = { id: `react-${sent}`, name: step.tool, arguments: step.input };
  return { assistant, content: null, toolCalls: [call], protocol: 'react' };
}
