import { Observable } from 'rxjs';
import type { Agent } from './agent.js';
import type { CheckpointStore } from './checkpoint/types.js';
import { validateCrew } from './crew-validation.js';
import { CrewValidationError, StatecrewError } from './errors.js';
import type { AgentStep, CrewEvent } from './events.js';
import type { HumanInputHandler } from './human-input.js';
import { placeholders, validateInputs, type Inputs } from './interpolation.js';
import type { LLM } from './llm/types.js';
import { createManagerAgent } from './manager.js';
import { TaskOutput, type CrewOutput } from './outputs.js';
import { Process } from './process.js';
import { terminalAvailable } from './runtime/human-feedback.js';
import { crewAgents, prepareRun, type CrewDefinition, type EventSink } from './runtime/prepare-run.js';
import {
  createRunActor,
  launchRun,
  machineFor,
  type CrewActor,
  type CrewMachine,
  type Inspector,
} from './runtime/run-driver.js';
import { RunCheckpointer } from './runtime/checkpointing.js';
import { checkpointOutcomes, loadCheckpoint, outcomesBefore, requireStore } from './runtime/durable.js';
import { unregisterRun } from './runtime/run-env.js';
import type { Task } from './task.js';
import type { TaskOutcome } from '../machines/types.js';
import type { Snapshot } from 'xstate';
import { addUsage, emptyUsage, type UsageMetrics } from './usage.js';
import { consoleProgress } from './verbose.js';

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
  taskCallback?: (output: TaskOutput) => void | Promise<void>;
  stepCallback?: (step: AgentStep) => void | Promise<void>;
  beforeKickoff?: Array<(inputs: Inputs) => Inputs | Promise<Inputs>>;
  afterKickoff?: Array<(output: CrewOutput) => CrewOutput | Promise<CrewOutput>>;
  humanInput?: HumanInputHandler;
  checkpoint?: CheckpointStore;
}

export interface KickoffOptions {
  /** Cancels the run: in-flight model requests are aborted and kickoff rejects with CrewAbortedError. */
  signal?: AbortSignal;
  /** Any XState inspection observer, e.g. `createWebSocketInspector({ url }).inspect`. */
  inspect?: Inspector;
  runId?: string;
}

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
  readonly taskCallback?: (output: TaskOutput) => void | Promise<void>;
  /** Usage of the last kickoff (summed over every kickoff of the last kickoffForEach). */
  usageMetrics: UsageMetrics = emptyUsage();
  readonly #options: CrewOptions;
  readonly #definition: CrewDefinition;

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
  async kickoff(inputs?: Inputs, options: KickoffOptions = {}): Promise<CrewOutput> {
    return this.#run(inputs, options, this.#sink());
  }

  /** One kickoff per input (in input order), `concurrency` at a time; usage is summed. */
  async kickoffForEach(
    inputsList: Inputs[],
    options: { concurrency?: number } & KickoffOptions = {},
  ): Promise<CrewOutput[]> {
    if (!Array.isArray(inputsList)) throw new TypeError('kickoffForEach needs an array of inputs');
    for (const [i, inputs] of inputsList.entries()) {
      if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
        throw new TypeError(
          `kickoffForEach: input ${i} must be an object (got ${inputs === null ? 'null' : typeof inputs})`,
        );
      }
    }
    const { concurrency = 1, runId: _ignored, ...kickoffOptions } = options;
    const outputs: CrewOutput[] = new Array(inputsList.length);
    let total = emptyUsage();
    let next = 0;
    const worker = async () => {
      while (next < inputsList.length) {
        const i = next++;
        outputs[i] = await this.#run(inputsList[i], kickoffOptions, this.#sink());
        total = addUsage(total, outputs[i].tokenUsage);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, inputsList.length)) }, worker));
    this.usageMetrics = total;
    return outputs;
  }

  /** The run's events, in order, completing after `crew.completed` or `crew.failed`. Unsubscribing aborts the run. */
  stream(inputs?: Inputs, options: KickoffOptions = {}): Observable<CrewEvent> {
    return new Observable<CrewEvent>((subscriber) => {
      const controller = new AbortController();
      const outer = options.signal;
      const forward = () => controller.abort(outer?.reason);
      outer?.addEventListener('abort', forward, { once: true });
      const sink = this.#sink((event) => subscriber.next(event));
      this.#run(inputs, { ...options, signal: controller.signal }, sink).then(
        () => subscriber.complete(),
        (error) => {
          if (!sink.startedRun) subscriber.error(error);
          else subscriber.complete();
        },
      );
      return () => {
        outer?.removeEventListener('abort', forward);
        controller.abort();
      };
    });
  }

  /**
   * The live XState actor of a new run, not started. Its output, when done, is the CrewOutput; send it
   * `{ type: 'human.feedback', taskId, feedback }` to answer a task waiting for a person. With
   * `snapshot` (a persisted snapshot of a run of this crew, and that run's `runId` and inputs) the actor
   * is restored instead.
   */
  createActor(inputs?: Inputs, options: KickoffOptions & { snapshot?: Snapshot<unknown> } = {}): CrewActor {
    const prepared = this.#beforeKickoffSync(inputs);
    const runId = options.runId ?? newRunId();
    const sink = this.#sink();
    const { env, input } = prepareRun(this.#definition, runId, prepared, sink);
    const actor = createRunActor({ env, input, inspect: options.inspect, snapshot: options.snapshot });
    const subscription = actor.subscribe({
      next: (snapshot) => {
        if (snapshot.status !== 'done') return;
        this.usageMetrics = (snapshot.output as CrewOutput).tokenUsage;
        subscription.unsubscribe();
        unregisterRun(runId);
      },
      error: () => unregisterRun(runId),
      // stop() completes observers: a stopped actor releases its run too.
      complete: () => unregisterRun(runId),
    });
    return actor;
  }

  /** Finishes a run from its last checkpoint: tasks already done are not run again (SPEC §11). */
  async resume(runId: string, options: Omit<KickoffOptions, 'runId'> = {}): Promise<CrewOutput> {
    this.#checkHumanInput();
    const checkpoint = await loadCheckpoint(requireStore(this.checkpoint, 'resume'), runId, this);
    for (const [id, outcome] of Object.entries(checkpointOutcomes(checkpoint))) {
      const task = this.tasks.find((t) => t.id === id);
      if (task && outcome.status === 'done') task.output = new TaskOutput(outcome.output);
    }
    return this.#launch(checkpoint.inputs, { ...options, runId }, this.#sink(), {
      snapshot: checkpoint.snapshot as Snapshot<unknown>,
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
    const store = requireStore(this.checkpoint, 'replay');
    const index = this.tasks.findIndex((t) => t.id === taskId);
    if (index < 0) throw new StatecrewError('unknown_task', `Task '${taskId}' is not in this crew's tasks`);
    const runId = options.runId ?? (await store.list()).at(-1);
    if (!runId)
      throw new StatecrewError(
        'unknown_run',
        'There is no earlier run to replay: the checkpoint store is empty',
      );
    const checkpoint = await loadCheckpoint(store, runId, this);
    const outcomes = outcomesBefore(checkpoint, this.tasks, index);
    const { inputs, runId: _previous, ...kickoff } = options;
    return this.#launch(inputs ?? checkpoint.inputs, kickoff, this.#sink(), { startAt: index, outcomes });
  }

  async #run(inputs: Inputs | undefined, options: KickoffOptions, sink: Sink): Promise<CrewOutput> {
    const prepared = await this.#beforeKickoff(inputs);
    this.#checkHumanInput();
    return this.#launch(prepared, options, sink, {});
  }

  async #launch(
    inputs: Inputs,
    options: KickoffOptions,
    sink: Sink,
    from: {
      snapshot?: Snapshot<unknown>;
      startAt?: number;
      outcomes?: Record<string, TaskOutcome>;
    },
  ): Promise<CrewOutput> {
    const runId = options.runId ?? newRunId();
    const { env, input } = prepareRun(this.#definition, runId, inputs, sink);
    sink.startedRun = true;
    if (env.observed && !from.snapshot) {
      env.emit({ type: 'crew.started', runId, crewName: this.name, process: this.process, inputs });
    }
    const checkpointer = this.checkpoint
      ? new RunCheckpointer(this.checkpoint, {
          runId,
          crewName: this.name,
          process: this.process,
          taskIds: this.tasks.map((t) => t.id),
          agentIds: [...env.agents.keys()],
          inputs,
        })
      : undefined;
    const run = launchRun({
      env,
      input: {
        ...input,
        ...(from.startAt === undefined ? {} : { startAt: from.startAt, outcomes: from.outcomes }),
      },
      inspect: options.inspect,
      signal: options.signal,
      ...(from.snapshot ? { snapshot: from.snapshot } : {}),
      ...(checkpointer ? { checkpointer } : {}),
    });
    try {
      const output = await run.result;
      this.usageMetrics = output.tokenUsage;
      return output;
    } catch (error) {
      this.usageMetrics = run.usage();
      throw error;
    }
  }

  async #beforeKickoff(inputs: Inputs | undefined): Promise<Inputs> {
    let current = checkInputs(inputs);
    for (const callback of this.#options.beforeKickoff ?? []) current = checkInputs(await callback(current));
    return current;
  }

  #beforeKickoffSync(inputs: Inputs | undefined): Inputs {
    let current = checkInputs(inputs);
    for (const callback of this.#options.beforeKickoff ?? []) {
      const result = callback(current);
      if (result instanceof Promise) {
        throw new StatecrewError(
          'async_before_kickoff',
          'createActor() cannot await an async beforeKickoff callback: use kickoff()',
        );
      }
      current = checkInputs(result);
    }
    return current;
  }

  #checkHumanInput(): void {
    if (this.#options.humanInput || terminalAvailable()) return;
    const task = this.tasks.find((t) => t.humanInput);
    if (task) {
      throw new CrewValidationError(
        'human_input_unavailable',
        `Task '${task.label}' asks for human input, but the crew has no humanInput handler and stdin is not an interactive terminal (drive the run with crew.createActor() and human.feedback events instead)`,
      );
    }
  }

  #sink(listener?: (event: CrewEvent) => void): Sink {
    const verbose = this.#definition.verbose ? consoleProgress() : undefined;
    return {
      startedRun: false,
      observed: Boolean(listener || verbose),
      emit(event) {
        verbose?.(event);
        listener?.(event);
      },
    };
  }
}

interface Sink extends EventSink {
  startedRun: boolean;
}

function checkInputs(inputs: Inputs | undefined): Inputs {
  if (inputs === undefined || inputs === null) return {};
  if (typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw new TypeError(
      `Inputs must be an object (got ${Array.isArray(inputs) ? 'an array' : typeof inputs})`,
    );
  }
  validateInputs(inputs);
  return inputs;
}
