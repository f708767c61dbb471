import type { InspectionEvent, Observer } from 'xstate';

/** What `filterInspection` lets through; only the root's snapshots are thinned by default. */
export interface InspectionFilterOptions {
  /** Pass `@xstate.microstep` events on (default true; @statelyai/inspect discards them). */
  microsteps?: boolean;
  /** Pass `@xstate.action` events on (default true; @statelyai/inspect discards them). */
  actions?: boolean;
  /**
   * Least time in ms between two snapshots of the root actor (the crew) that are passed on; the first
   * and the settled one (done, error, stopped) always are, and the latest one held back follows when
   * the interval is over. 0 passes every root snapshot. Default 500.
   */
  rootSnapshotInterval?: number;
}

type InspectFn = (event: InspectionEvent) => void;
/** An observer returned by `filterInspection`; the run driver does not filter it a second time. */
export type FilteredInspector = InspectFn & { readonly [FILTERED]: true };

// Symbol.for, so a filter made by another copy of statecrew (e.g. the CLI bundle) is recognised too.
const FILTERED: unique symbol = Symbol.for('statecrew.filteredInspection');
const DEFAULT_ROOT_SNAPSHOT_INTERVAL = 500;

interface RootState {
  lastSentAt: number;
  pending?: InspectionEvent;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Wraps an XState inspection observer so that a large crew stays inspectable. `@statelyai/inspect`
 * serialises every snapshot it gets, and the crew's snapshot holds every task (its context and
 * children), so passing each crew snapshot on costs O(tasks) per event and O(tasks²) per run. This
 * filter works before that serialisation: it throttles the root's snapshots, while every actor, every
 * event and every child snapshot still goes through (microsteps and actions too, unless turned off).
 * `kickoff({ inspect })` applies it with the defaults; wrap your observer yourself to choose other
 * options (`{ rootSnapshotInterval: 0 }` passes everything).
 * @example
 * crew.kickoff(inputs, { inspect: filterInspection(inspector.inspect, { rootSnapshotInterval: 1000 }) });
 */
export function filterInspection(
  inspector: Observer<InspectionEvent> | InspectFn,
  options: InspectionFilterOptions = {},
): FilteredInspector {
  if (isFiltered(inspector)) return inspector;
  const next: InspectFn = typeof inspector === 'function' ? inspector : (event) => inspector.next?.(event);
  const interval = options.rootSnapshotInterval ?? DEFAULT_ROOT_SNAPSHOT_INTERVAL;
  // Keyed by the root actor, so one filter can serve several runs and forgets each with its actor.
  const roots = new WeakMap<object, RootState>();

  const sendRoot = (state: RootState, event: InspectionEvent) => {
    state.lastSentAt = Date.now();
    state.pending = undefined;
    next(event);
  };

  const onRootSnapshot = (event: InspectionEvent & { type: '@xstate.snapshot' }) => {
    const root = event.actorRef;
    const state = roots.get(root);
    if (event.snapshot.status !== 'active') {
      if (state?.timer) clearTimeout(state.timer);
      roots.delete(root);
      return next(event);
    }
    if (!state) {
      roots.set(root, { lastSentAt: Date.now() });
      return next(event);
    }
    const wait = state.lastSentAt + interval - Date.now();
    if (wait <= 0 && !state.timer) return sendRoot(state, event);
    if (!Number.isFinite(wait)) return; // interval Infinity: only the first and the settled snapshot
    state.pending = event;
    if (state.timer) return;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        if (state.pending) sendRoot(state, state.pending);
      },
      Math.max(0, wait),
    );
    // The trailing snapshot is a nicety: it must never keep the process alive.
    (state.timer as { unref?: () => void }).unref?.();
  };

  const filtered: InspectFn = (event) => {
    switch (event.type) {
      case '@xstate.microstep':
        if (options.microsteps !== false) next(event);
        return;
      case '@xstate.action':
        if (options.actions !== false) next(event);
        return;
      case '@xstate.snapshot':
        if (interval > 0 && event.actorRef.sessionId === event.rootId) return onRootSnapshot(event);
        return next(event);
      default:
        return next(event);
    }
  };
  return Object.assign(filtered, { [FILTERED]: true as const });
}

function isFiltered(inspector: unknown): inspector is FilteredInspector {
  return typeof inspector === 'function' && (inspector as Partial<FilteredInspector>)[FILTERED] === true;
}
