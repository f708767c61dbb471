import { CHUNK_SIZE, outcomeOf, type OutcomeSource } from '../../machines/crew-outcomes.js';
import { taskIdOfActor } from '../../machines/types.js';
import type { Checkpoint } from '../checkpoint/types.js';
import { StatecrewError } from '../errors.js';

/**
 * A store hands back what it was given, but a file edited by hand or a database row damaged can be valid
 * JSON and still not a crew's snapshot. Restored as it is, such a snapshot made `resume` hang for ever
 * (a task with no actor), throw a TypeError from inside an actor (which no caller can catch), or rewrite
 * the damaged checkpoint. So what a resume or replay reads is checked first, and refused with
 * `corrupt_checkpoint`, the checkpoint left as it was.
 */
export function checkCheckpointFields(checkpoint: Checkpoint): void {
  const problem = fieldProblem(checkpoint);
  if (problem) throw damaged(checkpoint, problem);
}

/** The crew snapshot of a checkpoint in this build's format (after `upgradeCheckpoint`). */
export function checkCrewSnapshot(checkpoint: Checkpoint): void {
  const problem = snapshotProblem(checkpoint.snapshot, checkpoint);
  if (problem) throw damaged(checkpoint, problem);
}

function damaged(checkpoint: Checkpoint, problem: string): StatecrewError {
  return new StatecrewError(
    'corrupt_checkpoint',
    `The checkpoint of run '${checkpoint.runId}' is damaged (${problem}): it was left as it was`,
  );
}

function fieldProblem(checkpoint: Checkpoint): string | undefined {
  if (!isStringList(checkpoint.taskIds)) return 'taskIds is not a list of task ids';
  if (checkpoint.agentIds !== undefined && !isStringList(checkpoint.agentIds)) {
    return 'agentIds is not a list of agent ids';
  }
  if (!isRecord(checkpoint.inputs)) return 'inputs is not an object';
  if (!isRecord(checkpoint.snapshot)) return 'snapshot is not an object';
  return undefined;
}

interface CrewSnapshot {
  status?: unknown;
  context?: { runId?: unknown; tasks?: unknown; outcomes?: unknown; index?: unknown };
  children?: unknown;
}

function snapshotProblem(value: unknown, { runId, taskIds }: Checkpoint): string | undefined {
  const snapshot = value as CrewSnapshot;
  if (snapshot.status !== 'active' && snapshot.status !== 'done') {
    return `its status is ${JSON.stringify(snapshot.status)}, not active or done`;
  }
  const context = snapshot.context;
  if (!isRecord(context)) return 'the crew snapshot has no context';
  // Its actors find their run by this id: another one would name (and act for) another run.
  if (context.runId !== runId) return `its crew snapshot is of run ${JSON.stringify(context.runId)}`;
  const tasks = context.tasks;
  if (!Array.isArray(tasks) || tasks.map((t: { id?: unknown }) => t?.id).join('\n') !== taskIds.join('\n')) {
    return "the crew's task list does not match its taskIds";
  }
  const chunks = context.outcomes;
  const chunkCount = Math.ceil(taskIds.length / CHUNK_SIZE);
  if (!Array.isArray(chunks) || chunks.length !== chunkCount || !chunks.every(Array.isArray)) {
    return "the crew's outcomes are not in chunks of its tasks";
  }
  const index = context.index;
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) > taskIds.length) {
    return `its position in the task list (${JSON.stringify(index)}) is not one`;
  }
  return snapshot.status === 'active' ? missingActor(snapshot, taskIds) : undefined;
}

/** A running crew holds an actor for every task without an outcome (in `batch:` actors when it is large). */
function missingActor(snapshot: CrewSnapshot, taskIds: string[]): string | undefined {
  if (!isRecord(snapshot.children)) return 'the crew snapshot has no children';
  const live = taskActorIds(snapshot.children);
  const source = snapshot.context as OutcomeSource;
  const missing = taskIds.find((id) => !outcomeOf(source, id) && !live.has(id));
  return missing === undefined ? undefined : `task '${missing}' has neither an outcome nor an actor`;
}

function taskActorIds(children: Record<string, unknown>, into = new Set<string>()): Set<string> {
  for (const [id, child] of Object.entries(children)) {
    const snapshot = (child as { snapshot?: { children?: unknown } } | null)?.snapshot;
    if (!isRecord(snapshot)) continue;
    const taskId = taskIdOfActor(id);
    if (taskId !== undefined) into.add(taskId);
    else if (id.startsWith('batch:') && isRecord(snapshot.children)) taskActorIds(snapshot.children, into);
  }
  return into;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
