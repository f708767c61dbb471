import { abortedBy } from '../errors.js';

/** The runs waiting on each signal, and the one `abort` listener that calls them all. */
const waiting = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

/**
 * Calls `callback` once when `signal` aborts (at once, when it already has); the returned function
 * stops waiting. However many runs wait on one signal, the signal gets one listener: a server that
 * passes its shutdown signal to every kickoff would otherwise add one per concurrent run, and past ten
 * Node warns of a possible leak (MaxListenersExceededWarning). The listener goes when the last waiter
 * stops waiting (Node keeps a timeout or `AbortSignal.any` signal alive while it has a listener).
 */
export function whenAborted(signal: AbortSignal | undefined, callback: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    callback();
    return () => {};
  }
  let entry = waiting.get(signal);
  if (!entry) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      waiting.delete(signal);
      for (const waiter of [...callbacks]) {
        // One waiter that throws does not keep the others from stopping.
        if (callbacks.has(waiter)) callSeparately(waiter);
      }
    };
    signal.addEventListener('abort', listener, { once: true });
    entry = { callbacks, listener };
    waiting.set(signal, entry);
  }
  const mine = entry;
  mine.callbacks.add(callback);
  return () => {
    mine.callbacks.delete(callback);
    if (mine.callbacks.size > 0 || waiting.get(signal) !== mine) return;
    waiting.delete(signal);
    signal.removeEventListener('abort', mine.listener);
  };
}

/** Runs `callback`; what it throws is rethrown on its own, as an event listener's error would be. */
function callSeparately(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * `work`, or `CrewAbortedError` as soon as `signal` aborts: what a run does before it starts (a
 * `beforeKickoff` callback, reading the store) must not hold an abort. The work itself goes on, unawaited.
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const stop = whenAborted(signal, () => reject(abortedBy(signal)));
    work.then(
      (value) => {
        stop();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        reject(error);
      },
    );
  });
}
