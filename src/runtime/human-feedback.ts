import { createInterface } from 'node:readline';
import { TaskOutput, type TaskOutputData } from '../outputs.js';
import { runLabel, type RunEnv, type RunTask } from './run-env.js';

/** Whether a person can answer on this process's terminal. */
export function terminalAvailable(): boolean {
  return Boolean(process.stdin.isTTY);
}

/**
 * Feedback on a task's output (SPEC §6.2): from the crew's handler; else from a prompt on an
 * interactive terminal; else it waits (until stopped) for a `human.feedback` event sent to the crew,
 * which the task machine takes while this actor runs. Whichever answers first wins.
 */
export async function collectHumanFeedback(
  env: RunEnv,
  task: RunTask,
  draft: TaskOutputData,
  round: number,
  signal: AbortSignal,
): Promise<string> {
  const output = new TaskOutput(draft);
  const taskName = runLabel(task);
  if (env.humanInput) {
    const request = { taskId: task.task.id, taskName, output, round, signal };
    const feedback: unknown = await env.humanInput(request);
    // A handler that returns nothing accepts the output, like an empty answer.
    return typeof feedback === 'string' ? feedback : feedback == null ? '' : String(feedback);
  }
  if (terminalAvailable()) return promptOnTerminal(taskName, output, round, signal);
  return new Promise<string>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Tasks running at the same time (async tasks) take turns at the terminal: one prompt at a time. */
let terminalTurn: Promise<unknown> = Promise.resolve();

function promptOnTerminal(
  taskName: string,
  output: TaskOutput,
  round: number,
  signal: AbortSignal,
): Promise<string> {
  const answer = terminalTurn.then(() => askOnce(taskName, output, round, signal));
  terminalTurn = answer.catch(() => undefined);
  return answer;
}

const RULE = '─'.repeat(72);

/** What the person sees: which task, the output under review, and how to answer. */
function reviewPrompt(taskName: string, output: TaskOutput, round: number): string {
  const shown = output.json ? JSON.stringify(output.json, null, 2) : output.raw;
  return [
    '',
    RULE,
    `Human feedback needed — task '${taskName}'${round > 1 ? ` (round ${round})` : ''}`,
    RULE,
    shown,
    RULE,
    'Provide feedback on the result above.',
    '  • If you are happy with it, press Enter without typing anything.',
    '  • Otherwise, type what should be improved and press Enter.',
    '  • You can give several rounds of feedback until you are satisfied.',
    '',
  ].join('\n');
}

/** How long a Ctrl-C at the prompt waits for the process to stop the run before it fails the task. */
const INTERRUPT_GRACE_MS = 1_000;

function askOnce(taskName: string, output: TaskOutput, round: number, signal: AbortSignal): Promise<string> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(reviewPrompt(taskName, output, round));
  return new Promise<string>((resolve, reject) => {
    let open = true;
    const closePrompt = () => {
      if (!open) return;
      open = false;
      rl.close();
    };
    let grace: NodeJS.Timeout | undefined;
    const settle = (settleWith: () => void) => {
      clearTimeout(grace);
      signal.removeEventListener('abort', onAbort);
      closePrompt();
      settleWith();
    };
    const onAbort = () => settle(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    // The terminal is in raw mode while readline reads: Ctrl+C reaches us, not the process. Pass it on
    // and let the process decide: the CLI aborts the run, which stops this actor (onAbort) and keeps the
    // checkpoint taken when the task began to wait. Rejecting here would fail the task instead, and the
    // run with it, before the interrupt arrived. Until the run stops, the task waits for a
    // `human.feedback` event, as it does without a terminal — for at most INTERRUPT_GRACE_MS: a program whose
    // own SIGINT handler does not stop the run gets the task failed, rather than waiting for ever.
    rl.on('SIGINT', () => {
      closePrompt();
      process.kill(process.pid, 'SIGINT');
      grace = setTimeout(() => {
        settle(() => reject(new Error(`Interrupted while waiting for feedback on task '${taskName}'`)));
      }, INTERRUPT_GRACE_MS);
    });
    // Ctrl+D (end of input) gives no answer: the task fails rather than being approved by accident.
    rl.on('close', () => {
      if (!open) return;
      settle(() => reject(new Error(`The terminal closed before feedback was given on task '${taskName}'`)));
    });
    rl.question('Feedback> ', (feedback) => settle(() => resolve(feedback)));
  });
}
