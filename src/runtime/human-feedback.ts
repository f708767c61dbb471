import { createInterface } from 'node:readline';
import { TaskOutput, type TaskOutputData } from '../outputs.js';
import type { RunEnv, RunTask } from './run-env.js';

/** Whether a person can answer on this process's terminal. */
export function terminalAvailable(): boolean {
  return Boolean(process.stdin.isTTY);
}

/**
 * Feedback on a task's output (SPEC §6.2): from the crew's handler; else from a prompt on an
 * interactive terminal; else it waits (until stopped) for a `human.feedback` event sent to the crew.
 */
export async function collectHumanFeedback(
  env: RunEnv,
  task: RunTask,
  draft: TaskOutputData,
  round: number,
  signal: AbortSignal,
): Promise<string> {
  const output = new TaskOutput(draft);
  if (env.humanInput) {
    return env.humanInput({ taskId: task.task.id, taskName: task.task.label, output, round });
  }
  if (terminalAvailable()) return promptOnTerminal(task, output, round, signal);
  return new Promise<string>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function promptOnTerminal(
  task: RunTask,
  output: TaskOutput,
  round: number,
  signal: AbortSignal,
): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(
    `\n=== Human feedback needed: ${task.task.label} (round ${round}) ===\n${output.raw}\n` +
      '---\nPress Enter with nothing typed to accept this result, or type what to improve.\n',
  );
  return new Promise<string>((resolve, reject) => {
    const onAbort = () => {
      rl.close();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    rl.question('Feedback> ', (answer) => {
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(answer);
    });
  });
}
