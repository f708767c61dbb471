/** The error a caller's abort produces: always named `AbortError`, with the abort reason as `cause`. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('The model request was aborted', { cause: reason });
  error.name = 'AbortError';
  return error;
}

/**
 * Settles as soon as `signal` aborts, even while `work` is still busy (the SDK sleeps between retries
 * without watching the signal); `work` is still told through the signal and closes its request.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
