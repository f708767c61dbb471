/** The error a caller's abort produces: always named `AbortError`, with the abort reason as `cause`. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('The model request was aborted', { cause: reason });
  error.name = 'AbortError';
  return error;
}

/**
 * A caller's signal tied to one request's own controller, through one listener: the caller aborting
 * aborts the request (the SDK closes it), and `race(work)` settles at once, even while the SDK sleeps
 * between retries without watching its signal. `close()` unties them.
 */
export class AbortLink {
  /** The request's own controller: the SDK gets its signal; an idle timeout aborts it too. */
  readonly controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  #reject: ((error: Error) => void) | undefined;
  readonly #onAbort = (): void => {
    const caller = this.#caller!;
    this.controller.abort(caller.reason);
    this.#reject?.(abortError(caller));
  };

  constructor(caller: AbortSignal | undefined) {
    this.#caller = caller;
    caller?.addEventListener('abort', this.#onAbort, { once: true });
  }

  race<T>(work: Promise<T>): Promise<T> {
    if (!this.#caller) return work;
    if (this.#caller.aborted) return Promise.reject(abortError(this.#caller));
    const aborted = new Promise<never>((_, reject) => (this.#reject = reject));
    return Promise.race([work, aborted]);
  }

  close(): void {
    this.#caller?.removeEventListener('abort', this.#onAbort);
  }
}
