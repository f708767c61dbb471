import type { ErrorData } from '../../machines/types.js';
import {
  CrewAbortedError,
  GuardrailError,
  InterpolationError,
  OutputParsingError,
  StatecrewError,
  TaskExecutionError,
} from '../errors.js';
import { runLabel, type RunEnv } from './run-env.js';

/** Errors that already say what went wrong to the user; anything else is wrapped in TaskExecutionError. */
const PASSED_THROUGH = [CrewAbortedError, InterpolationError];

/**
 * The error a failed run rejects with: the live error the actors' data points to when the run still
 * holds it (so its class and cause survive), else one rebuilt from the data. A task's failure names
 * the task (`taskId`, and its label in the message).
 */
export function runFailure(env: RunEnv, failure: { taskId?: string; error: ErrorData }): Error {
  const live = failure.error.ref ? env.errors.get(failure.error.ref) : undefined;
  const error = live instanceof Error ? live : rebuild(failure.error);
  if (PASSED_THROUGH.some((kind) => error instanceof kind) || !failure.taskId) return error;
  const taskId = failure.taskId;
  const run = env.tasks.get(taskId);
  const label = run ? runLabel(run) : taskId;
  const named = (message: string) =>
    message.includes(`Task '${label}'`) ? message : `Task '${label}': ${message}`;
  if (error instanceof GuardrailError || error instanceof OutputParsingError) {
    const Kind = error instanceof GuardrailError ? GuardrailError : OutputParsingError;
    return new Kind(named(error.message), {
      taskId,
      ...(error.cause === undefined ? {} : { cause: error.cause }),
    });
  }
  return new TaskExecutionError(taskId, `Task '${label}' failed: ${error.message}`, { cause: error });
}

function rebuild(data: ErrorData): Error {
  if (data.code === 'guardrail_failed') return new GuardrailError(data.message);
  if (data.code === 'output_parsing_failed') return new OutputParsingError(data.message);
  if (data.code) return Object.assign(new StatecrewError(data.code, data.message), { name: data.name });
  return Object.assign(new Error(data.message), { name: data.name });
}
