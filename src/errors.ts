import { BRAND, isInstance } from './brand.js';

/** Base of every error statecrew throws; `code` is stable and meant for programs. */
export class StatecrewError extends Error {
  static readonly [BRAND]: string = 'StatecrewError';
  readonly code: string;

  /** `instanceof` holds for an error of another copy of statecrew too (the CommonJS build beside ESM). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An error of a user's observer (an `onEvent` listener, an inspector) that must not stop the run: thrown
 * again outside it, as rxjs and XState report an observer's error (the process's uncaughtException).
 */
export function reportLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

/**
 * A user's callback threw: code `callback_failed`, the message says whose (`subject`, e.g. "The
 * stepCallback of agent 'Writer'"), `cause` is what it threw. A crew-level callback (`beforeKickoff`,
 * `afterKickoff`) fails the kickoff with it; a task's and a step's fail their task (TaskExecutionError).
 */
export async function inCallbackOf<T>(subject: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw callbackError(subject, error);
  }
}

function callbackError(subject: string, error: unknown): StatecrewError {
  const message = error instanceof Error ? error.message : String(error);
  return new StatecrewError('callback_failed', `${subject} failed: ${message}`, { cause: error });
}

/** The same for a crew-level callback, by name (`beforeKickoff`). */
export const inCallback = <T>(name: string, call: () => T | Promise<T>): Promise<T> =>
  inCallbackOf(`The crew's ${name} callback`, call);

export const callbackFailed = (name: string, error: unknown): StatecrewError =>
  callbackError(`The crew's ${name} callback`, error);

export type CrewValidationCode =
  | 'missing_agent_in_task'
  | 'missing_manager_llm_or_manager_agent'
  | 'manager_agent_in_agents'
  | 'manager_agent_with_tools'
  | 'async_task_count'
  | 'only_conditional_tasks'
  | 'invalid_first_task'
  | 'invalid_async_conditional_task'
  | 'async_context_dependency'
  | 'future_context_dependency'
  | 'invalid_output_file'
  | 'invalid_guardrail'
  | 'empty_crew'
  | 'duplicate_id'
  | 'human_input_unavailable'
  | 'invalid_option';

/** Bad configuration, thrown by constructors (crew-wide checks by `new Crew`). */
export class CrewValidationError extends StatecrewError {
  static override readonly [BRAND]: string = 'CrewValidationError';
  declare readonly code: CrewValidationCode;

  constructor(code: CrewValidationCode, message: string) {
    super(code, message);
  }
}

export class InterpolationError extends StatecrewError {
  static override readonly [BRAND]: string = 'InterpolationError';
  declare readonly code: 'missing_input' | 'invalid_input';
  readonly key: string;

  constructor(code: 'missing_input' | 'invalid_input', key: string, message: string) {
    super(code, message);
    this.key = key;
  }
}

/** A task's guardrails kept failing; `taskId` names the task when the error comes from a run. */
export class GuardrailError extends StatecrewError {
  static override readonly [BRAND]: string = 'GuardrailError';
  declare readonly code: 'guardrail_failed';
  readonly taskId?: string;

  constructor(message: string, options?: { cause?: unknown; taskId?: string }) {
    super('guardrail_failed', message, options);
    if (options?.taskId !== undefined) this.taskId = options.taskId;
  }
}

/** A structured answer never matched its schema; `taskId` names the task when the error comes from a run. */
export class OutputParsingError extends StatecrewError {
  static override readonly [BRAND]: string = 'OutputParsingError';
  declare readonly code: 'output_parsing_failed';
  readonly taskId?: string;

  constructor(message: string, options?: { cause?: unknown; taskId?: string }) {
    super('output_parsing_failed', message, options);
    if (options?.taskId !== undefined) this.taskId = options.taskId;
  }
}

/** A task failed after its retries; `cause` is the original error. */
export class TaskExecutionError extends StatecrewError {
  static override readonly [BRAND]: string = 'TaskExecutionError';
  declare readonly code: 'task_failed';
  readonly taskId: string;

  constructor(taskId: string, message: string, options?: { cause?: unknown }) {
    super('task_failed', message, options);
    this.taskId = taskId;
  }
}

/** The run was aborted through its signal; `cause` is the signal's reason, when it gave one. */
export class CrewAbortedError extends StatecrewError {
  static override readonly [BRAND]: string = 'CrewAbortedError';
  declare readonly code: 'aborted';

  constructor(message = 'The crew run was aborted', options?: { cause?: unknown }) {
    super('aborted', message, options);
  }
}

/** The error of a run aborted by `signal`, carrying the signal's reason (a shutdown, a timeout…). */
export function abortedBy(signal: AbortSignal | undefined): CrewAbortedError {
  const reason: unknown = signal?.reason;
  return new CrewAbortedError(undefined, reason === undefined ? undefined : { cause: reason });
}

/** The model's answer took longer than the agent's `maxExecutionTime`. Not retried. */
export class ExecutionTimeoutError extends StatecrewError {
  static override readonly [BRAND]: string = 'ExecutionTimeoutError';
  declare readonly code: 'execution_timeout';

  constructor(message: string) {
    super('execution_timeout', message);
  }
}

/** An error the model provider returned (HTTP status, malformed body, dropped connection). */
export class LLMError extends StatecrewError {
  static override readonly [BRAND]: string = 'LLMError';
  declare readonly code: 'llm_error';
  readonly status?: number;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('llm_error', message, options);
    this.status = options?.status;
  }
}
