import type { CrewContext } from '../../machines/crew-chart.js';
import { recordedOutcomes } from '../../machines/crew-outcomes.js';
import type { TaskOutcome } from '../../machines/types.js';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint, type CheckpointStore } from '../checkpoint/types.js';
import { StatecrewError } from '../errors.js';
import { emptyUsage } from '../usage.js';
import type { Task } from '../task.js';
import { checkCheckpointFields, checkCrewSnapshot } from './checkpoint-shape.js';
import { upgradeCheckpoint } from './checkpoint-upgrade.js';

export function requireStore(store: CheckpointStore | undefined, what: string): CheckpointStore {
  if (!store) {
    throw new StatecrewError(
      'no_checkpoint_store',
      `crew.${what}() needs a crew built with a checkpoint store (checkpoint: new FileCheckpointStore(dir))`,
    );
  }
  return store;
}

/** What a checkpoint must match: the crew's process, its task ids in order, and its agent ids. */
export interface CheckpointOwner {
  process: string;
  tasks: Task[];
  agentIds: string[];
  /**
   * For a replay from task `replayFrom`: only the tasks before it must match (their outputs are reused;
   * that task and the later ones run anew from the crew as it is now, with new agent actors).
   */
  replayFrom?: number;
}

/** Loads a run's checkpoint and refuses one that does not belong to this crew. */
export async function loadCheckpoint(
  store: CheckpointStore,
  runId: string,
  crew: CheckpointOwner,
): Promise<Checkpoint> {
  const checkpoint = await store.load(runId);
  if (!checkpoint) throw new StatecrewError('unknown_run', `No checkpoint for run '${runId}'`);
  if (checkpoint.formatVersion > CHECKPOINT_FORMAT_VERSION) {
    throw new StatecrewError(
      'checkpoint_mismatch',
      `Checkpoint of run '${runId}' has format ${checkpoint.formatVersion}; this statecrew reads up to ${CHECKPOINT_FORMAT_VERSION}`,
    );
  }
  checkCheckpointFields(checkpoint);
  if (checkpoint.process !== crew.process) {
    throw new StatecrewError(
      'checkpoint_mismatch',
      `Run '${runId}' was a ${checkpoint.process} crew; this crew is ${crew.process}`,
    );
  }
  const upTo = crew.replayFrom;
  const ids = crew.tasks.slice(0, upTo).map((t) => t.id);
  const saved = checkpoint.taskIds.slice(0, upTo);
  const tasks = differences('tasks', saved, ids);
  if (tasks.length > 0 || ids.join('\n') !== saved.join('\n')) {
    const detail = tasks.length ? tasks : ['the tasks are in another order'];
    const scope = upTo === undefined ? '' : ' before the replayed task';
    throw new StatecrewError(
      'checkpoint_mismatch',
      `The checkpoint of run '${runId}' does not match this crew${scope}: ${detail.join('; ')}`,
    );
  }
  if (upTo === undefined) checkAgents(checkpoint, crew.agentIds);
  const upgraded = upgradeCheckpoint(checkpoint);
  checkCrewSnapshot(upgraded);
  return upgraded;
}

/**
 * An agent's id is derived from its role, goal and backstory (unless set), so an agent edited since the run no
 * longer matches the actor its tasks' snapshots name: refused here rather than failing a task later.
 */
function checkAgents(checkpoint: Checkpoint, agentIds: string[]): void {
  if (!Array.isArray(checkpoint.agentIds)) return;
  const detail = differences('agents', checkpoint.agentIds, agentIds);
  if (detail.length === 0) return;
  throw new StatecrewError(
    'checkpoint_mismatch',
    `The checkpoint of run '${checkpoint.runId}' does not match this crew: ${detail.join('; ')} (an agent's id comes from its role, goal and backstory unless it sets one)`,
  );
}

/** What `saved` (the checkpoint's ids) and `current` (the crew's) do not share, said in words. */
function differences(what: string, saved: string[], current: string[]): string[] {
  const missing = saved.filter((id) => !current.includes(id));
  const extra = current.filter((id) => !saved.includes(id));
  return [
    missing.length ? `${what} in the checkpoint but not in the crew: ${missing.join(', ')}` : '',
    extra.length ? `${what} in the crew but not in the checkpoint: ${extra.join(', ')}` : '',
  ].filter(Boolean);
}

/**
 * The newest run in `store` that belongs to this crew (a store can hold several crews' runs), with its
 * checkpoint; undefined when there is none.
 */
export async function latestRunOf(
  store: CheckpointStore,
  crew: CheckpointOwner,
  accept: (checkpoint: Checkpoint) => boolean = () => true,
): Promise<{ runId: string; checkpoint: Checkpoint } | undefined> {
  const runIds = await store.list();
  for (let i = runIds.length - 1; i >= 0; i--) {
    try {
      const checkpoint = await loadCheckpoint(store, runIds[i], crew);
      if (accept(checkpoint)) return { runId: runIds[i], checkpoint };
    } catch (error) {
      if (!(error instanceof StatecrewError && error.code === 'checkpoint_mismatch')) throw error;
    }
  }
  return undefined;
}

/** The recorded task outcomes of a checkpoint's crew snapshot (in this build's format). */
export function checkpointOutcomes(checkpoint: Checkpoint): Record<string, TaskOutcome> {
  const context = (checkpoint.snapshot as { context?: Partial<CrewContext> } | undefined)?.context;
  return context?.outcomes ? recordedOutcomes({ outcomes: context.outcomes }) : {};
}

/** The outcomes a replay from `index` starts with: every earlier task's, which must all be there. */
export function outcomesBefore(
  checkpoint: Checkpoint,
  tasks: Task[],
  index: number,
): Record<string, TaskOutcome> {
  const recorded = checkpointOutcomes(checkpoint);
  const outcomes: Record<string, TaskOutcome> = {};
  for (const task of tasks.slice(0, index)) {
    const outcome = recorded[task.id];
    if (!outcome || outcome.status === 'failed') {
      throw new StatecrewError(
        'replay_unavailable',
        `Cannot replay from task '${tasks[index].label}': the earlier task '${task.label}' has no output in run '${checkpoint.runId}'`,
      );
    }
    // The replay reuses the output, not the model calls: its tokenUsage counts only its own, as crewAI's.
    outcomes[task.id] = { ...outcome, usage: emptyUsage() };
  }
  return outcomes;
}
