import { assign, type AnyEventObject, type EventObject, type MachineContext } from 'xstate';

/** A named context update of a chart, as a plain function (an `assign` wraps it). */
export type ContextUpdate<C> = (args: { context: C; event: AnyEventObject }) => Partial<C>;

/** The name of the action that applies `names` in one step: `recordTurn+recordDraft`. */
export const fusedName = (names: readonly string[]) => names.join('+');

/**
 * Several updates of one transition applied by one `assign`. XState copies the snapshot and recomputes
 * its state value once per `assign`, so the common step of a task (record the model's answer, draft the
 * output, finish) pays for one copy instead of three. Each update sees the context the previous left;
 * the action's name lists its parts, so inspectors and diagrams still say what it does.
 */
export function fusedAssign<C extends MachineContext, E extends EventObject>(
  updates: Record<string, ContextUpdate<C>>,
  names: readonly string[],
) {
  const parts = names.map((name) => {
    const update = updates[name];
    if (!update) throw new Error(`No context update named '${name}' to fuse`);
    return update;
  });
  const last = parts.length - 1;
  return assign<C, AnyEventObject, undefined, E, never>(({ context, event }) => {
    // The changes, for XState to apply; a context copy only for the updates still to see them.
    const changes: Partial<C> = {};
    let next = context;
    parts.forEach((update, i) => {
      const change = update({ context: next, event });
      Object.assign(changes, change);
      if (i < last) next = { ...next, ...change };
    });
    return changes;
  });
}

/**
 * `actions` with each run of names that `fusions` lists replaced by its fused action's name (longest
 * first); names outside a listed run are kept as they are, in order.
 */
export function withFusions(actions: readonly string[], fusions: ReadonlyArray<readonly string[]>): string[] {
  const longestFirst = [...fusions].sort((a, b) => b.length - a.length);
  const out: string[] = [];
  for (let i = 0; i < actions.length;) {
    const run = longestFirst.find((names) => names.every((name, k) => actions[i + k] === name));
    out.push(run ? fusedName(run) : actions[i]);
    i += run ? run.length : 1;
  }
  return out;
}
