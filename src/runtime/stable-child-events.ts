import type { AnyEventObject, AnyStateMachine } from 'xstate';

const CHILD_EVENT = /^xstate\.(done|error)\.actor\./;

/**
 * The machine, as logic whose transitions see a child's `xstate.done.actor.<child id>` and
 * `xstate.error.actor.<child id>` events under one type per kind of child (`xstate.done.actor.task`)
 * when `kindOf(child id)` names one; every other event, and every other child's, is passed on as it is.
 *
 * XState memoises on each state node, for the life of the machine, the transitions it found for every
 * event type the node was asked about. The runtime's machines live as long as the process, and their
 * children keep getting new ids (tasks take theirs from their descriptions; coworkers' jobs are named
 * after the model's tool-call ids), so without this every task id and every delegation ever run would
 * keep an entry: about 1.2 KB per crew of three new tasks, for good. The handlers read the child from
 * the event's `actorId`, never from its type.
 */
export function withStableChildEvents<T extends AnyStateMachine>(
  machine: T,
  kindOf: (childId: string) => string | undefined,
): T {
  // A logic object whose prototype is the machine: everything but `transition` is the machine's own,
  // and the machine itself stays as it was (the exported charts are traversed and provided elsewhere).
  const logic = Object.create(machine) as T;
  const stable = (event: AnyEventObject): AnyEventObject => {
    const prefix = CHILD_EVENT.exec(event.type)?.[0];
    if (!prefix) return event;
    const kind = kindOf(event.type.slice(prefix.length));
    return kind ? { ...event, type: prefix + kind } : event;
  };
  logic.transition = ((snapshot, event, scope) =>
    machine.transition.call(logic, snapshot, stable(event), scope)) as T['transition'];
  // A machine provided with other implementations keeps the stable events.
  logic.provide = ((implementations) =>
    withStableChildEvents(machine.provide(implementations), kindOf)) as T['provide'];
  return logic;
}

/** The kind of a child named `<kind>:<id>` (`task:…`, `agent:…`), for `withStableChildEvents`. */
export function prefixedKind(...kinds: string[]): (childId: string) => string | undefined {
  return (childId) => kinds.find((kind) => childId.startsWith(`${kind}:`));
}
