import type { CrewContext } from '../../machines/crew-chart.js';
import { outcomeCount } from '../../machines/crew-outcomes.js';
import { taskActorId } from '../../machines/types.js';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint, type CheckpointStore } from '../checkpoint/types.js';
import { runIdInUse } from '../checkpoint/run-id.js';
import { StatecrewError } from '../errors.js';
import { withoutFinishedOutcomes } from './finished-outcomes.js';
import type { CrewActor } from './run-driver.js';
import type { RunEnv } from './run-env.js';

/** What a run's checkpoints say about it, besides the snapshot. */
export type CheckpointMeta = Pick<
  Checkpoint,
  'runId' | 'crewName' | 'process' | 'taskIds' | 'agentIds' | 'inputs'
>;

/**
 * A checkpoint is the whole snapshot (O(N) for N tasks). In a crew of up to EAGER_TASKS tasks a save
 * takes its snapshot at once, as the step that asked for it left the crew — so a run that fails right
 * after still has every completion before the failure. A larger crew's saves are taken lazily and
 * paced: after a checkpoint that took C ms (snapshot and serialising), the next is taken no sooner than
 * PACE × C ms later, so checkpoints cost at most about 1 / (PACE + 1) of a run whose tasks finish faster
 * than its checkpoints can be taken. Without that, a crew of N fast tasks takes N checkpoints of O(N)
 * each (a 4,000-task crew: minutes instead of a second). With real models (seconds per task) no
 * checkpoint waits: each is far apart from the previous one already.
 */
const EAGER_TASKS = 100;
const PACE = 4;

type Reason = Checkpoint['reason'];

/** How a run is checkpointed: see `RunCheckpointer.forRun`. */
export interface RunCheckpointing {
  claim?: boolean;
  restored?: boolean;
  /** Called when a claimed run id turns out to be the store's already (the run should stop). */
  onRefused?: (error: Error) => void;
}
/**
 * A save asked for: its snapshot is taken when it is written (`later`), or was taken already (`taken`,
 * with what taking it cost in ms, and how many saves asked for so far it holds).
 */
type Pending = { later: CrewActor; reason: Reason } | { taken: Checkpoint; cost: number; holds: number };

/**
 * Saves a run's persisted snapshot to a store after every task completes and whenever a task waits
 * for a person. One write is in flight at a time, and one save waits: a newer save replaces the
 * waiting one, since a newer snapshot of the same run holds every completion the older one did. A
 * waiting save of a large crew takes its snapshot only when it is written (saves replaced meanwhile
 * cost nothing), paced as above; when the run ends or its actor stops, a waiting save is taken at
 * once. So the store is never older than the last completed write, and tasks finishing faster than
 * the store writes do not queue a full checkpoint each. `flush()` waits until the newest one is written.
 */
export class RunCheckpointer {
  /** Settles (never rejects) once nothing is left to write. */
  #writing: Promise<void> | undefined;
  #pending: Pending | undefined;
  /** The reason of a save `saveSoon` asked for, until it is taken. */
  #soon: Reason | undefined;
  #lastOutcomes: unknown;
  #error: unknown;
  /** Whether saves take their snapshot at once (a crew of up to EAGER_TASKS tasks). */
  readonly #eager: boolean;
  /** When (performance.now()) the next paced checkpoint may be taken. */
  #notBefore = 0;
  /** Saves asked for so far, and how many of them the written checkpoints hold (a checkpoint holds every save asked for before its snapshot). */
  #asked = 0;
  #held = 0;
  /** The saves a flush or the run's end waits for: no pace is waited out until they are held. */
  #hurryUntil = 0;
  /** Called whenever a write ends, and when nothing is left to write. */
  #progress: Array<() => void> = [];
  /** Ends a wait for the pace that has begun. */
  #wake: (() => void) | undefined;

  /** Before the first write: the store must not hold the run's id yet (`claim`); after a refusal: none. */
  #claim: 'check' | 'refused' | undefined;

  /** A restored run: its first snapshot is what the store holds already, so it is not saved again. */
  readonly #restored: boolean;
  readonly #onRefused: ((error: Error) => void) | undefined;

  constructor(
    private readonly store: CheckpointStore,
    private readonly meta: CheckpointMeta,
    { claim = false, restored = false, onRefused }: RunCheckpointing = {},
  ) {
    this.#eager = meta.taskIds.length <= EAGER_TASKS;
    if (claim) this.#claim = 'check';
    this.#restored = restored;
    this.#onRefused = onRefused;
  }

  /**
   * The checkpointer of a prepared run: its id, crew, task and agent ids (in crew order) and inputs. With
   * `claim` (an id its caller chose), a store already holding the id when the first checkpoint is written
   * is left as it is and the run fails with `run_id_in_use`: a new run never overwrites another one. A
   * `restored` run saves from its first change on (what it was restored from is in the store already).
   */
  static forRun(store: CheckpointStore, env: RunEnv, how: RunCheckpointing = {}): RunCheckpointer {
    const meta = {
      runId: env.runId,
      crewName: env.crewName,
      process: env.process,
      taskIds: [...env.tasks.keys()],
      agentIds: [...env.agents.keys()],
      inputs: env.inputs,
    };
    return new RunCheckpointer(store, meta, how);
  }

  /** Call with every settled snapshot of the crew: saves when a task outcome was recorded. */
  observe(actor: CrewActor): void {
    // Called from the actor's subscription, where a throw would be uncaught: it fails the run at its end.
    try {
      this.#observe(actor);
    } catch (error) {
      this.#error ??= error;
    }
  }

  #observe(actor: CrewActor): void {
    const snapshot = actor.getSnapshot();
    const context = snapshot.context as CrewContext;
    // Recording an outcome makes new chunks, and nothing else does.
    const outcomes = context.outcomes;
    if (snapshot.status !== 'active' || outcomes === this.#lastOutcomes) return;
    // A failed run keeps its last good checkpoint, so resume runs the failed task again.
    if (snapshot.value === 'failed') return;
    const first = this.#lastOutcomes === undefined;
    this.#lastOutcomes = outcomes;
    // A new run's first snapshot has no outcome yet (unless it replays); a restored run's is in the store.
    if (first && (this.#restored || outcomeCount(context) === 0)) return;
    this.save(actor, 'task.completed');
  }

  /**
   * A task entered `human-input` inside its own step; the crew's snapshot is consistent only once
   * that step has finished, so the save is asked for on the next turn of the event loop.
   */
  saveSoon(actor: CrewActor, reason: Reason, waitingTask?: string): void {
    this.#soon = reason;
    setImmediate(() => {
      const soon = this.#soon;
      this.#soon = undefined;
      if (!soon || actor.getSnapshot().status !== 'active') return;
      // Approved already (a handler that answers at once): the task's completion was saved as such, and a
      // save under this reason would say someone waits where no one does. (Feedback that sent the task
      // back to its agent is saved: the revision under way holds it.)
      if (waitingTask !== undefined) {
        // A finished task's actor may be gone already.
        const task = actor.system.get(taskActorId(waitingTask));
        if (!task || task.getSnapshot().status === 'done') return;
      }
      this.save(actor, soon);
    });
  }

  /**
   * Asks for a checkpoint of the actor: taken now in a crew of up to EAGER_TASKS tasks, else when it is
   * written.
   * A replaced save's reason goes with it: the reason describes its own snapshot, and resume reads only
   * the snapshot (a task waiting for a person in the newer one asks again; one no longer waiting was
   * answered).
   */
  save(actor: CrewActor, reason: Reason): void {
    this.#asked++;
    if (this.#eager) this.#takeNow(actor, reason);
    else this.#pending = { later: actor, reason };
    this.#startWriting();
  }

  /** Takes a checkpoint of the actor as it is now (it is about to stop) and writes it next, unpaced. */
  saveNow(actor: CrewActor, reason: Reason): void {
    this.#asked++;
    this.#takeNow(actor, reason);
    this.#startWriting();
    this.#hasten();
  }

  #takeNow(actor: CrewActor, reason: Reason): void {
    try {
      const started = performance.now();
      const checkpoint = this.#take(actor, reason);
      const cost = performance.now() - started;
      if (checkpoint) this.#pending = { taken: checkpoint, cost, holds: this.#asked };
    } catch (error) {
      // A snapshot that cannot be taken fails the run at its end (`flush`), not the actor's step.
      this.#error ??= error;
    }
  }

  /**
   * The actor is about to stop: a save still waiting is taken now, while its snapshot exists — also one
   * asked for soon (a handler that aborts the run as it is asked for a review must not lose the
   * checkpoint of the task waiting for it: resume would run that task's model again).
   */
  settle(actor: CrewActor): void {
    const soon = this.#soon;
    this.#soon = undefined;
    // A run that finished meanwhile is saved as completed (by the run's end), not as waiting.
    if (soon && actor.getSnapshot().status === 'active') this.saveNow(actor, soon);
    else if (this.#pending && 'later' in this.#pending) this.saveNow(actor, this.#pending.reason);
  }

  /**
   * Waits until every save asked for so far is written (saves asked for later are not waited for);
   * rejects with the first error.
   */
  async flush(): Promise<void> {
    const asked = this.#asked;
    this.#hasten();
    while (this.#writing && this.#held < asked) {
      await new Promise<void>((resolve) => this.#progress.push(resolve));
    }
    if (this.#error) throw this.#error;
  }

  /** No pace is waited out until the saves asked for so far are written. */
  #hasten(): void {
    this.#hurryUntil = this.#asked;
    this.#wake?.();
  }

  #progressed(): void {
    for (const resolve of this.#progress.splice(0)) resolve();
  }

  #startWriting(): void {
    // Started on a microtask: the store's work runs after the actor's current step, not inside it.
    this.#writing ??= Promise.resolve().then(() => this.#writeAll());
  }

  async #writeAll(): Promise<void> {
    try {
      while (this.#pending) {
        if ('later' in this.#pending) await this.#paced();
        const pending = this.#pending;
        this.#pending = undefined;
        const started = performance.now();
        const holds = 'taken' in pending ? pending.holds : this.#asked;
        // A run that failed or stopped meanwhile keeps its last good checkpoint.
        const checkpoint = 'taken' in pending ? pending.taken : this.#take(pending.later, pending.reason);
        const taking = 'taken' in pending ? pending.cost : performance.now() - started;
        if (checkpoint) await this.#write(checkpoint, taking);
        this.#held = Math.max(this.#held, holds);
        this.#progressed();
      }
    } catch (error) {
      // Taking a snapshot threw: the run fails with it at the end (`flush`), and later saves still try.
      this.#error ??= error;
    } finally {
      this.#writing = undefined;
      this.#progressed();
    }
  }

  /** `taking`: what taking the checkpoint's snapshot cost (ms); serialising it adds to that. */
  async #write(checkpoint: Checkpoint, taking: number): Promise<void> {
    try {
      if (this.#claim && !(await this.#claimed())) return;
      const serialising = performance.now();
      const written = this.store.save(this.meta.runId, checkpoint);
      const now = performance.now();
      this.#notBefore = now + PACE * (taking + (now - serialising));
      await written;
    } catch (error) {
      // The run fails with it at the end (`flush`); later checkpoints are still tried meanwhile.
      this.#error ??= storeError(this.meta.runId, error);
    }
  }

  /** Whether checkpoints may be written: the first one of a claimed run id looks in the store first. */
  async #claimed(): Promise<boolean> {
    if (this.#claim === 'refused') return false;
    if (this.#claim === 'check') {
      // A read that fails leaves the check to the next write (this one is not made).
      if ((await this.store.load(this.meta.runId)) !== undefined) {
        this.#claim = 'refused';
        const refusal = runIdInUse(this.meta.runId);
        // The run stops at once: every task it would still run is lost work.
        this.#onRefused?.(refusal);
        throw refusal;
      }
      this.#claim = undefined;
    }
    return true;
  }

  #paced(): Promise<void> {
    const wait = this.#notBefore - performance.now();
    if (wait <= 0 || this.#held < this.#hurryUntil) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.#wake = done;
    });
  }

  #take(actor: CrewActor, reason: Reason): Checkpoint | undefined {
    const { status, value } = actor.getSnapshot();
    if ((status !== 'active' && status !== 'done') || value === 'failed') return undefined;
    return {
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      ...this.meta,
      reason,
      savedAt: new Date().toISOString(),
      // XState never mutates a snapshot it has handed out; the store serialises it (once).
      snapshot: withoutFinishedOutcomes(actor.getPersistedSnapshot()),
    };
  }
}

/** A custom store's failure, with a code like the file store's own (`checkpoint_io`), its error as the cause. */
function storeError(runId: string, error: unknown): unknown {
  if (error instanceof StatecrewError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StatecrewError('checkpoint_io', `Could not save the checkpoint of run '${runId}': ${message}`, {
    cause: error,
  });
}
