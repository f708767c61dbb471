import type { CrewContext } from '../../machines/crew-chart.js';
import { outcomeCount } from '../../machines/crew-outcomes.js';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint, type CheckpointStore } from '../checkpoint/types.js';
import type { CrewActor } from './run-driver.js';

/** What a run's checkpoints say about it, besides the snapshot. */
export type CheckpointMeta = Pick<
  Checkpoint,
  'runId' | 'crewName' | 'process' | 'taskIds' | 'agentIds' | 'inputs'
>;

/**
 * Saves a run's persisted snapshot to a store after every task completes and whenever a task waits
 * for a person. Writes are queued so they land in order; `flush()` waits for them.
 */
export class RunCheckpointer {
  #queue: Promise<void> = Promise.resolve();
  #lastOutcomes: unknown;
  #error: unknown;

  constructor(
    private readonly store: CheckpointStore,
    private readonly meta: CheckpointMeta,
  ) {}

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
    const checkpoint: Checkpoint = {
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      ...this.meta,
      reason,
      savedAt: new Date().toISOString(),
      // XState never mutates a snapshot it has handed out; the store serialises it (once).
      snapshot: actor.getPersistedSnapshot(),
    };
    this.#queue = this.#queue
      .then(() => this.store.save(this.meta.runId, checkpoint))
      .catch((error: unknown) => {
        this.#error ??= error;
      });
  }

  /** Waits for every queued write; rejects with the first write error. */
  async flush(): Promise<void> {
    await this.#queue;
    if (this.#error) throw this.#error;
  }
}
