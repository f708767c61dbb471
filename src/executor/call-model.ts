import type { ModelCallInput, ModelTurn } from '../../machines/agent-job.machine.js';
import type { ChatMessage, LLMRequest, LLMResponse, ToolCall } from '../llm/types.js';
import { getRun, runAgent } from '../runtime/run-env.js';
import { usageOfResponse } from '../usage.js';
import { withDeadline } from './deadline.js';
import { jobTools } from './job-tools.js';
import { parseReAct } from './react.js';
import { notifyStep } from './steps.js';

/** One model call of an agent's loop: rate limit, deadline, events, and the ReAct reading of the reply. */
export async function callModel(input: ModelCallInput, signal: AbortSignal): Promise<ModelTurn> {
  const env = getRun(input.runId);
  const agent = runAgent(env, input.agentId);
  const react = agent.llm.supportsFunctionCalling === false;
  const { definitions } = jobTools(env, agent, input.taskId, input.delegates);
  const offered = input.final || react ? [] : definitions;
  // A ReAct model acts in text (Action: …); a JSON-only response format would rule that out, so it is
  // asked for only once no action is possible (no tools, or the forced last call), as crewAI does.
  const reactActing = react && !input.final && definitions.length > 0;
  const schema =
    input.structured && input.taskId && !reactActing
      ? env.tasks.get(input.taskId)?.task.outputSchema
      : undefined;
  const request: LLMRequest = {
    messages: input.messages,
    ...(offered.length > 0 ? { tools: offered } : {}),
    ...(schema ? { responseFormat: { name: 'task_output', schema } } : {}),
  };
  const base = { runId: env.runId, agentId: agent.id, ...(input.taskId ? { taskId: input.taskId } : {}) };
  if (env.observed) {
    env.emit({
      type: 'llm.request',
      ...base,
      model: agent.llm.model,
      messages: input.messages,
      toolNames: offered.map((t) => t.name),
    });
  }
  const describe = () =>
    `Agent '${agent.role}' exceeded its maxExecutionTime of ${agent.agent.maxExecutionTime} ms`;
  const response = await withDeadline(input.deadline, signal, describe, async (callSignal) => {
    await agent.limiter?.acquire(callSignal);
    const onDelta = env.observed
      ? (delta: string) => env.emit({ type: 'llm.delta', ...base, delta })
      : undefined;
    return agent.llm.call({ ...request, signal: callSignal, ...(onDelta ? { onDelta } : {}) });
  });
  const usage = usageOfResponse(response.usage);
  if (env.observed) {
    env.emit({
      type: 'llm.response',
      ...base,
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
