/**
 * Fires `onIdle` when `kick()` has not been called for `ms`. The SDK's timeout only covers the wait for
 * response headers; this one covers a body (or a stream) that stops arriving afterwards.
 */
export class IdleTimer {
  readonly #ms: number;
  readonly #onIdle: () => void;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(ms: number, onIdle: () => void) {
    this.#ms = ms;
    this.#onIdle = onIdle;
  }

  kick(): void {
    if (this.#stopped) return;
    // Kicked for every piece of a stream: the one timer is re-armed, not replaced.
    if (this.#timer) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#stopped = true;
      this.#onIdle();
    }, this.#ms);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
