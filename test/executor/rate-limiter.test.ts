import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../../src/executor/rate-limiter.js';

/** Records when each acquisition resolves or rejects, in fake time. */
function track(promise: Promise<void>) {
  const state: { settled: 'pending' | 'resolved' | 'rejected'; at?: number; reason?: unknown } = {
    settled: 'pending',
  };
  promise.then(
    () => Object.assign(state, { settled: 'resolved', at: Date.now() }),
    (reason: unknown) => Object.assign(state, { settled: 'rejected', at: Date.now(), reason }),
  );
  return state;
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('RateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'should reject maxRpm %s with a TypeError',
    (max) => {
      expect(() => new RateLimiter(max)).toThrow(TypeError);
    },
  );

  it('should let maxRpm acquisitions through at once', async () => {
    const limiter = new RateLimiter(3);
    const calls = [track(limiter.acquire()), track(limiter.acquire()), track(limiter.acquire())];
    await flush();
    expect(calls.map((c) => c.settled)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should hold the extra caller until the oldest start leaves the 60 s window', async () => {
    const limiter = new RateLimiter(2);
    await limiter.acquire();
    await vi.advanceTimersByTimeAsync(10_000);
    await limiter.acquire();
    const third = track(limiter.acquire());
    await vi.advanceTimersByTimeAsync(49_999);
    expect(third.settled).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(third).toMatchObject({ settled: 'resolved', at: 60_000 });
  });

  it('should slide the window instead of waiting for the next minute', async () => {
    const limiter = new RateLimiter(2);
    await limiter.acquire(); // t=0
    await vi.advanceTimersByTimeAsync(30_000);
    await limiter.acquire(); // t=30s
    const third = track(limiter.acquire());
    const fourth = track(limiter.acquire());
    await vi.advanceTimersByTimeAsync(30_000);
    expect(third).toMatchObject({ settled: 'resolved', at: 60_000 });
    expect(fourth.settled).toBe('pending');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fourth).toMatchObject({ settled: 'resolved', at: 90_000 });
  });

  it('should serve waiters in FIFO order, and never let a newcomer overtake them', async () => {
    const limiter = new RateLimiter(1, { windowMs: 1_000 });
    const order: string[] = [];
    const run = (name: string) => limiter.acquire().then(() => order.push(name));
    void run('a');
    void run('b');
    void run('c');
    await vi.advanceTimersByTimeAsync(1_000);
    void run('d');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('should give a slot that frees before its timer fires to the oldest waiter, not to a newcomer', async () => {
    let clock = 0;
    const limiter = new RateLimiter(1, { windowMs: 1_000, now: () => clock });
    await limiter.acquire();
    const waiting = track(limiter.acquire());
    clock = 1_000; // the window has moved on, but no timer has run yet
    const newcomer = track(limiter.acquire());
    await flush();
    expect(waiting.settled).toBe('resolved');
    expect(newcomer.settled).toBe('pending');
  });

  it('should honour a custom window', async () => {
    const limiter = new RateLimiter(1, { windowMs: 500 });
    await limiter.acquire();
    const next = track(limiter.acquire());
    await vi.advanceTimersByTimeAsync(500);
    expect(next).toMatchObject({ settled: 'resolved', at: 500 });
  });

  it('should read time from an injected clock', async () => {
    let clock = 1_000_000;
    const limiter = new RateLimiter(1, { windowMs: 1_000, now: () => clock });
    await limiter.acquire();
    const next = track(limiter.acquire());
    // The timer fires after 1 s, but the injected clock says no time has passed: keep waiting.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(next.settled).toBe('pending');
    clock += 1_000;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(next.settled).toBe('resolved');
  });

  it('should reject an aborted waiter with the signal reason and let the next one take its place', async () => {
    const limiter = new RateLimiter(1, { windowMs: 1_000 });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = track(limiter.acquire(controller.signal));
    const next = track(limiter.acquire());
    const reason = new Error('cancelled by user');
    controller.abort(reason);
    await flush();
    expect(aborted).toMatchObject({ settled: 'rejected', reason });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(next).toMatchObject({ settled: 'resolved', at: 1_000 });
  });

  it('should reject at once when the signal is already aborted, without taking a slot', async () => {
    const limiter = new RateLimiter(1);
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(limiter.acquire(controller.signal)).rejects.toThrow('too late');
    const ok = track(limiter.acquire());
    await flush();
    expect(ok.settled).toBe('resolved');
  });

  it('should not keep a timer armed when nobody waits', async () => {
    const limiter = new RateLimiter(1, { windowMs: 1_000 });
    await limiter.acquire();
    expect(vi.getTimerCount()).toBe(0);
    const controller = new AbortController();
    const waiting = track(limiter.acquire(controller.signal));
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await flush();
    expect(waiting.settled).toBe('rejected');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should disarm its timer once the last waiter is served', async () => {
    const limiter = new RateLimiter(1, { windowMs: 1_000 });
    await limiter.acquire();
    const waiting = track(limiter.acquire());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(waiting.settled).toBe('resolved');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should not let a served caller be rejected by a later abort of its signal', async () => {
    const limiter = new RateLimiter(2);
    const controller = new AbortController();
    const served = track(limiter.acquire(controller.signal));
    await flush();
    controller.abort();
    await flush();
    expect(served.settled).toBe('resolved');
  });
});
