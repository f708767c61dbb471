import type { AnyActorLogic, AnyStateMachine } from 'xstate';
import { taskIdOfActor } from '../../machines/types.js';

/** An actor as XState persists it in its parent's snapshot: the parts statecrew's restore reads. */
export interface PersistedActor {
  status?: string;
  value?: unknown;
  context?: Record<string, unknown>;
  input?: Record<string, unknown>;
  output?: unknown;
  children?: Record<string, { src?: unknown; snapshot?: PersistedActor }>;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isMachine = (logic: unknown): logic is AnyStateMachine =>
  isRecord(logic) && typeof (logic as { resolveState?: unknown }).resolveState === 'function';

/** The logic a persisted child of `chart` names (`src`), if the chart registers it. */
export function logicOf(chart: AnyStateMachine, child: unknown): AnyActorLogic | undefined {
  const src = isRecord(child) ? child.src : undefined;
  return typeof src === 'string'
    ? (chart.implementations.actors[src] as AnyActorLogic | undefined)
    : undefined;
}

/**
 * Every task actor among a crew snapshot's children, also those a large crew keeps in `batch:` actors, as
 * `[taskId, snapshot]`; what is not an actor snapshot is passed over (a checkpoint may be damaged).
 */
export function* taskActorsOf(children: unknown): Generator<[string, PersistedActor]> {
  if (!isRecord(children)) return;
  for (const [id, child] of Object.entries(children)) {
    const snapshot = isRecord(child) ? child.snapshot : undefined;
    if (!isRecord(snapshot)) continue;
    const taskId = taskIdOfActor(id);
    if (taskId !== undefined) yield [taskId, snapshot as PersistedActor];
    else if (id.startsWith('batch:')) yield* taskActorsOf(snapshot.children);
  }
}
