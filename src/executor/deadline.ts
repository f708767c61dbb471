import { ExecutionTimeoutError } from '../errors.js';

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
  if (deadline === null) return work(signal);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const fire = () => {
      const error = new ExecutionTimeoutError(describe());
      controller.abort(error);
      reject(error);
    };
    const remaining = deadline - Date.now();
    if (remaining <= 0) fire();
    else timer = setTimeout(fire, remaining);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
