import net from 'node:net';
import tls from 'node:tls';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import { safeJson } from './safe-json.js';

export interface TransportOptions {
  url: string;
  reconnectDelay: number;
  flushTimeout: number;
  maxQueuedMessages: number;
  serializationDepthLimit: number;
  onError?: (error: Error) => void;
}

type State = 'connecting' | 'open' | 'waiting' | 'stopped';

/** Time `stop()` gives the server to answer the close handshake before the socket is destroyed. */
const CLOSE_GRACE_MS = 500;

/**
 * The @statelyai/inspect adapter behind `createCrewInspector`: sends each message as JSON over a
 * WebSocket, like the library's own WebSocket adapter, but never keeps the process alive by itself
 * and can really be stopped. The library's adapter retries a failed connection every 5 s on a timer
 * nothing can cancel, so with no server listening Node never exits. Here the socket and the retry
 * timer are unref'd (a finished run lets the process exit even if nobody calls `stop()`), messages
 * wait in a bounded queue until a connection opens, and `stop()` delivers what is queued (within
 * `flushTimeout`), closes the socket and cancels every timer.
 */
export class WebSocketTransport {
  readonly #WebSocket: typeof WebSocket;
  readonly #options: TransportOptions;
  #state: State = 'waiting';
  #socket?: WebSocket;
  #queue: StatelyInspectionEvent[] = [];
  /** Messages handed to the socket whose write has not completed. */
  #inFlight = 0;
  #retry?: ReturnType<typeof setTimeout>;
  #stopping?: Promise<void>;
  #waiters: Array<() => void> = [];
  #reported = new Set<string>();

  constructor(WebSocketClass: typeof WebSocket, options: TransportOptions) {
    this.#WebSocket = WebSocketClass;
    this.#options = options;
  }

  get connected(): boolean {
    return this.#state === 'open';
  }

  start(): void {
    if (this.#state === 'waiting' && !this.#stopping) this.#connect();
  }

  send(event: StatelyInspectionEvent): void {
    if (this.#state === 'stopped') return;
    if (this.#state === 'open' && this.#queue.length === 0) return this.#write(event);
    if (this.#queue.length >= this.#options.maxQueuedMessages) {
      this.#report('queue', new Error(`inspector queue full (${this.#queue.length}): dropping messages`));
      return;
    }
    this.#queue.push(event);
  }

  /** Sends what is queued (waiting at most `flushTimeout` ms), then closes the socket; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const deadline = Date.now() + this.#options.flushTimeout;
    clearTimeout(this.#retry);
    // An attempt under way ends first; if it failed, one last attempt, so messages queued while no
    // server listened still reach one started late.
    await this.#until(() => this.#state !== 'connecting', deadline);
    if (this.#state === 'waiting' && this.#queue.length > 0) this.#connect();
    await this.#until(() => this.#state !== 'connecting', deadline);
    await this.#until(() => this.#state !== 'open' || this.#queue.length + this.#inFlight === 0, deadline);
    this.#state = 'stopped';
    this.#queue = [];
    const socket = this.#socket;
    if (!socket) return;
    socket.close(1000);
    await this.#until(() => this.#socket !== socket, Date.now() + CLOSE_GRACE_MS);
    socket.terminate();
    this.#socket = undefined;
  }

  #connect(): void {
    this.#state = 'connecting';
    const secure = this.#options.url.startsWith('wss:');
    const options: ClientOptions = {
      perMessageDeflate: false,
      handshakeTimeout: Math.max(1_000, this.#options.flushTimeout),
      createConnection: unrefConnection(secure) as ClientOptions['createConnection'],
    };
    const socket = new this.#WebSocket(this.#options.url, options);
    this.#socket = socket;
    socket.on('open', () => {
      if (this.#state === 'stopped') return;
      this.#state = 'open';
      const queued = this.#queue.splice(0);
      for (const event of queued) this.#write(event);
      this.#wake();
    });
    // Every error (refused, handshake failure, reset) is followed by 'close', which decides what next.
    socket.on('error', (error) => {
      if (this.#state !== 'stopped') this.#report('socket', error);
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#inFlight = 0;
      if (this.#state !== 'stopped') this.#state = 'waiting';
      if (this.#state === 'waiting' && !this.#stopping) this.#scheduleRetry();
      this.#wake();
    });
  }

  #scheduleRetry(): void {
    this.#retry = setTimeout(() => this.start(), this.#options.reconnectDelay);
    this.#retry.unref();
  }

  #write(event: StatelyInspectionEvent): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#inFlight++;
    socket.send(safeJson(event, this.#options.serializationDepthLimit), () => {
      if (this.#socket !== socket) return;
      this.#inFlight--;
      this.#wake();
    });
  }

  /** Resolves when `condition` holds or at `deadline`; its timer keeps the process alive meanwhile. */
  async #until(condition: () => boolean, deadline: number): Promise<void> {
    while (!condition() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, deadline - Date.now());
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.push(done);
      });
    }
  }

  #wake(): void {
    for (const done of this.#waiters.splice(0)) done();
  }

  /** Each kind of problem is reported once: a server that is down would otherwise log every retry. */
  #report(kind: string, error: Error): void {
    if (this.#reported.has(kind)) return;
    this.#reported.add(kind);
    this.#options.onError?.(error);
  }
}

/** ws's own connect functions, plus `unref()`: an idle inspector socket must not hold the process. */
function unrefConnection(secure: boolean) {
  return (options: net.NetConnectOpts & tls.ConnectionOptions & { socketPath?: string }) => {
    const socket = secure
      ? tls.connect({
          ...options,
          path: undefined,
          servername: options.servername ?? (net.isIP(options.host ?? '') ? '' : options.host),
        })
      : net.connect({ ...options, path: options.socketPath } as net.NetConnectOpts);
    socket.unref();
    return socket;
  };
}
