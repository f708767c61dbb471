import { ExecutionTimeoutError } from '../errors.js';

/** setTimeout's longest delay (about 24.8 days); a later deadline re-arms the timer until it is reached. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Calls `fire` once the absolute `deadline` (ms since epoch) has passed — at once when it already has —
 * and returns a function that cancels it.
 */
function atDeadline(deadline: number, fire: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) fire();
    else timer = setTimeout(arm, Math.min(remaining, MAX_DELAY));
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Runs `work` with a signal that aborts when the caller's does or when the absolute `deadline`
 * (ms since epoch) passes; the deadline rejects with ExecutionTimeoutError. Deadlines are absolute so
 * they survive a checkpoint and resume.
 */
export async function withDeadline<T>(
  deadline: number | null,
  signal: AbortSignal,
  describe: () => string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  // A run stopped before the work began (while a step callback ran, say) does not start it.
  signal.throwIfAborted();
  if (deadline === null) return work(signal);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let cancel: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    cancel = atDeadline(deadline, () => {
      const error = new ExecutionTimeoutError(describe());
      controller.abort(error);
      reject(error);
    });
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    cancel?.();
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Rejects with ExecutionTimeoutError once the absolute `deadline` passes (at once when it already has);
 * never resolves. When `signal` aborts first (the waiting actor was stopped) the timer is cleared and
 * the promise is left pending, so nothing holds the process open.
 */
export function expireAt(deadline: number, signal: AbortSignal, describe: () => string): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) return;
    let cancel = () => {};
    const stop = () => cancel();
    signal.addEventListener('abort', stop, { once: true });
    cancel = atDeadline(deadline, () => {
      signal.removeEventListener('abort', stop);
      reject(new ExecutionTimeoutError(describe()));
    });
  });
}
