import { Observable } from 'rxjs';
import type { Agent } from './agent.js';
import type { Checkpoint, CheckpointStore } from './checkpoint/types.js';
import { validateCrew } from './crew-validation.js';
import {
  callbackFailed,
  abortedBy,
  CrewValidationError,
  inCallback,
  reportLater,
  StatecrewError,
} from './errors.js';
import type { AgentStep, CrewEvent } from './events.js';
import type { HumanInputHandler } from './human-input.js';
import { placeholders, validateInputs, type Inputs, type InputsOf } from './interpolation.js';
import type { LLM } from './llm/types.js';
import { createManagerAgent } from './manager.js';
import { TaskOutput, type CrewOutput } from './outputs.js';
import { Process } from './process.js';
import { terminalAvailable } from './runtime/human-feedback.js';
import { crewAgents, prepareRun, type CrewDefinition, type EventSink } from './runtime/prepare-run.js';
import {
  createRun,
  launchRun,
  machineFor,
  runEnding,
  runOfActor,
  type CrewActor,
  type CrewMachine,
  type Inspector,
} from './runtime/run-driver.js';
import {
  checkpointOutcomes,
  latestRunOf,
  loadCheckpoint,
  outcomesBefore,
  requireStore,
  type CheckpointOwner,
} from './runtime/durable.js';
import { checkRestorable, withNamedInvokes } from './runtime/checkpoint-upgrade.js';
import { announceStart } from './runtime/start-events.js';
import { checkCrewSnapshot, checkSnapshotTree, corruptCheckpoint } from './runtime/checkpoint-shape.js';
import type { Task } from './task.js';
import type { TaskOutcome } from '../machines/types.js';
import type { Snapshot } from 'xstate';
import { addUsage, emptyUsage, type UsageMetrics } from './usage.js';
import { consoleProgress } from './verbose.js';
import { unlessAborted, whenAborted } from './runtime/when-aborted.js';
import { assertRunIdFree, type AfterKickoffCallback } from './runtime/run-env.js';
import { assertValidRunId, runIdInUse } from './checkpoint/run-id.js';

export interface CrewOptions {
  agents: Agent[];
  tasks: Task[];
  process?: Process;
  managerLlm?: LLM | string;
  managerAgent?: Agent;
  /** Default requests per minute for every agent that sets none. */
  maxRpm?: number;
  /** Cache tool results per run, shared by all agents. */
  cache?: boolean;
  /** Human-readable progress on stderr. */
  verbose?: boolean;
  name?: string;
  taskCallback?: (output: TaskOutput) => unknown;
  stepCallback?: (step: AgentStep) => unknown;
  beforeKickoff?: Array<(inputs: Inputs) => Inputs | void | Promise<Inputs | void>>;
  afterKickoff?: AfterKickoffCallback[];
  humanInput?: HumanInputHandler;
  checkpoint?: CheckpointStore;
}

export interface KickoffOptions {
  /** Cancels the run: in-flight model requests are aborted and kickoff rejects with CrewAbortedError. */
  signal?: AbortSignal;
  /** Any XState inspection observer, e.g. `createWebSocketInspector({ url }).inspect`. */
  inspect?: Inspector;
  runId?: string;
  /**
   * Called with each of the run's events, in order: what `stream()` emits, for a caller who awaits the
   * output (progress, logs, a UI). It asks for model deltas, as a `stream()` subscriber does. A listener
   * that throws does not stop the run: its error is rethrown outside it, like an rxjs subscriber's.
   */
  onEvent?: (event: CrewEvent) => void;
}

/** kickoffForEach's options: each run gets an id of its own (a runId would be every run's). */
export type ForEachOptions = { concurrency?: number } & Omit<KickoffOptions, 'runId'>;

/** createActor's options: with `snapshot`, a persisted run of this crew is restored. */
export type ActorOptions = KickoffOptions & { snapshot?: Snapshot<unknown> };

let runCounter = 0;
const newRunId = () =>
  `run-${Date.now().toString(36)}-${(++runCounter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * A team of agents working through a list of tasks, sequentially or under a manager. Reusable:
 * every kickoff is a fresh actor, and two kickoffs may run at the same time.
 * @example
 * const crew = new Crew({ agents: [researcher, writer], tasks: [research, write] });
 * const result = await crew.kickoff({ topic: 'AI agents' });
 */
export class Crew {
  readonly name: string;
  readonly agents: Agent[];
  readonly tasks: Task[];
  readonly process: Process;
  readonly managerAgent?: Agent;
  readonly checkpoint?: CheckpointStore;
  /** Called with every task's output (after the task's own callback). */
  readonly taskCallback?: (output: TaskOutput) => unknown;
  /** Usage of the last kickoff (summed over every kickoff of the last kickoffForEach). */
  usageMetrics: UsageMetrics = emptyUsage();
  readonly #options: CrewOptions;
  readonly #definition: CrewDefinition;
  /** Progress lines for a verbose crew or verbose agents (stateless, so one serves every run). */
  readonly #progress: ((event: CrewEvent) => void) | undefined;

  constructor(options: CrewOptions) {
    this.#options = options;
    this.name = options.name ?? 'crew';
    this.agents = [...(options.agents ?? [])];
    this.tasks = [...(options.tasks ?? [])];
    this.process = options.process ?? Process.sequential;
    if (this.process !== Process.sequential && this.process !== Process.hierarchical) {
      throw new CrewValidationError('invalid_option', `Unknown process '${String(this.process)}'`);
    }
    validateCrew({ ...options, agents: this.agents, tasks: this.tasks, process: this.process });
    if (this.process === Process.hierarchical) {
      this.managerAgent = options.managerAgent ?? createManagerAgent(options.managerLlm!);
    }
    this.checkpoint = options.checkpoint;
    this.taskCallback = options.taskCallback;
    this.#definition = {
      name: this.name,
      process: this.process,
      agents: this.agents,
      tasks: this.tasks,
      manager: this.managerAgent,
      maxRpm: options.maxRpm,
      cache: options.cache ?? false,
      verbose: options.verbose ?? false,
      taskCallback: options.taskCallback,
      stepCallback: options.stepCallback,
      afterKickoff: options.afterKickoff ?? [],
      humanInput: options.humanInput,
    };
    this.#progress = consoleProgress({
      verbose: this.#definition.verbose,
      agents: crewAgents(this.#definition),
    });
  }

  /** A crew with the same definition and some options changed (e.g. `crew.with({ checkpoint })`). */
  with(options: Partial<CrewOptions>): Crew {
    return new Crew({ ...this.#options, ...options });
  }

  /** The crew's statechart (sequential or hierarchical) with statecrew's implementations provided. */
  get machine(): CrewMachine {
    return machineFor(this.process);
  }

  /** Every `{placeholder}` name used by the tasks and agents. */
  fetchInputs(): Set<string> {
    const texts = [
      ...this.tasks.flatMap((t) => [t.description, t.expectedOutput, t.outputFile ?? '']),
      ...crewAgents(this.#definition).flatMap((a) => [a.role, a.goal, a.backstory]),
    ];
    return new Set(texts.flatMap(placeholders));
  }

  /** Runs the crew to its end. */
  kickoff<T extends object>(inputs: InputsOf<T>, options?: KickoffOptions): Promise<CrewOutput>;
  kickoff(inputs?: Inputs, options?: KickoffOptions): Promise<CrewOutput>;
  async kickoff(inputs?: object, options: KickoffOptions = {}): Promise<CrewOutput> {
    return this.#run(inputs as Inputs | undefined, options, this.#sink(options.onEvent));
  }

  /** One kickoff per input (in input order), `concurrency` at a time; usage is summed. */
  kickoffForEach<T extends object>(
    inputsList: readonly InputsOf<T>[],
    options?: ForEachOptions,
  ): Promise<CrewOutput[]>;
  kickoffForEach(inputsList: readonly Inputs[], options?: ForEachOptions): Promise<CrewOutput[]>;
  async kickoffForEach(list: readonly object[], options: ForEachOptions = {}): Promise<CrewOutput[]> {
    const inputsList = list as readonly Inputs[];
    if (!Array.isArray(inputsList)) throw new TypeError('kickoffForEach needs an array of inputs');
    for (const [i, inputs] of inputsList.entries()) {
      if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
        throw new TypeError(
          `kickoffForEach: input ${i} must be an object (got ${inputs === null ? 'null' : typeof inputs})`,
        );
      }
      // Every input's values are checked before the first kickoff: a bad last one loses no finished run.
      validateInputs(inputs);
    }
    // A runId passed anyway (from JavaScript) is left out as the types leave it out.
    const given = options as typeof options & { runId?: string };
    const { concurrency = 1, runId: _ignored, signal: outer, ...kickoffOptions } = given;
    if (!(Number.isInteger(concurrency) && concurrency >= 1) && concurrency !== Infinity) {
      throw new CrewValidationError(
        'invalid_option',
        `kickoffForEach: concurrency must be an integer ≥ 1 or Infinity (got ${String(concurrency)})`,
      );
    }
    // The first failure stops the other runs (nothing is left running when this rejects, SPEC §9).
    const controller = new AbortController();
    const stopForwarding = whenAborted(outer, () => controller.abort(outer?.reason));
    const outputs: CrewOutput[] = new Array(inputsList.length);
    let total = emptyUsage();
    // Every run's usage counts, a failed one's too.
    const sink = () => this.#sink(options.onEvent, (usage) => (total = addUsage(total, usage)));
    let failure: { error: unknown } | undefined;
    let next = 0;
    const worker = async () => {
      while (next < inputsList.length && !failure) {
        const i = next++;
        try {
          outputs[i] = await this.#run(
            inputsList[i],
            { ...kickoffOptions, signal: controller.signal },
            sink(),
          );
        } catch (error) {
          failure ??= { error };
          controller.abort();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, inputsList.length) }, worker));
    } finally {
      stopForwarding();
      this.usageMetrics = total;
    }
    if (failure) throw failure.error;
    return outputs;
  }

  /** The run's events, in order, completing after `crew.completed` or `crew.failed`. Unsubscribing aborts the run. */
  stream<T extends object>(inputs: InputsOf<T>, options?: KickoffOptions): Observable<CrewEvent>;
  stream(inputs?: Inputs, options?: KickoffOptions): Observable<CrewEvent>;
  stream(given?: object, options: KickoffOptions = {}): Observable<CrewEvent> {
    const inputs = given as Inputs | undefined;
    return new Observable<CrewEvent>((subscriber) => {
      const controller = new AbortController();
      const outer = options.signal;
      const stopForwarding = whenAborted(outer, () => controller.abort(outer?.reason));
      const { onEvent } = options;
      const sink = this.#sink((event) => {
        subscriber.next(event);
        onEvent?.(event);
      });
      const runId = options.runId ?? newRunId();
      // The id made here is new: only one the caller chose is looked up in the store.
      const given = options.runId !== undefined;
      // A kickoff refused before its run started ends the stream as a failed run does (`crew.failed`,
      // from #run): a subscriber with only `next` sees it, nothing throws.
      const complete = () => subscriber.complete();
      this.#run(inputs, { ...options, runId, signal: controller.signal }, sink, given).then(
        complete,
        complete,
      );
      return () => {
        stopForwarding();
        controller.abort();
      };
    });
  }

  /**
   * The live XState actor of a new run, not started. Its output, when done, is the CrewOutput; send it
   * `{ type: 'human.feedback', taskId, feedback }` to answer a task waiting for a person. It is durable
   * like a kickoff: with a checkpoint store its snapshot is saved after every task completion, when a
   * task waits for a person and when it is done, and `resumeActor(runId)` restores it. Aborting
   * `signal` stops it (in-flight model calls are aborted; the last checkpoint stays valid). With
   * `snapshot` (a persisted snapshot of a run of this crew, and that run's `runId` and inputs) the actor
   * is restored instead.
   */
  createActor<T extends object>(inputs: InputsOf<T>, options?: ActorOptions): CrewActor;
  createActor(inputs?: Inputs, options?: ActorOptions): CrewActor;
  createActor(inputs?: object, given: ActorOptions = {}): CrewActor {
    if (given.signal?.aborted) throw abortedBy(given.signal);
    // A snapshot names its run, and an older build's names its invoked actors as XState made them up.
    const options = given.snapshot
      ? {
          ...given,
          runId: restoredRunId(given.snapshot, given.runId),
          snapshot: withNamedInvokes(this.machine, given.snapshot),
        }
      : given;
    this.#checkRunId(options.runId);
    if (options.snapshot) this.#checkSnapshot(options.snapshot, options.runId);
    return this.#eventDrivenActor(this.#beforeKickoffSync(inputs as Inputs | undefined), options);
  }

  /**
   * The live actor of a run restored from its last checkpoint (SPEC §11), not started: what `resume`
   * does, for a caller that drives the run with events. Tasks already done are not run again; a task
   * that waited for a person waits again, for a `human.feedback` event (or the crew's handler or
   * terminal). A checkpoint whose tasks do not match the crew is refused, as by `resume`.
   */
  async resumeActor(runId: string, options: Omit<KickoffOptions, 'runId'> = {}): Promise<CrewActor> {
    const { checkpoint, outcomes } = await this.#restorable(runId, 'resumeActor');
    if (options.signal?.aborted) throw abortedBy(options.signal);
    this.#restoreOutputs(outcomes);
    return this.#eventDrivenActor(checkpoint.inputs, {
      ...options,
      runId,
      snapshot: checkpoint.snapshot as Snapshot<unknown>,
    });
  }

  /**
   * Waits until every checkpoint an actor of `createActor` / `resumeActor` has saved so far is written
   * to the store (they are written in the background); rejects with the first failed write. Await it
   * before a process that drives runs by events exits.
   */
  async flushCheckpoints(actor: CrewActor): Promise<void> {
    await runOfActor(actor)?.flush();
  }

  #eventDrivenActor(inputs: Inputs, options: ActorOptions): CrewActor {
    const runId = options.runId ?? newRunId();
    const { env, input } = prepareRun(this.#definition, runId, inputs, this.#sink(options.onEvent));
    // A listener hears the run as a kickoff's: crew.started when the actor starts (not again for a
    // restored run), crew.completed or crew.failed when it ends.
    const settle = env.observed ? runEnding(env) : undefined;
    let started = false;
    const onStart = () => {
      started = true;
      const { snapshot } = options;
      announceStart(env, { name: this.name, inputs }, snapshot ? { snapshot, input } : undefined);
    };
    const run = createRun({
      env,
      input,
      inspect: options.inspect,
      signal: options.signal,
      ...(settle ? { onStart } : {}),
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
      ...(this.checkpoint ? { store: this.checkpoint } : {}),
      // createActor cannot read the store before it returns: its first checkpoint checks instead.
      ...(options.runId !== undefined && !options.snapshot ? { claimRunId: true } : {}),
    });
    run.actor.subscribe({
      next: (snapshot) => {
        if (snapshot.status === 'done' && snapshot.output) {
          this.usageMetrics = (snapshot.output as CrewOutput).tokenUsage;
        }
      },
      // The run's own observer handles errors; whoever drives the actor sees them through theirs.
      error: () => {},
    });
    // The driver of the actor sees its error through its own observer; this only tells the listener.
    if (settle) run.ended.then((end) => started && settle(end)).catch(() => {});
    return run.actor;
  }

  /** Finishes a run from its last checkpoint: tasks already done are not run again (SPEC §11). */
  async resume(runId: string, options: Omit<KickoffOptions, 'runId'> = {}): Promise<CrewOutput> {
    const sink = this.#sink(options.onEvent);
    return this.#heardIfRefused(sink, runId, async () => {
      if (options.signal?.aborted) throw abortedBy(options.signal);
      const restorable = this.#restorable(runId, 'resume');
      const { checkpoint, outcomes } = await unlessAborted(restorable, options.signal);
      // Only the tasks still to run may need a person (a done review does not).
      this.#checkHumanInput(this.tasks.filter((t) => outcomes[t.id] === undefined));
      this.#restoreOutputs(outcomes);
      return this.#launch(checkpoint.inputs, { ...options, runId }, sink, {
        snapshot: checkpoint.snapshot as Snapshot<unknown>,
      });
    });
  }

  /**
   * Re-runs the last run (or `runId`) from `taskId`: earlier outputs come from the checkpoint store,
   * that task and every later one run again, as a new run.
   */
  async replay(
    taskId: string,
    options: { runId?: string; inputs?: Inputs } & Omit<KickoffOptions, 'runId'> = {},
  ): Promise<CrewOutput> {
    // A replay is a new run: its id is made here, so a replay refused before it starts is heard under it.
    const sink = this.#sink(options.onEvent);
    const runId = newRunId();
    return this.#heardIfRefused(sink, runId, () => this.#replay(taskId, options, sink, runId));
  }

  async #replay(
    taskId: string,
    options: { runId?: string; inputs?: Inputs } & Omit<KickoffOptions, 'runId'>,
    sink: Sink,
    newId: string,
  ): Promise<CrewOutput> {
    const store = requireStore(this.checkpoint, 'replay');
    const index = this.tasks.findIndex((t) => t.id === taskId);
    if (index < 0) {
      const ids = this.tasks.map((t) => t.id);
      const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')}, …` : ids.join(', ');
      throw new StatecrewError(
        'unknown_task',
        `Task '${taskId}' is not in this crew's tasks (replay takes a task id: ${shown})`,
      );
    }
    // Only the earlier tasks must match the run: the replayed one and the later ones may have been edited
    // since (that is why one replays). Without a run id: this crew's newest run, else the newest run with
    // this crew's name and at least one earlier task in common (else any crew's run would do, inputs and
    // all) — looked for only when the first search found nothing (each reads the store's checkpoints).
    const owner = this.#owner();
    const earlier = { ...owner, replayFrom: index };
    const edited = () =>
      index > 0 ? latestRunOf(store, earlier, (c) => c.crewName === this.name) : undefined;
    const checkpoint = options.runId
      ? await loadCheckpoint(store, options.runId, earlier)
      : ((await latestRunOf(store, owner)) ?? (await edited()))?.checkpoint;
    if (!checkpoint)
      throw new StatecrewError(
        'unknown_run',
        'There is no earlier run of this crew to replay: the checkpoint store holds none with its tasks and agents',
      );
    const outcomes = outcomesBefore(checkpoint, this.tasks, index);
    this.#checkHumanInput(this.tasks.slice(index));
    // Earlier tasks keep their outputs from the replayed run, as after a resume.
    this.#restoreOutputs(outcomes);
    const { inputs, runId: _previous, ...kickoff } = options;
    return this.#launch(inputs ?? checkpoint.inputs, { ...kickoff, runId: newId }, sink, {
      startAt: index,
      outcomes,
    });
  }

  async #run(
    inputs: Inputs | undefined,
    options: KickoffOptions,
    sink: Sink,
    chosenRunId = options.runId !== undefined,
  ): Promise<CrewOutput> {
    const runId = options.runId ?? newRunId();
    return this.#heardIfRefused(sink, runId, async () => {
      // Aborted before it began: nothing runs (no beforeKickoff callback, no crew.started).
      if (options.signal?.aborted) throw abortedBy(options.signal);
      this.#checkRunId(options.runId);
      // An abort ends the kickoff at once, also while the store is read or a beforeKickoff callback runs.
      if (chosenRunId) await unlessAborted(this.#checkRunIdFree(options.runId), options.signal);
      // Fails fast: before the beforeKickoff callbacks run (they may have side effects).
      this.#checkHumanInput();
      const prepared = await unlessAborted(this.#beforeKickoff(inputs), options.signal);
      return this.#launch(prepared, { ...options, runId }, sink, { claim: chosenRunId });
    });
  }

  /**
   * A kickoff refused before its run started (bad inputs, a beforeKickoff callback, a run id in use, a
   * checkpoint that cannot be restored) is heard as a run that failed: `crew.failed` alone.
   */
  async #heardIfRefused<T>(sink: Sink, runId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!sink.startedRun && sink.observed) sink.emit({ type: 'crew.failed', runId, error: error as Error });
      throw error;
    }
  }

  async #launch(
    inputs: Inputs,
    options: KickoffOptions & { runId: string },
    sink: Sink,
    from: {
      snapshot?: Snapshot<unknown>;
      startAt?: number;
      outcomes?: Record<string, TaskOutcome>;
      /** A new run under an id its caller chose: its first checkpoint must not replace another run's. */
      claim?: boolean;
    },
  ): Promise<CrewOutput> {
    const { runId } = options;
    // Refused before crew.started: a run that never starts only fails (`#heardIfRefused`: crew.failed alone).
    assertRunIdFree(runId);
    const { env, input } = prepareRun(this.#definition, runId, inputs, sink);
    if (env.observed && !from.snapshot) {
      announceStart(env, { name: this.name, inputs });
    }
    // An actor that cannot be created fails the run unstarted (`#heardIfRefused`: crew.failed).
    const run = launchRun({
      env,
      input: {
        ...input,
        ...(from.startAt === undefined ? {} : { startAt: from.startAt, outcomes: from.outcomes }),
      },
      inspect: options.inspect,
      signal: options.signal,
      ...(from.snapshot
        ? {
            snapshot: from.snapshot,
            onStart: () =>
              env.observed &&
              announceStart(env, { name: this.name, inputs }, { snapshot: from.snapshot!, input }),
          }
        : {}),
      ...(this.checkpoint ? { store: this.checkpoint } : {}),
      ...(from.claim ? { claimRunId: true } : {}),
    });
    sink.startedRun = true;
    try {
      const output = await run.result;
      sink.reportUsage(output.tokenUsage);
      return output;
    } catch (error) {
      sink.reportUsage(run.usage());
      throw error;
    }
  }

  async #beforeKickoff(inputs: Inputs | undefined): Promise<Inputs> {
    let current = checkInputs(inputs);
    for (const callback of this.#options.beforeKickoff ?? []) {
      const given = current;
      // A callback that returns nothing (it only looked, or changed the inputs in place) keeps them.
      current = checkInputs((await inCallback('beforeKickoff', () => callback(given))) ?? given);
    }
    return current;
  }

  #beforeKickoffSync(inputs: Inputs | undefined): Inputs {
    let current = checkInputs(inputs);
    for (const callback of this.#options.beforeKickoff ?? []) {
      let result: ReturnType<typeof callback>;
      try {
        result = callback(current);
      } catch (error) {
        throw callbackFailed('beforeKickoff', error);
      }
      if (result instanceof Promise) {
        throw new StatecrewError(
          'async_before_kickoff',
          'createActor() cannot await an async beforeKickoff callback: use kickoff()',
        );
      }
      current = checkInputs(result ?? current);
    }
    return current;
  }

  /** A persisted snapshot given to createActor, checked as a checkpoint's is before a resume. */
  #checkSnapshot(snapshot: Snapshot<unknown>, runId: string | undefined): void {
    const checkpoint = { runId, taskIds: this.tasks.map((t) => t.id), snapshot } as Checkpoint;
    try {
      checkCrewSnapshot(checkpoint);
      checkSnapshotTree(checkpoint, this.machine);
    } catch (error) {
      throw corruptCheckpoint(String(runId), error);
    }
  }

  /** The last checkpoint of one of this crew's runs, checked for a restore, and its task outcomes. */
  async #restorable(runId: string, what: 'resume' | 'resumeActor') {
    const checkpoint = await loadCheckpoint(requireStore(this.checkpoint, what), runId, this.#owner());
    try {
      checkRestorable(checkpoint);
      checkSnapshotTree(checkpoint, this.machine);
      return { checkpoint, outcomes: checkpointOutcomes(checkpoint) };
    } catch (error) {
      // A snapshot damaged in a way no check above names still fails as one.
      throw corruptCheckpoint(runId, error);
    }
  }

  /** What a checkpoint of this crew must match (`loadCheckpoint`). */
  #owner(): CheckpointOwner {
    return {
      process: this.process,
      tasks: this.tasks,
      agentIds: crewAgents(this.#definition).map((a) => a.id),
    };
  }

  /** `task.output` of the tasks a checkpoint has done, as a run would have left it. */
  #restoreOutputs(outcomes: Record<string, TaskOutcome>): void {
    for (const task of this.tasks) {
      const outcome = outcomes[task.id];
      if (outcome?.status === 'done') task.output = new TaskOutput(outcome.output);
    }
  }

  /** A run id its checkpoints could not be saved under is refused before the run, not at its first save. */
  #checkRunId(runId: string | undefined): void {
    if (runId !== undefined && this.checkpoint) assertValidRunId(runId);
  }

  /** A new run never overwrites another run's checkpoint (of this crew or another one in the same store). */
  async #checkRunIdFree(runId: string | undefined): Promise<void> {
    if (runId === undefined || !this.checkpoint) return;
    if ((await this.checkpoint.load(runId)) !== undefined) throw runIdInUse(runId);
  }

  /** Fails fast, instead of waiting forever, when one of `tasks` would wait for a person nobody can be. */
  #checkHumanInput(tasks: readonly Task[] = this.tasks): void {
    if (this.#options.humanInput || terminalAvailable()) return;
    const task = tasks.find((t) => t.humanInput);
    if (task) {
      throw new CrewValidationError(
        'human_input_unavailable',
        `Task '${task.label}' asks for human input, but the crew has no humanInput handler and stdin is not an interactive terminal (drive the run with crew.createActor() and human.feedback events instead)`,
      );
    }
  }

  /** Where one run's events go, and its usage (by default `crew.usageMetrics`). */
  #sink(
    listener?: (event: CrewEvent) => void,
    reportUsage: (usage: UsageMetrics) => void = (usage) => (this.usageMetrics = usage),
  ): Sink {
    const verbose = this.#progress;
    return {
      startedRun: false,
      reportUsage,
      observed: Boolean(listener || verbose),
      // The progress printer does not show deltas: asking for them would make every call stream.
      wantsDeltas: Boolean(listener),
      emit(event) {
        verbose?.(event);
        if (!listener) return;
        try {
          listener(event);
        } catch (error) {
          reportLater(error);
        }
      },
    };
  }
}

interface Sink extends EventSink {
  startedRun: boolean;
  reportUsage(usage: UsageMetrics): void;
}

/** The run id a persisted snapshot goes on under: its own; one given must be it. */
function restoredRunId(snapshot: Snapshot<unknown>, given: string | undefined): string | undefined {
  const own = (snapshot as { context?: { runId?: unknown } }).context?.runId;
  if (typeof own !== 'string') return given; // not a crew's snapshot: checkSnapshot says so
  if (given !== undefined && given !== own) {
    throw new CrewValidationError(
      'invalid_option',
      `createActor: the snapshot is of run '${own}', not of run '${given}' (leave runId out to go on under its own)`,
    );
  }
  return own;
}

function checkInputs(inputs: Inputs | undefined): Inputs {
  if (inputs === undefined || inputs === null) return {};
  if (typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw new TypeError(
      `Inputs must be an object (got ${Array.isArray(inputs) ? 'an array' : typeof inputs})`,
    );
  }
  validateInputs(inputs);
  // A key whose value is undefined is absent (as in JSON): `{ topic: undefined }` is `{}`.
  const given = Object.entries(inputs);
  if (given.every(([, value]) => value !== undefined)) return inputs;
  return Object.fromEntries(given.filter(([, value]) => value !== undefined)) as Inputs;
}
