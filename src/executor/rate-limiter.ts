interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * At most `maxRpm` acquisitions start in any sliding window (60 s by default). Callers beyond that wait in
 * FIFO order and are let through as soon as the oldest start leaves the window.
 */
export class RateLimiter {
  readonly maxRpm: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Start times still inside the window, oldest first. */
  private starts: number[] = [];
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(maxRpm: number, options: { windowMs?: number; now?: () => number } = {}) {
    if (!Number.isInteger(maxRpm) || maxRpm <= 0) {
      throw new TypeError(`maxRpm must be a positive integer, got ${String(maxRpm)}`);
    }
    const windowMs = options.windowMs ?? 60_000;
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new TypeError(`windowMs must be a positive number, got ${String(windowMs)}`);
    }
    this.maxRpm = maxRpm;
    this.windowMs = windowMs;
    this.now = options.now ?? (() => Date.now());
  }

  /** Resolves when the caller may start a request; rejects with `signal.reason` if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => this.abandon(waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      // Always through the queue, so a newcomer never overtakes someone already waiting.
      this.queue.push(waiter);
      this.release();
    });
  }

  private release(): void {
    this.clearTimer();
    const now = this.now();
    this.forgetExpired(now);
    while (this.queue.length > 0 && this.starts.length < this.maxRpm) {
      const waiter = this.queue.shift() as Waiter;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.starts.push(now);
      waiter.resolve();
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.release(), this.starts[0] + this.windowMs - now);
    }
  }

  private forgetExpired(now: number): void {
    // A clock stepped backwards must not stretch a wait beyond one window.
    if (this.starts.length > 0 && this.starts[this.starts.length - 1] > now) {
      this.starts = this.starts.map((start) => Math.min(start, now));
    }
    while (this.starts.length > 0 && this.starts[0] <= now - this.windowMs) this.starts.shift();
  }

  private abandon(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index === -1) return;
    this.queue.splice(index, 1);
    if (this.queue.length === 0) this.clearTimer();
    waiter.reject(waiter.signal?.reason);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
