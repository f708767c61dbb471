import type { Snapshot } from 'xstate';
import { outcomeOf, type OutcomeSource } from '../../machines/crew-outcomes.js';
import { taskIdOfActor, type TaskOutcome } from '../../machines/types.js';
import type { PersistedActor } from './persisted-actor.js';

type Change = (task: PersistedActor, outcome: TaskOutcome) => PersistedActor;

/**
 * A finished task's outcome is in the crew's `context.outcomes`, and XState's persisted snapshot holds it
 * twice more: in the task actor's `output` and `context.outcome`. A checkpoint keeps it once: the
 * task actors' copies are left out (a copy of the snapshot; the actor's own is not touched) and
 * `withFinishedOutcomes` puts them back when the checkpoint is restored.
 */
export function withoutFinishedOutcomes(snapshot: Snapshot<unknown>): Snapshot<unknown> {
  return finishedTasksChanged(snapshot, ({ output: _output, context, ...task }) => {
    if (!context) return task;
    const { outcome: _outcome, ...rest } = context;
    return { ...task, context: rest };
  });
}

/** A checkpoint's snapshot with every finished task actor's outcome back in place (a copy). */
export function withFinishedOutcomes(snapshot: Snapshot<unknown>): Snapshot<unknown> {
  return finishedTasksChanged(snapshot, (task, outcome) =>
    task.output === undefined ? { ...task, output: outcome, context: { ...task.context, outcome } } : task,
  );
}

/** The crew snapshot with `change` applied to each finished task actor whose outcome the crew has. */
function finishedTasksChanged(snapshot: Snapshot<unknown>, change: Change): Snapshot<unknown> {
  const crew = snapshot as unknown as PersistedActor;
  const source = crew.context as OutcomeSource | undefined;
  if (!source?.tasks || !source.outcomes) return snapshot;
  return changedIn(crew, source, change) as unknown as Snapshot<unknown>;
}

/** Copy on write: only the path to a changed task is new. Large crews hold tasks in `batch:` actors. */
function changedIn(holder: PersistedActor, source: OutcomeSource, change: Change): PersistedActor {
  let children: PersistedActor['children'];
  for (const [id, child] of Object.entries(holder.children ?? {})) {
    const was = child.snapshot;
    if (!was) continue;
    const now = id.startsWith('batch:')
      ? changedIn(was, source, change)
      : changedTask(id, was, source, change);
    if (now === was) continue;
    children ??= { ...holder.children };
    children[id] = { ...child, snapshot: now };
  }
  return children ? { ...holder, children } : holder;
}

function changedTask(
  id: string,
  task: PersistedActor,
  source: OutcomeSource,
  change: Change,
): PersistedActor {
  const taskId = taskIdOfActor(id);
  if (taskId === undefined || task.status !== 'done') return task;
  const outcome = outcomeOf(source, taskId);
  return outcome ? change(task, outcome) : task;
}
