import type { Inputs } from '../interpolation.js';

/**
 * The version of the checkpoint format this build writes; it reads this one and older ones.
 * 2: the crew snapshot's `context.outcomes` is in chunks by task position (format 1: one record by id).
 * 3: a task runs its agent's loop in its own states, its data in `context.loop` (format 2: a `job` child).
 * 4: a finished task's outcome is kept once, in the crew's `context.outcomes` (format 3 also kept it in
 *    the task actor's `output` and `context.outcome`).
 * 5: invoked actors are keyed by name (`callModel`, `runGuardrails`, …), not by XState's made-up ids.
 */
export const CHECKPOINT_FORMAT_VERSION = 5;

/** What a checkpoint store keeps for one run: the crew's persisted XState snapshot and what it needs to resume. */
export interface Checkpoint {
  formatVersion: number;
  runId: string;
  crewName: string;
  process: 'sequential' | 'hierarchical';
  /** Task ids in crew order; a resume with a crew whose tasks differ is refused. */
  taskIds: string[];
  agentIds: string[];
  inputs: Inputs;
  /** Why it was saved: a task finished, a task waits for a human, or the run ended. */
  reason: 'task.completed' | 'human.input.requested' | 'crew.completed' | 'crew.failed' | 'kickoff';
  savedAt: string;
  /**
   * `actor.getPersistedSnapshot()` of the crew actor (JSON-safe), each finished task's outcome kept once:
   * in the crew's `context.outcomes` (the task actors' copies are put back when it is restored).
   */
  snapshot: unknown;
}

/** Where durable runs keep their checkpoints; implement it to use a database. */
export interface CheckpointStore {
  save(runId: string, checkpoint: Checkpoint): Promise<void>;
  /** The checkpoint of that run, or undefined when there is none. */
  load(runId: string): Promise<Checkpoint | undefined>;
  /** Run ids with a checkpoint, most recently saved last. */
  list(): Promise<string[]>;
  delete(runId: string): Promise<void>;
}
