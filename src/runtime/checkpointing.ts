import type { CrewContext } from '../../machines/crew-chart.js';
import { outcomeCount } from '../../machines/crew-outcomes.js';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint, type CheckpointStore } from '../checkpoint/types.js';
import type { CrewActor } from './run-driver.js';
import type { RunEnv } from './run-env.js';

/** What a run's checkpoints say about it, besides the snapshot. */
export type CheckpointMeta = Pick<
  Checkpoint,
  'runId' | 'crewName' | 'process' | 'taskIds' | 'agentIds' | 'inputs'
>;

/**
 * Saves a run's persisted snapshot to a store after every task completes and whenever a task waits
 * for a person. At most one write is in flight and at most one waits: a newer checkpoint replaces the
 * waiting one, since it is a newer snapshot of the same run and holds every completion the older one
 * did. So the store is never older than the last completed write, and tasks finishing faster than the
 * store writes do not queue a full checkpoint each. `flush()` waits until the newest checkpoint is written.
 */
export class RunCheckpointer {
  /** Settles (never rejects) once nothing is left to write. */
  #writing: Promise<void> | undefined;
  #waiting: Checkpoint | undefined;
  #lastOutcomes: unknown;
  #error: unknown;

  constructor(
    private readonly store: CheckpointStore,
    private readonly meta: CheckpointMeta,
  ) {}

  /** The checkpointer of a prepared run: its id, crew, task and agent ids (in crew order) and inputs. */
  static forRun(store: CheckpointStore, env: RunEnv): RunCheckpointer {
    return new RunCheckpointer(store, {
      runId: env.runId,
      crewName: env.crewName,
      process: env.process,
      taskIds: [...env.tasks.keys()],
      agentIds: [...env.agents.keys()],
      inputs: env.inputs,
    });
  }

  /** Call with every settled snapshot of the crew: saves when a task outcome was recorded. */
  observe(actor: CrewActor): void {
    const snapshot = actor.getSnapshot();
    const context = snapshot.context as CrewContext;
    // Recording an outcome makes new chunks, and nothing else does.
    const outcomes = context.outcomes;
    if (snapshot.status !== 'active' || outcomes === this.#lastOutcomes) return;
    // A failed run keeps its last good checkpoint, so resume runs the failed task again.
    if (snapshot.value === 'failed') return;
    const first = this.#lastOutcomes === undefined;
    this.#lastOutcomes = outcomes;
    if (!first || outcomeCount(context) > 0) this.save(actor, 'task.completed');
  }

  /**
   * A task entered `human-input` inside its own step; the crew's snapshot is consistent only once
   * that step has finished, so the save is taken on the next turn of the event loop.
   */
  saveSoon(actor: CrewActor, reason: Checkpoint['reason']): void {
    setImmediate(() => {
      if (actor.getSnapshot().status === 'active') this.save(actor, reason);
    });
  }

  save(actor: CrewActor, reason: Checkpoint['reason']): void {
    // A replaced checkpoint's reason goes with it: the reason describes its own snapshot, and resume
    // reads only the snapshot (a task waiting for a person in the newer one asks again; one no longer
    // waiting was answered). Once saves stop, the store holds what writing every save in turn would leave.
    this.#waiting = {
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      ...this.meta,
      reason,
      savedAt: new Date().toISOString(),
      // XState never mutates a snapshot it has handed out; the store serialises it (once).
      snapshot: actor.getPersistedSnapshot(),
    };
    // Started on a microtask: the store's work runs after the actor's current step, not inside it.
    this.#writing ??= Promise.resolve().then(() => this.#writeWaiting());
  }

  async #writeWaiting(): Promise<void> {
    for (let next = this.#waiting; next; next = this.#waiting) {
      this.#waiting = undefined;
      try {
        await this.store.save(this.meta.runId, next);
      } catch (error) {
        // The run fails with it at the end (`flush`); later checkpoints are still tried meanwhile.
        this.#error ??= error;
      }
    }
    this.#writing = undefined;
  }

  /** Waits until every save so far is written (the newest last); rejects with the first write error. */
  async flush(): Promise<void> {
    await this.#writing;
    if (this.#error) throw this.#error;
  }
}
