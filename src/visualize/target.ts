import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

/** Anything we can draw: a bare machine, or an object exposing one (a `Crew` has `.machine`). */
export type DiagramTarget = AnyStateMachine | { readonly machine: AnyStateMachine };

export function machineOf(target: DiagramTarget): AnyStateMachine {
  // A StateMachine has `root`; a wrapper (Crew, Task, …) only has `machine`.
  return 'root' in target ? target : target.machine;
}

/*
 * The helpers below are shared by the Mermaid and DOT writers so both formats show the same
 * states, edges and labels. They read the *resolved* node tree (`machine.root`), which already
 * contains the synthetic `xstate.done.actor.*`, `xstate.error.actor.*` and `xstate.after.*`
 * transitions that `invoke.onDone/onError` and `after` expand to.
 */

/** One drawn arrow. `targetless` transitions (actions only) are drawn as self-loops. */
export interface DiagramEdge {
  readonly source: AnyStateNode;
  readonly target: AnyStateNode;
  readonly label: string;
  readonly targetless: boolean;
}

export function childNodes(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states);
}

/** Every state node below (and including) `node`, depth first in definition order. */
export function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...childNodes(node).flatMap(allNodes)];
}

/** Names that mean "anonymous": JS names an arrow function after the property holding it. */
const PROPERTY_NAMES = new Set([
  '',
  'guard',
  'actions',
  'entry',
  'exit',
  'context',
  'input',
  'output',
  'src',
]);

export function functionName(fn: { readonly name: string }, fallback = 'inline'): string {
  return PROPERTY_NAMES.has(fn.name) ? fallback : fn.name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Readable guard: `canRetry`, `!a`, `a && b`, `in(running)`, or the inline function's name. */
export function guardLabel(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    // and/or/not/stateIn are functions carrying their operands as properties.
    const parts = (guard as { guards?: unknown }).guards;
    if (Array.isArray(parts)) {
      const labels = parts.map(guardLabel);
      if (guard.name === 'not') return `!${labels[0]}`;
      return `(${labels.join(guard.name === 'or' ? ' || ' : ' && ')})`;
    }
    const stateValue = (guard as { stateValue?: unknown }).stateValue;
    if (stateValue !== undefined) return `in(${JSON.stringify(stateValue).replace(/"/g, '')})`;
    return functionName(guard);
  }
  if (isRecord(guard) && typeof guard.type === 'string') return guard.type;
  return 'guard';
}

const DONE_ACTOR = 'xstate.done.actor.';
const ERROR_ACTOR = 'xstate.error.actor.';
const DONE_STATE = 'xstate.done.state.';
const AFTER = 'xstate.after.';
const SNAPSHOT = 'xstate.snapshot.';

function actorName(id: string): string {
  return id === '*' ? 'any actor' : id;
}

/** Turns XState's internal event types into the words a reader of the diagram expects. */
export function eventLabel(eventType: string, source: AnyStateNode): string {
  if (eventType === '') return 'always';
  if (eventType === '*') return 'any event (*)';
  if (eventType.startsWith(DONE_ACTOR)) return `done ${actorName(eventType.slice(DONE_ACTOR.length))}`;
  if (eventType.startsWith(ERROR_ACTOR)) return `error ${actorName(eventType.slice(ERROR_ACTOR.length))}`;
  if (eventType.startsWith(SNAPSHOT)) return `snapshot ${actorName(eventType.slice(SNAPSHOT.length))}`;
  if (eventType.startsWith(DONE_STATE)) {
    const id = eventType.slice(DONE_STATE.length);
    return id === source.id ? 'onDone' : `done ${id}`;
  }
  if (eventType.startsWith(AFTER)) {
    // `xstate.after.<delay>.<sourceId>`; the delay is a number (ms) or a named delay.
    const rest = eventType.slice(AFTER.length);
    const suffix = `.${source.id}`;
    const delay = rest.endsWith(suffix) ? rest.slice(0, -suffix.length) : rest;
    return /^\d+$/.test(delay) ? `after ${delay}ms` : `after ${delay}`;
  }
  return eventType;
}

function transitionLabel(t: AnyTransitionDefinition, source: AnyStateNode, always: boolean): string {
  const event = always ? 'always' : eventLabel(String(t.eventType), source);
  return t.guard === undefined ? event : `${event} [${guardLabel(t.guard)}]`;
}

function edgesOfTransition(t: AnyTransitionDefinition, source: AnyStateNode, always: boolean): DiagramEdge[] {
  const label = transitionLabel(t, source, always);
  const targets: readonly AnyStateNode[] = t.target ?? [];
  if (targets.length === 0) return [{ source, target: source, label, targetless: true }];
  return targets.map((target) => ({ source, target, label, targetless: false }));
}

/** The node's own outgoing edges: event transitions (incl. done/error/after), then `always`. */
export function edgesOf(node: AnyStateNode): DiagramEdge[] {
  const onEvents = [...node.transitions.values()].flat().flatMap((t) => edgesOfTransition(t, node, false));
  const eventless = (node.always ?? []).flatMap((t) => edgesOfTransition(t, node, true));
  return [...onEvents, ...eventless];
}

/** Names of invoked actors: the `src` key when registered in `setup({ actors })`, else the invoke id. */
export function invokeNames(node: AnyStateNode): string[] {
  // XState renames inline logic to `xstate.invoke.<generated id>`, which says nothing to a reader.
  return node.invoke.map((inv) =>
    typeof inv.src === 'string' && !inv.src.startsWith('xstate.invoke.') ? inv.src : inv.id,
  );
}

/** `running (invoke runAgent)` — the state key (and its description) plus what runs while the state is active. */
export function stateLabel(node: AnyStateNode): string {
  const key = node.parent ? node.key : node.machine.id;
  const base = node.description ? `${key}: ${node.description}` : key;
  const notes: string[] = [];
  const invoked = invokeNames(node);
  if (invoked.length > 0) notes.push(`invoke ${invoked.join(', ')}`);
  if (node.type === 'history') notes.push(`${node.history === 'deep' ? 'deep' : 'shallow'} history`);
  return notes.length > 0 ? `${base} (${notes.join(', ')})` : base;
}

/** The initial child of a compound node, if any. */
export function initialChild(node: AnyStateNode): AnyStateNode | undefined {
  if (node.type !== 'compound') return undefined;
  return node.initial.target[0];
}
