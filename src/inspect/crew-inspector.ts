import type { AnyEventObject, InspectionEvent, MachineContext, Observer, Snapshot } from 'xstate';
import { StatecrewError } from '../errors.js';
import { isWebSocketUrl } from './url.js';
import { WebSocketTransport } from './websocket-transport.js';

// Declared here, as @statelyai/inspect declares them, so statecrew's types do not load that package's
// (which need the DOM lib and, from CommonJS under node16 resolution, cannot be required).
interface InspectorMessageBase {
  rootId: string | undefined;
  sessionId: string;
  createdAt: string;
  id: string;
  _version: string;
}

/** What the inspector is sent for one XState inspection event (what `filter` decides on). */
export type InspectorMessage =
  | (InspectorMessageBase & { type: '@xstate.snapshot'; event: AnyEventObject; snapshot: Snapshot<unknown> })
  | (InspectorMessageBase & { type: '@xstate.event'; event: AnyEventObject; sourceId: string | undefined })
  | (InspectorMessageBase & {
      type: '@xstate.actor';
      name: string;
      snapshot: {
        status?: Snapshot<unknown>['status'];
        context?: unknown;
        value?: unknown;
        output?: unknown;
      };
      definition: string | undefined;
      parentId: string | undefined;
    });

export interface CrewInspectorOptions {
  /** Sends only the messages it returns true for. */
  filter?: (message: InspectorMessage) => boolean;
  /** What the inspector shows of an actor's context (e.g. without secrets or large values). */
  sanitizeContext?: (context: MachineContext) => MachineContext;
  /** What the inspector shows of an event. */
  sanitizeEvent?: (event: AnyEventObject) => AnyEventObject;
  /** How deep values are serialised. Default 10. */
  serializationDepthLimit?: number;
  /** The WebSocket server that relays to the inspector, e.g. `ws://localhost:8080`. */
  url: string;
  /** How long `stop()` waits for queued messages to be delivered, in ms. Default 2000. */
  flushTimeout?: number;
  /** Delay between connection attempts while no server answers, in ms. Default 1000. */
  reconnectDelay?: number;
  /** Messages kept while not connected; later ones are dropped. Default 10,000. */
  maxQueuedMessages?: number;
  /** Told (once per kind) when the server cannot be reached or messages are dropped. */
  onError?: (error: Error) => void;
}

export interface CrewInspector {
  /** The XState inspection observer: pass it as `kickoff(inputs, { inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /** Whether the WebSocket is open now. */
  readonly connected: boolean;
  /** Delivers what is still queued (within `flushTimeout`), then closes the socket and cancels every timer. */
  stop(): Promise<void>;
}

/**
 * Sends a run's actors, events and snapshots to a Stately inspector over a WebSocket, in the messages
 * `@statelyai/inspect` writes (its `createInspector` converts them). Unlike `createWebSocketInspector`
 * it never keeps Node alive by itself (with no server listening, the process still exits after the
 * run) and `stop()` really releases everything. `@statelyai/inspect` and `ws` load on first use, so
 * importing statecrew stays cheap.
 * @example
 * const inspector = createCrewInspector({ url: 'ws://localhost:8080' });
 * try {
 *   await crew.kickoff(inputs, { inspect: inspector.inspect });
 * } finally {
 *   await inspector.stop();
 * }
 */
export function createCrewInspector(options: CrewInspectorOptions): CrewInspector {
  checkUrl(options.url);
  let target: Observer<InspectionEvent> | undefined;
  // Events that arrive while the modules load; replayed in order once they have.
  let early: InspectionEvent[] | undefined = [];
  let transport: WebSocketTransport | undefined;
  let stopped = false;

  const ready = Promise.all([import('@statelyai/inspect'), import('ws')]).then(
    ([stately, ws]) => {
      transport = new WebSocketTransport(ws.default, {
        url: options.url,
        reconnectDelay: options.reconnectDelay ?? 1_000,
        flushTimeout: options.flushTimeout ?? 2_000,
        maxQueuedMessages: options.maxQueuedMessages ?? 10_000,
        serializationDepthLimit: options.serializationDepthLimit ?? 10,
        onError: options.onError,
      });
      const inspector = stately.createInspector(transport, {
        filter: options.filter,
        sanitizeContext: options.sanitizeContext,
        sanitizeEvent: options.sanitizeEvent,
        serializationDepthLimit: options.serializationDepthLimit,
      });
      transport.start();
      target = inspector.inspect;
      for (const event of early ?? []) target.next?.(event);
      early = undefined;
    },
    (error: unknown) => {
      early = undefined;
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    },
  );

  return {
    inspect: {
      next(event) {
        // @statelyai/inspect discards these only after a timer per event; skip that work.
        if (stopped || event.type === '@xstate.microstep' || event.type === '@xstate.action') return;
        if (target) target.next?.(event);
        else early?.push(event);
      },
    },
    get connected() {
      return transport?.connected ?? false;
    },
    async stop() {
      stopped = true;
      await ready;
      // createInspector converts each event in its own setTimeout(0); this one runs after all of them.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      await transport?.stop();
    },
  };
}

function checkUrl(url: unknown): void {
  if (!isWebSocketUrl(url)) {
    throw new StatecrewError(
      'invalid_option',
      `The inspector URL must be a ws:// or wss:// URL (got ${JSON.stringify(url)})`,
    );
  }
}
