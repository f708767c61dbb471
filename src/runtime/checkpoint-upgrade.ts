import type { CrewContext } from '../../machines/crew-chart.js';
import { chunkOutcomes } from '../../machines/crew-outcomes.js';
import type { TaskOutcome } from '../../machines/types.js';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint } from '../checkpoint/types.js';
import { StatecrewError } from '../errors.js';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { hierarchicalCrewMachine, sequentialCrewMachine } from '../../machines/index.js';
import { isMachine, isRecord, logicOf } from './persisted-actor.js';

/** A persisted actor as XState writes it into its parent's snapshot. */
interface PersistedActor {
  src?: unknown;
  snapshot: {
    value?: unknown;
    context?: Record<string, unknown>;
    children?: Record<string, PersistedActor>;
    input?: Record<string, unknown>;
  };
}

type CrewSnapshot = PersistedActor['snapshot'] & {
  context?: Partial<Omit<CrewContext, 'outcomes'>> & { outcomes?: unknown };
};

/**
 * A checkpoint in this build's format, converted step by step from older ones:
 * - 1 → 2: the crew's outcomes, kept as one record by task id, go into chunks by task position;
 * - 2 → 3: a task ran its agent's loop as a `job` child; the loop now runs in the task's own states;
 * - 3 → 4: nothing to convert: format 3 kept a finished task's outcome in its actor's snapshot too, where
 *   format 4 leaves it out and the restore puts it back (only where it is missing);
 * - 4 → 5: invoked actors were keyed by the ids XState makes up (`0.task.running.working.thinking`); they
 *   are named now (`callModel`), so the inspector shows what runs.
 * Anything else is refused with `checkpoint_mismatch`.
 */
export function upgradeCheckpoint(checkpoint: Checkpoint): Checkpoint {
  let upgraded = checkpoint;
  if (upgraded.formatVersion === 1) upgraded = outcomesInChunks(upgraded);
  if (upgraded.formatVersion === 2) upgraded = loopsInTasks(upgraded);
  if (upgraded.formatVersion === 3) upgraded = { ...upgraded, formatVersion: 4 };
  if (upgraded.formatVersion === 4) {
    const chart = upgraded.process === 'hierarchical' ? hierarchicalCrewMachine : sequentialCrewMachine;
    upgraded = { ...upgraded, formatVersion: 5, snapshot: withNamedInvokes(chart, upgraded.snapshot) };
  }
  if (upgraded.formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw mismatch(checkpoint, `this statecrew reads formats 1 to ${CHECKPOINT_FORMAT_VERSION}`);
  }
  return upgraded;
}

function mismatch(checkpoint: Checkpoint, why: string) {
  return new StatecrewError(
    'checkpoint_mismatch',
    `Checkpoint of run '${checkpoint.runId}' has format ${checkpoint.formatVersion}, but ${why}`,
  );
}

function outcomesInChunks(checkpoint: Checkpoint): Checkpoint {
  const snapshot = checkpoint.snapshot as CrewSnapshot | undefined;
  const context = snapshot?.context;
  const outcomes = context?.outcomes;
  if (!context?.tasks || (outcomes !== undefined && !isRecord(outcomes))) {
    throw mismatch(checkpoint, 'its crew snapshot is not in that format');
  }
  const chunks = chunkOutcomes(context.tasks, (outcomes ?? {}) as Record<string, TaskOutcome>);
  return {
    ...checkpoint,
    formatVersion: 2,
    snapshot: { ...snapshot, context: { ...context, outcomes: chunks } },
  };
}

function loopsInTasks(checkpoint: Checkpoint): Checkpoint {
  const snapshot = checkpoint.snapshot as CrewSnapshot | undefined;
  if (!snapshot?.context?.tasks) throw mismatch(checkpoint, 'its crew snapshot is not in that format');
  return { ...checkpoint, formatVersion: 3, snapshot: withLoopsInTasks(snapshot) };
}

/** Every persisted actor below `snapshot`, converted (a new tree: the checkpoint is not changed). */
function withLoopsInTasks(snapshot: PersistedActor['snapshot']): PersistedActor['snapshot'] {
  const children = Object.entries(snapshot.children ?? {}).map(([id, child]): [string, PersistedActor] => [
    id,
    { ...child, snapshot: converted(child) },
  ]);
  return { ...snapshot, children: Object.fromEntries(children) };
}

function converted(actor: PersistedActor): PersistedActor['snapshot'] {
  const inner = withLoopsInTasks(actor.snapshot);
  if (actor.src === 'agentJob') return withWorkOnModelCalls(inner, inner.context);
  const job = inner.children?.job;
  if (actor.src !== 'task' || job?.src !== 'agentJob') return inner;
  return hoisted(inner, job);
}

/**
 * A task whose `job` child ran its agent's loop: the job's state goes under the task's state
 * (`running.working` or `guardrail-retry`), its context into `context.loop`, and its invoked children
 * to the task, under the ids XState gives the same invokes in the task's states.
 */
function hoisted(task: PersistedActor['snapshot'], job: PersistedActor): PersistedActor['snapshot'] {
  const base = isRecord(task.value) && 'running' in task.value ? 'running.working' : 'guardrail-retry';
  const value =
    base === 'running.working'
      ? { running: { working: job.snapshot.value } }
      : { [base]: job.snapshot.value };
  const { job: _job, ...others } = task.children ?? {};
  const moved = Object.entries(job.snapshot.children ?? {}).map(([id, child]): [string, PersistedActor] => [
    id.replace(/^(\d+)\.job\./, `$1.task.${base}.`),
    child,
  ]);
  // The job's model calls already name their request (`converted` ran on the job first).
  return {
    ...task,
    value,
    context: { ...task.context, loop: job.snapshot.context },
    children: { ...others, ...Object.fromEntries(moved) },
  };
}

/** A model call in flight is made again on restore: its input now names the request it works on. */
function withWorkOnModelCalls(
  snapshot: PersistedActor['snapshot'],
  loop: Record<string, unknown> | undefined,
): PersistedActor['snapshot'] {
  const children = Object.entries(snapshot.children ?? {}).map(([id, child]): [string, PersistedActor] => {
    const input = child.snapshot.input;
    if (child.src !== 'callModel' || !input || 'work' in input) return [id, child];
    return [id, { ...child, snapshot: { ...child.snapshot, input: { ...input, work: loop?.request } } }];
  });
  return { ...snapshot, children: Object.fromEntries(children) };
}

/**
 * Refuses to restore a run whose checkpoint was written by a build that ran a task's agent loop in the
 * agent's actor (format 1): a task caught in `running.working` or `guardrail-retry` there waits for an
 * answer no chart sends any more. Its earlier outputs still serve `replay`.
 */
export function checkRestorable(checkpoint: Checkpoint): void {
  const snapshot = checkpoint.snapshot as PersistedActor['snapshot'] | undefined;
  for (const [id, child] of Object.entries(snapshot?.children ?? {})) {
    const value = child.snapshot.value;
    const oldLoop = value === 'guardrail-retry' || (isRecord(value) && value.running === 'working');
    if (child.src === 'task' && oldLoop) {
      throw new StatecrewError(
        'checkpoint_mismatch',
        `Checkpoint of run '${checkpoint.runId}' was written while task '${id.slice('task:'.length)}' ran its agent's loop in the agent's actor (statecrew's first checkpoint format), which this statecrew cannot resume; replay from that task instead`,
      );
    }
  }
}

/**
 * A persisted snapshot with its invoked actors under their names: a child keyed by an id XState made up
 * (`<index>.<state node id>`, as builds before format 5 persisted them) gets the id the chart now gives that
 * invocation. Every other key is left as it is, so a snapshot of this build comes back unchanged.
 */
export function withNamedInvokes<T>(chart: AnyStateMachine, snapshot: T): T {
  if (!isRecord(snapshot) || !isRecord(snapshot.children)) return snapshot;
  const children = Object.entries(snapshot.children).map(([key, child]) => {
    const logic = logicOf(chart, child);
    const inner =
      isMachine(logic) && isRecord(child)
        ? { ...child, snapshot: withNamedInvokes(logic, child.snapshot) }
        : child;
    return [invokeName(chart, key) ?? key, inner] as const;
  });
  return { ...snapshot, children: Object.fromEntries(children) };
}

function invokeName(chart: AnyStateMachine, key: string): string | undefined {
  const generated = /^(\d+)\.(.+)$/.exec(key);
  // No such state node: a key of some other kind.
  return generated ? nodesById(chart).get(generated[2])?.invoke[Number(generated[1])]?.id : undefined;
}

const nodeMaps = new WeakMap<AnyStateMachine, Map<string, AnyStateNode>>();

/** A chart's state nodes by their whole id (`getStateNodeById` splits a root id with a dot, `crew.sequential`). */
function nodesById(chart: AnyStateMachine): Map<string, AnyStateNode> {
  let nodes = nodeMaps.get(chart);
  if (!nodes) {
    nodes = new Map();
    const visit = (node: AnyStateNode) => {
      nodes!.set(node.id, node);
      Object.values(node.states).forEach(visit);
    };
    visit(chart.root);
    nodeMaps.set(chart, nodes);
  }
  return nodes;
}
