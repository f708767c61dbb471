import type { CrewEvent } from '../events.js';
import { CrewAbortedError } from '../errors.js';
import type { RunEnv } from './run-env.js';

const ENDS = new Set<CrewEvent['type']>(['task.completed', 'task.skipped', 'task.failed']);

/**
 * Follows a run's events to know its tasks that started and have not ended; `endOpenTasks` gives each of
 * them its `task.failed` when the run fails or is aborted (they were cancelled with it), so a consumer that
 * tracks tasks by their events never keeps one running for ever. Only for a run someone listens to.
 */
export function trackOpenTasks(env: RunEnv): Set<string> {
  const open = new Set<string>();
  const emit = env.emit.bind(env);
  env.emit = (event) => {
    if (event.type === 'task.started') open.add(event.taskId);
    else if (ENDS.has(event.type)) open.delete((event as { taskId: string }).taskId);
    emit(event);
  };
  return open;
}

export function endOpenTasks(env: RunEnv, open: Set<string>, failure: Error): void {
  const error =
    failure instanceof CrewAbortedError
      ? failure
      : new CrewAbortedError(`Cancelled: the run failed (${failure.message})`, { cause: failure });
  for (const taskId of [...open]) {
    env.emit({ type: 'task.failed', runId: env.runId, taskId, error, cancelled: true });
  }
}
