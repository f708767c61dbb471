// SPEC §2 (maxExecutionTime): the absolute deadlines behind the agent's time limit.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExecutionTimeoutError } from '../../src/index.js';
import { expireAt, withDeadline } from '../../src/executor/deadline.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Follows a promise: `settled` is 'pending' until it settles, then its value or error. */
function track(promise: Promise<unknown>): { settled: unknown } {
  const tracked: { settled: unknown } = { settled: 'pending' };
  promise.then(
    (value) => (tracked.settled = value),
    (error: unknown) => (tracked.settled = error),
  );
  return tracked;
}

describe('expireAt', () => {
  it('rejects with ExecutionTimeoutError (code execution_timeout) when the deadline passes, not before', async () => {
    const expiry = track(expireAt(Date.now() + 500, new AbortController().signal, () => 'too slow'));
    await vi.advanceTimersByTimeAsync(499);
    expect(expiry.settled).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const error = expiry.settled;
    expect(error).toBeInstanceOf(ExecutionTimeoutError);
    expect(error).toMatchObject({ code: 'execution_timeout', message: 'too slow' });
  });

  it('rejects at once for a deadline already past (a restored wait whose time ran out)', async () => {
    const expiry = track(expireAt(Date.now() - 1, new AbortController().signal, () => 'late'));
    await vi.advanceTimersByTimeAsync(0);
    expect(expiry.settled).toBeInstanceOf(ExecutionTimeoutError);
  });

  it('clears its timer when its signal aborts (the waiting actor stopped), and never settles', async () => {
    const controller = new AbortController();
    const expiry = track(expireAt(Date.now() + 500, controller.signal, () => 'never'));
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(expiry.settled).toBe('pending');
  });

  it("waits for a deadline beyond setTimeout's longest delay instead of firing at once", async () => {
    const far = Date.now() + 2 ** 31 + 5_000;
    const expiry = track(expireAt(far, new AbortController().signal, () => 'far'));
    await vi.advanceTimersByTimeAsync(10);
    expect(expiry.settled).toBe('pending');
    await vi.advanceTimersByTimeAsync(far - Date.now());
    expect(expiry.settled).toBeInstanceOf(ExecutionTimeoutError);
  });
});

describe('withDeadline', () => {
  it("does not time out early when the deadline is beyond setTimeout's longest delay", async () => {
    const run = withDeadline(
      Date.now() + 2 ** 31 + 5_000,
      new AbortController().signal,
      () => 'far',
      () => new Promise<string>((resolve) => setTimeout(() => resolve('finished'), 20)),
    );
    await vi.advanceTimersByTimeAsync(20);
    expect(await run).toBe('finished');
    expect(vi.getTimerCount()).toBe(0);
  });
});
