import { APIConnectionError, APIError } from 'openai';
import { abortError } from './abort.js';

/** A server's Retry-After longer than this is not waited for (the SDKs back off instead). */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Whether a failed request is tried again, as the openai SDK decides: a connection error or a timeout;
 * 408, 409, 429 and 5xx unless the server says otherwise (`x-should-retry`).
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof APIConnectionError) return true;
  if (!(error instanceof APIError) || error.status === undefined) return false;
  const says = error.headers?.get('x-should-retry');
  if (says === 'true') return true;
  if (says === 'false') return false;
  return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
}

/**
 * How long to wait before retry number `retry + 1`: what the server asked for (`retry-after-ms`,
 * `Retry-After` in seconds or as a date) when under a minute, else the SDK's backoff (0.5 s doubling up
 * to 8 s, less up to a quarter of jitter).
 */
export function retryDelayMs(error: unknown, retry: number): number {
  const asked = error instanceof APIError ? requestedDelay(error.headers) : undefined;
  if (asked !== undefined && asked >= 0 && asked < MAX_RETRY_AFTER_MS) return asked;
  const backoff = Math.min(0.5 * 2 ** retry, 8);
  return backoff * (1 - Math.random() * 0.25) * 1000;
}

function requestedDelay(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (!Number.isNaN(ms)) return ms;
  const after = headers?.get('retry-after');
  if (!after) return undefined;
  const seconds = Number.parseFloat(after);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

/**
 * Waits `ms` between two attempts; an abort ends the wait at once (rejecting with the AbortError) and
 * clears its timer, so an aborted call leaves nothing to keep the process alive. (The SDK's own wait
 * between retries cannot be interrupted: OpenAILLM retries itself.)
 */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
