import type { ErrorData } from '../../machines/types.js';
import {
  CrewAbortedError,
  GuardrailError,
  InterpolationError,
  OutputParsingError,
  StatecrewError,
  TaskExecutionError,
} from '../errors.js';
import type { RunEnv } from './run-env.js';

/** Errors that already say what went wrong to the user; anything else is wrapped in TaskExecutionError. */
const PASSED_THROUGH = [GuardrailError, OutputParsingError, CrewAbortedError, InterpolationError];

/**
 * The error a failed run rejects with: the live error the actors' data points to when the run still
 * holds it (so its class and cause survive), else one rebuilt from the data.
 */
export function runFailure(env: RunEnv, failure: { taskId?: string; error: ErrorData }): Error {
  const live = failure.error.ref ? env.errors.get(failure.error.ref) : undefined;
  const error = live instanceof Error ? live : rebuild(failure.error);
  if (PASSED_THROUGH.some((kind) => error instanceof kind)) return error;
  if (!failure.taskId) return error;
  const task = env.tasks.get(failure.taskId);
  const label = task?.task.label ?? failure.taskId;
  return new TaskExecutionError(failure.taskId, `Task '${label}' failed: ${error.message}`, { cause: error });
}

function rebuild(data: ErrorData): Error {
  if (data.code === 'guardrail_failed') return new GuardrailError(data.message);
  if (data.code === 'output_parsing_failed') return new OutputParsingError(data.message);
  if (data.code) return Object.assign(new StatecrewError(data.code, data.message), { name: data.name });
  return Object.assign(new Error(data.message), { name: data.name });
}
