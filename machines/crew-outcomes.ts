import type { TaskOutcome, TaskSpec } from './types.js';

/** Tasks per outcome chunk: about √N for 10,000 tasks, so a record copies two short arrays. */
export const CHUNK_SIZE = 100;

/**
 * The crew's task outcomes, immutable and cheap to extend: chunk `k` holds the outcomes of the tasks
 * at positions `k*CHUNK_SIZE … k*CHUNK_SIZE+CHUNK_SIZE-1`, in order, `null` for a task without one yet.
 * Recording one copies a chunk and the outer array (O(N/CHUNK_SIZE + CHUNK_SIZE)), not every outcome
 * so far; both are arrays, so the copies are flat and the snapshot stays JSON.
 */
export type OutcomeChunks = Array<Array<TaskOutcome | null>>;

/** What the helpers read: the crew's task list and its outcomes (a crew context, live or persisted). */
export interface OutcomeSource {
  tasks: readonly TaskSpec[];
  outcomes: OutcomeChunks;
}

// Per task list, not in the context: snapshots stay plain data, and a restored crew rebuilds it once.
const positionsByTasks = new WeakMap<readonly TaskSpec[], Map<string, number>>();

/** The position of a task in the crew's list, or undefined when it is not there. */
function positionOf(tasks: readonly TaskSpec[], taskId: string): number | undefined {
  let positions = positionsByTasks.get(tasks);
  if (!positions) {
    positions = new Map(tasks.map((task, at) => [task.id, at]));
    positionsByTasks.set(tasks, positions);
  }
  return positions.get(taskId);
}

const chunkOf = (position: number) => Math.floor(position / CHUNK_SIZE);
const slotOf = (position: number) => position % CHUNK_SIZE;

/** The chunks of a task list, holding `initial` (outcomes by task id, e.g. a replay's). */
export function chunkOutcomes(
  tasks: readonly TaskSpec[],
  initial: Record<string, TaskOutcome> = {},
): OutcomeChunks {
  return Array.from({ length: Math.ceil(tasks.length / CHUNK_SIZE) }, (_, k) =>
    tasks.slice(k * CHUNK_SIZE, (k + 1) * CHUNK_SIZE).map((task) => initial[task.id] ?? null),
  );
}

export function outcomeOf(source: OutcomeSource, taskId: string): TaskOutcome | undefined {
  const at = positionOf(source.tasks, taskId);
  return (at === undefined ? undefined : source.outcomes[chunkOf(at)]?.[slotOf(at)]) ?? undefined;
}

/** New chunks with the outcome recorded; the same chunks when the task is not in the list. */
export function withOutcome(source: OutcomeSource, outcome: TaskOutcome): OutcomeChunks {
  const at = positionOf(source.tasks, outcome.taskId);
  if (at === undefined) return source.outcomes;
  const chunks = source.outcomes.slice();
  const chunk = chunks[chunkOf(at)].slice();
  chunk[slotOf(at)] = outcome;
  chunks[chunkOf(at)] = chunk;
  return chunks;
}

/** Every recorded outcome, in crew order. */
export function outcomeList(source: Pick<OutcomeSource, 'outcomes'>): TaskOutcome[] {
  return source.outcomes.flat().filter((outcome) => outcome !== null);
}

/** Every recorded outcome by task id, in crew order. */
export function recordedOutcomes(source: Pick<OutcomeSource, 'outcomes'>): Record<string, TaskOutcome> {
  return Object.fromEntries(outcomeList(source).map((outcome) => [outcome.taskId, outcome]));
}

export function outcomeCount(source: Pick<OutcomeSource, 'outcomes'>): number {
  let count = 0;
  for (const chunk of source.outcomes) for (const outcome of chunk) if (outcome) count++;
  return count;
}
