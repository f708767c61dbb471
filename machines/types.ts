import type { ChatMessage } from '../src/llm/types.js';
import type { TaskOutputData } from '../src/outputs.js';
import type { UsageMetrics } from '../src/usage.js';

/** An error as actors carry it: plain data, so snapshots stay JSON. `ref` finds the live Error in the run. */
export interface ErrorData {
  name: string;
  message: string;
  code?: string;
  ref?: string;
}

/** What a crew machine needs to know about a task: plain data, already interpolated. */
export interface TaskSpec {
  id: string;
  name: string;
  description: string;
  expectedOutput: string;
  /** systemId of the actor that does the work: `agent:<id>` or `manager`. */
  executor: string;
  /**
   * The executor (the manager in a hierarchical crew): its loop runs in the task's own states, and its
   * role is shown on the task's output when the task is skipped.
   */
  agent: AgentSpec;
  async: boolean;
  conditional: boolean;
  /** null: the default context; []: none; else the ids whose outputs make the context. */
  context: string[] | null;
  humanInput: boolean;
  guardrails: number;
  guardrailMaxRetries: number;
  structured: boolean;
  /**
   * Finishing awaits work (a callback or the output file) in an invoked actor; without it the task
   * finishes in the step that accepts its output.
   */
  awaitsCompletion: boolean;
}

export interface AgentSpec {
  id: string;
  role: string;
  maxIter: number;
  maxRetryLimit: number;
  maxExecutionTime?: number;
}

export type WorkKind = 'task' | 'delegate_work' | 'ask_question';

/** A request for an agent to work: a task to run, or a coworker's delegation or question. */
export interface WorkRequest {
  requestId: string;
  kind: WorkKind;
  /** systemId of the actor to answer. */
  replyTo: string;
  /** For delegations: systemId of the task whose loop asked; the answer is passed on to that task. */
  askingTask?: string;
  taskId?: string;
  /** Task context text, or the context a coworker shared. */
  context: string | null;
  /** For delegations: the work or question text. */
  request?: string;
  /** The conversation so far (guardrail retries and human feedback continue it). */
  conversation: ChatMessage[];
  structured: boolean;
  /** systemIds this request must never be delegated to (the chain that led to it). */
  chain: string[];
}

/** The id and systemId of a task's actor, wherever it lives: `task:<id>`. */
export const taskActorId = (taskId: string) => `task:${taskId}`;

/** The task id in a task actor's id (`task:<id>`); undefined for any other actor. */
export function taskIdOfActor(actorId: string): string | undefined {
  return actorId.startsWith('task:') ? actorId.slice('task:'.length) : undefined;
}

/**
 * The task a request works for, for events and tools: its own, or for a coworker's delegated work the
 * task whose loop asked (delegated work still uses the coworker's own tools, not that task's).
 */
export function servedTask(request: { taskId?: string; askingTask?: string }): string | undefined {
  if (request.taskId !== undefined) return request.taskId;
  return request.askingTask === undefined ? undefined : taskIdOfActor(request.askingTask);
}

export interface WorkResult {
  requestId: string;
  kind: WorkKind;
  askingTask?: string;
  agentRole: string;
  answer: string;
  parsed?: unknown;
  json?: Record<string, unknown>;
  messages: ChatMessage[];
  usage: UsageMetrics;
}

export type AgentReply =
  | ({ type: 'agent.result' } & WorkResult)
  | {
      type: 'agent.failed';
      requestId: string;
      kind: WorkKind;
      askingTask?: string;
      error: ErrorData;
      usage: UsageMetrics;
    };

export type TaskOutcome =
  | { status: 'done'; taskId: string; output: TaskOutputData; usage: UsageMetrics }
  | { status: 'skipped'; taskId: string; output: TaskOutputData; usage: UsageMetrics }
  | { status: 'failed'; taskId: string; error: ErrorData; usage: UsageMetrics };

/** The property under which the runtime tags a live Error with its key in the run's error table. */
export const ERROR_REF = 'statecrewRef';

export function errorData(error: unknown): ErrorData {
  const tagged = (error as Record<string, unknown> | null)?.[ERROR_REF];
  const ref = typeof tagged === 'string' ? tagged : undefined;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(ref ? { ref } : {}),
    };
  }
  return { name: 'Error', message: String(error), ...(ref ? { ref } : {}) };
}

/**
 * The output an invoked actor's done event carries, or `fallback` for a bare `{ type }` event (as
 * `xstate/graph` sends when it walks a chart without running anything: SPEC §8).
 */
export function outputOr<T>(event: unknown, fallback: T): T {
  return (event as { output?: T }).output ?? fallback;
}
