import { inCallbackOf } from '../errors.js';
import { writeOutputFile } from '../output-file.js';
import { TaskOutput, type TaskOutputData } from '../outputs.js';
import { runLabel, type RunEnv, type RunTask } from './run-env.js';

/**
 * What happens once a task's output is accepted (SPEC §5.8): the task's callback, then the crew's
 * (once when they are the same function), then the output file, then the `task.completed` event.
 */
export async function completeTask(
  env: RunEnv,
  task: RunTask,
  data: TaskOutputData,
  signal: AbortSignal,
): Promise<TaskOutputData> {
  const output = recordOutput(env, task, data);
  const { callback } = task.task;
  if (callback) await inCallbackOf(`The callback of task '${runLabel(task)}'`, () => callback(output));
  // Each step waits for the one before: once the run is stopped, none of the rest is started.
  signal.throwIfAborted();
  const { taskCallback } = env;
  if (taskCallback && taskCallback !== callback) {
    await inCallbackOf(`The crew's taskCallback of task '${runLabel(task)}'`, () => taskCallback(output));
  }
  signal.throwIfAborted();
  if (task.outputFile) {
    await writeOutputFile(task.outputFile, output, { createDirectory: task.task.createDirectory });
  }
  signal.throwIfAborted();
  announceCompleted(env, task, output);
  // What the callbacks made of the output (crewAI passes the object itself on) is what the crew records.
  return output.toData();
}

/** The same for a task with no callback and no output file: nothing to wait for. */
export function completeTaskAtOnce(env: RunEnv, task: RunTask, data: TaskOutputData): void {
  announceCompleted(env, task, recordOutput(env, task, data));
}

function recordOutput(env: RunEnv, task: RunTask, data: TaskOutputData): TaskOutput {
  const output = new TaskOutput(data);
  task.task.output = output;
  env.outputs.set(task.task.id, output);
  return output;
}

function announceCompleted(env: RunEnv, task: RunTask, output: TaskOutput): void {
  if (env.observed) env.emit({ type: 'task.completed', runId: env.runId, taskId: task.task.id, output });
}
