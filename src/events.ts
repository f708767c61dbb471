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
  /** The agent's id (`agent.id`; the manager's id for a hierarchical crew's manager). */
  agentId: string;
  taskId?: string;
}

/**
 * Everything `crew.stream()` emits, in order, as a discriminated union on `type`.
 *
 * Every field that names an agent (`agentId`, `delegation.sent`'s `to`, `delegation.replied`'s `from`)
 * holds the agent's id — what `agent.id` returns — never an actor's systemId or a role, so events join
 * by agent. In a hierarchical crew the manager runs every task: its tasks' `task.started.agentId` is the
 * manager's id.
 */
export type CrewEvent =
  | (RunEvent & {
      type: 'crew.started';
      crewName: string;
      process: 'sequential' | 'hierarchical';
      inputs: Record<string, unknown>;
      /** A run restored from a snapshot (resume): its tasks at work get `task.started` again. */
      resumed?: true;
    })
  | (TaskEvent & {
      type: 'task.started';
      name: string;
      /** Id of the agent that runs the task (the manager's in a hierarchical crew). */
      agentId: string;
    })
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
  /** A request that failed (after the model's own retries): every `llm.request` ends in a response or this. */
  | (AgentEvent & { type: 'llm.failed'; model: string; error: Error })
  | (AgentEvent & { type: 'tool.called'; call: ToolCall })
  | (AgentEvent & { type: 'tool.result'; call: ToolCall; result: string; isError: boolean; cached: boolean })
  | (AgentEvent & {
      type: 'delegation.sent';
      kind: 'delegate_work' | 'ask_question';
      requestId: string;
      /** Id of the coworker agent the request goes to. */
      to: string;
      request: string;
    })
  | (AgentEvent & {
      type: 'delegation.replied';
      kind: 'delegate_work' | 'ask_question';
      requestId: string;
      /** Id of the coworker agent that answered — set also when its work failed (`reply` says why). */
      from: string;
      /** That coworker's role. */
      fromRole: string;
      reply: string;
    })
  /**
   * Every guardrail failure: `retry` is the retry it starts (1 to `maxRetries`), or, when `exhausted`,
   * the retries already spent (the task fails with `GuardrailError` next).
   */
  | (TaskEvent & {
      type: 'guardrail.failed';
      error: string;
      retry: number;
      maxRetries: number;
      exhausted: boolean;
    })
  | (TaskEvent & { type: 'human.input.requested'; round: number; output: TaskOutput })
  | (TaskEvent & { type: 'task.completed'; output: TaskOutput })
  | (TaskEvent & { type: 'task.skipped'; output: TaskOutput })
  /** `cancelled`: the task was at work when the run was aborted or another task failed it. */
  | (TaskEvent & { type: 'task.failed'; error: Error; cancelled?: true })
  | (RunEvent & { type: 'crew.completed'; output: CrewOutput })
  | (RunEvent & { type: 'crew.failed'; error: Error });

export type CrewEventType = CrewEvent['type'];
