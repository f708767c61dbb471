import type { ChatMessage, ToolCall } from './llm/types.js';
import type { CrewOutput, TaskOutput } from './outputs.js';
import type { UsageMetrics } from './usage.js';

/** One step of an agent's loop, given to `stepCallback` and carried by `agent.step` events. */
export type AgentStep =
  | {
      kind: 'answer';
      agentId: string;
      role: string;
      taskId?: string;
      content: string | null;
      toolCalls?: ToolCall[];
    }
  | { kind: 'tool_call'; agentId: string; role: string; taskId?: string; call: ToolCall }
  | {
      kind: 'tool_result';
      agentId: string;
      role: string;
      taskId?: string;
      call: ToolCall;
      result: string;
      isError: boolean;
    };

interface RunEvent {
  runId: string;
}
interface TaskEvent extends RunEvent {
  taskId: string;
}
interface AgentEvent extends RunEvent {
  agentId: string;
  taskId?: string;
}

/** Everything `crew.stream()` emits, in order, as a discriminated union on `type`. */
export type CrewEvent =
  | (RunEvent & {
      type: 'crew.started';
      crewName: string;
      process: 'sequential' | 'hierarchical';
      inputs: Record<string, unknown>;
    })
  | (TaskEvent & { type: 'task.started'; name: string; agentId: string })
  | (AgentEvent & { type: 'agent.step'; step: AgentStep })
  | (AgentEvent & { type: 'llm.request'; model: string; messages: ChatMessage[]; toolNames: string[] })
  | (AgentEvent & { type: 'llm.delta'; delta: string })
  | (AgentEvent & {
      type: 'llm.response';
      model: string;
      content: string | null;
      toolCalls?: ToolCall[];
      usage: UsageMetrics;
    })
  | (AgentEvent & { type: 'tool.called'; call: ToolCall })
  | (AgentEvent & { type: 'tool.result'; call: ToolCall; result: string; isError: boolean; cached: boolean })
  | (AgentEvent & {
      type: 'delegation.sent';
      kind: 'delegate_work' | 'ask_question';
      requestId: string;
      to: string;
      request: string;
    })
  | (AgentEvent & {
      type: 'delegation.replied';
      kind: 'delegate_work' | 'ask_question';
      requestId: string;
      from: string;
      reply: string;
    })
  | (TaskEvent & { type: 'guardrail.failed'; error: string; retry: number; maxRetries: number })
  | (TaskEvent & { type: 'human.input.requested'; round: number; output: TaskOutput })
  | (TaskEvent & { type: 'task.completed'; output: TaskOutput })
  | (TaskEvent & { type: 'task.skipped'; output: TaskOutput })
  | (TaskEvent & { type: 'task.failed'; error: Error })
  | (RunEvent & { type: 'crew.completed'; output: CrewOutput })
  | (RunEvent & { type: 'crew.failed'; error: Error });

export type CrewEventType = CrewEvent['type'];
