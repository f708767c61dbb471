import { createActor, type Actor, type InspectionEvent, type Observer, type Snapshot } from 'xstate';
import type { CrewContext, CrewInput } from '../../machines/crew-chart.js';
import { outcomeList } from '../../machines/crew-outcomes.js';
import { abortedBy, CrewAbortedError, reportLater } from '../errors.js';
import { corruptCheckpoint } from './checkpoint-shape.js';
import { filterInspection } from '../inspect/filter.js';
import { CrewOutput } from '../outputs.js';
import { addUsage, emptyUsage, type UsageMetrics } from '../usage.js';
import { runtimeHierarchicalMachine, runtimeSequentialMachine } from './implementations.js';
import type { CheckpointStore } from '../checkpoint/types.js';
import { RunCheckpointer } from './checkpointing.js';
import { registerRun, unregisterRun, type RunEnv } from './run-env.js';
import { whenAborted } from './when-aborted.js';
import { endOpenTasks, trackOpenTasks } from './open-tasks.js';
import { restoredSnapshot } from './restore-snapshot.js';

export type CrewMachine = typeof runtimeSequentialMachine;
export type CrewActor = Actor<CrewMachine>;
export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export function machineFor(process: 'sequential' | 'hierarchical'): CrewMachine {
  return process === 'hierarchical' ? runtimeHierarchicalMachine : runtimeSequentialMachine;
}

export interface LaunchOptions {
  env: RunEnv;
  input: CrewInput;
  snapshot?: Snapshot<unknown>;
  inspect?: Inspector;
  /** Aborting it stops the run's actor (in-flight model calls are aborted); an unstarted one never starts. */
  signal?: AbortSignal;
  /** Where the run's checkpoints go (SPEC §11); none are saved without one. */
  store?: CheckpointStore;
  /**
   * A new run under an id its caller chose: when its first checkpoint is written, a store that already
   * holds the id (another process's run, say) is left as it is, and the run fails with `run_id_in_use`.
   */
  claimRunId?: boolean;
  /** Called when the actor starts (before its first step): an event-driven run says `crew.started` then. */
  onStart?: () => void;
}

/** How a run's actor ended: with its output, with an error, or (neither) stopped from outside. */
export interface RunEnd {
  output?: CrewOutput;
  error?: Error;
}

export interface CrewRun {
  /** The crew actor, not started. */
  actor: CrewActor;
  /**
   * Settles (never rejects) once the actor has ended and its newest checkpoint is written: with the
   * output when it is done; with its error, or else the first failed checkpoint write; with neither when
   * it was stopped. When the signal aborted it: with `CrewAbortedError`, once the writes are done or
   * after at most 5 s (a hung store), whichever comes first (see `flush`).
   */
  ended: Promise<RunEnd>;
  /** Waits until every checkpoint saved so far is written (the newest last); rejects with the first failed write. */
  flush(): Promise<void>;
}

export interface LaunchedRun {
  actor: CrewActor;
  /** Settles when the run ends; nothing of the run is left running after it settles. */
  result: Promise<CrewOutput>;
  usage(): UsageMetrics;
}

const crewRuns = new WeakMap<CrewActor, CrewRun>();

/** How long an aborted run waits for its checkpoint writes before it answers anyway. */
const ABORT_WAIT_MS = 5_000;

/** The run an actor of `createRun` drives (undefined for any other actor). */
export function runOfActor(actor: CrewActor): CrewRun | undefined {
  return crewRuns.get(actor);
}

/**
 * Registers a prepared run and creates its crew actor (not started), wired for its whole life the same
 * way whoever drives it (kickoff, or events sent by the caller of `crew.createActor`): with a store, a
 * checkpoint is saved after every task completion, when a task waits for a person, and when the run is
 * done (`crew.completed`), coalesced by a RunCheckpointer; an aborted signal stops the actor, keeping the
 * last checkpoint for resume; and the run is unregistered once the actor ends (done, failed or stopped).
 */
export function createRun(options: LaunchOptions): CrewRun {
  const { env, signal, store } = options;
  registerRun(env);
  let actor: CrewActor;
  try {
    actor = createCrewActor(options);
  } catch (error) {
    // A run that could not be created holds its id no longer.
    unregisterRun(env.runId);
    throw options.snapshot ? corruptCheckpoint(env.runId, error) : error;
  }
  let refused = (_error: Error) => {};
  const checkpointer = store
    ? RunCheckpointer.forRun(store, env, {
        claim: options.claimRunId,
        restored: !!options.snapshot,
        onRefused: (error) => refused(error),
      })
    : undefined;
  if (checkpointer) {
    env.onHumanInputRequested = (taskId) => checkpointer.saveSoon(actor, 'human.input.requested', taskId);
  }
  let resolveEnded!: (end: RunEnd) => void;
  const ended = new Promise<RunEnd>((resolve) => (resolveEnded = resolve));
  let over = false;
  let stopWaiting = () => {};
  // An abort (or a stop) waits for the checkpoints asked for so far (a process about to exit keeps them),
  // but no longer than ABORT_WAIT_MS: a store that hangs must not hold it for ever. They still go on being
  // written; `flush` (crew.flushCheckpoints) waits for them.
  const settleWithin = (written: Promise<void>, result: RunEnd) => {
    // Not unref'd: a process whose only work left is this wait still sees the abort's rejection.
    const timer = setTimeout(() => resolveEnded(result), ABORT_WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      resolveEnded(result);
    };
    written.then(done, done);
  };
  const end = (result: RunEnd) => {
    if (over) return;
    over = true;
    subscription.unsubscribe();
    if (result.output) checkpointer?.saveNow(actor, 'crew.completed');
    actor.stop();
    unregisterRun(env.runId);
    const written = checkpointer ? checkpointer.flush() : Promise.resolve();
    stopWaiting();
    if (result.error instanceof CrewAbortedError || (!result.output && !result.error)) {
      settleWithin(written, result);
      return;
    }
    // Still waiting for the last checkpoints when the signal aborts: the abort's bound applies.
    stopWaiting = whenAborted(signal, () => settleWithin(written, { error: abortedBy(signal) }));
    written.then(
      () => resolveEnded(result),
      (writeError: unknown) => resolveEnded({ ...result, error: result.error ?? (writeError as Error) }),
    );
    const stopListening = () => stopWaiting();
    written.then(stopListening, stopListening);
  };
  const onAbort = () => end({ error: abortedBy(signal) });
  refused = (error) => end({ error });
  const subscription = actor.subscribe({
    next: (snapshot) => {
      if (snapshot.status === 'done') end({ output: snapshot.output as CrewOutput });
      else checkpointer?.observe(actor);
    },
    error: (error) => end({ error: error instanceof Error ? error : new Error(String(error)) }),
    // stop() completes observers: a stopped actor releases its run too.
    complete: () => end({}),
  });
  // A run that ended before it started (its signal aborted) never starts.
  let started = false;
  const start = actor.start.bind(actor);
  actor.start = () => {
    if (over || started) return actor;
    started = true;
    options.onStart?.();
    return start();
  };
  const stop = actor.stop.bind(actor);
  actor.stop = () => {
    // A checkpoint asked for and not yet taken (they are paced) is taken before the snapshot goes.
    checkpointer?.settle(actor);
    const stopped = stop();
    // XState tells no observer when an actor that never started is stopped: the run is released here.
    if (!started) end({});
    return stopped;
  };
  stopWaiting = whenAborted(signal, onAbort);
  const run: CrewRun = { actor, ended, flush: () => checkpointer?.flush() ?? Promise.resolve() };
  crewRuns.set(actor, run);
  return run;
}

function createCrewActor(options: LaunchOptions): CrewActor {
  const inspect = options.inspect;
  return createActor(machineFor(options.env.process), {
    input: options.input,
    systemId: 'crew',
    // A restored run's work not done yet follows the crew as it is now, with fresh deadlines.
    ...(options.snapshot ? { snapshot: restoredSnapshot(options.snapshot, options.input, Date.now()) } : {}),
    // Large crews stay inspectable (src/inspect/filter.ts); an inspector that throws does not stop the run.
    ...(inspect ? { inspect: guarded(filterInspection(inspect)) } : {}),
  });
}

function guarded(inspect: (event: InspectionEvent) => void): (event: InspectionEvent) => void {
  return (event) => {
    try {
      inspect(event);
    } catch (error) {
      reportLater(error);
    }
  };
}

/** Starts a run and settles with its output, its error, or CrewAbortedError when the signal aborts. */
export function launchRun(options: LaunchOptions): LaunchedRun {
  const { env } = options;
  const settle = runEnding(env);
  const { actor, ended } = createRun(options);
  const result = ended.then(settle);
  actor.start();
  return { actor, result, usage: () => usageSoFar(actor, env) };
}

/**
 * How a run's end is told (call before its actor starts): its output, or its error — a stopped run's is
 * `CrewAbortedError` — thrown after `task.failed` for each task still at work and `crew.failed`.
 */
export function runEnding(env: RunEnv): (end: RunEnd) => CrewOutput {
  const open = env.observed ? trackOpenTasks(env) : undefined;
  return ({ output, error }) => {
    if (error || !output) {
      const failure = error ?? new CrewAbortedError();
      releaseFrames(failure);
      if (open) endOpenTasks(env, open, failure);
      if (env.observed) env.emit({ type: 'crew.failed', runId: env.runId, error: failure });
      throw failure;
    }
    if (env.observed) env.emit({ type: 'crew.completed', runId: env.runId, output });
    return output;
  };
}

/**
 * Usage of a run so far (a failed or aborted run still used tokens): every task the crew recorded, and
 * what this run's model calls used for the tasks it had not recorded (a loop at work, a coworker's job
 * for it, a guardrail judge).
 */
export function usageSoFar(actor: CrewActor, env: RunEnv): UsageMetrics {
  const context = actor.getSnapshot().context as CrewContext | undefined;
  // An actor that failed while starting has no outcomes to count.
  const recorded = context?.outcomes ? outcomeList(context) : [];
  let usage = emptyUsage();
  for (const outcome of recorded) usage = addUsage(usage, outcome.usage);
  const reported = new Set(recorded.map((outcome) => outcome.taskId));
  for (const [taskId, used] of env.usageByTask) if (!reported.has(taskId)) usage = addUsage(usage, used);
  return usage;
}

/**
 * V8 keeps an error's stack frames (and what they hold: the run's actors, its inputs) until `.stack` is
 * first read. A caller that keeps the rejection (a failure log, `allSettled`) would keep the whole run:
 * 224 KB per aborted run with a 100 KB input, 9 KB once read. So the run's error and its causes are
 * formatted now.
 */
function releaseFrames(error: unknown): void {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) void at.stack;
}
