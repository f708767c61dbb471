/** The runs waiting on each signal; one `abort` listener per signal calls them all. */
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts (at once, when it already has); the returned function
 * stops waiting. However many runs wait on one signal, the signal gets one listener: a server that
 * passes its shutdown signal to every kickoff would otherwise add one per concurrent run, and past ten
 * Node warns of a possible leak (MaxListenersExceededWarning).
 */
export function whenAborted(signal: AbortSignal | undefined, callback: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    callback();
    return () => {};
  }
  let callbacks = waiting.get(signal);
  if (!callbacks) {
    const all = new Set<() => void>();
    const abort = () => {
      waiting.delete(signal);
      for (const waiter of [...all]) waiter();
    };
    signal.addEventListener('abort', abort, { once: true });
    waiting.set(signal, (callbacks = all));
  }
  const mine = callbacks;
  mine.add(callback);
  return () => mine.delete(callback);
}
