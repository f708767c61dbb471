import type { Agent } from '../agent.js';
import type { CrewEvent } from '../events.js';
import type { HumanInputHandler } from '../human-input.js';
import type { Inputs } from '../interpolation.js';
import type { LLM } from '../llm/types.js';
import type { Task } from '../task.js';
import type { CrewOutput, TaskOutput } from '../outputs.js';
import type { Tool } from '../tool.js';
import type { UsageMetrics } from '../usage.js';
import type { RateLimiter } from '../executor/rate-limiter.js';
import type { ToolCache } from '../executor/tool-cache.js';
import { ERROR_REF } from '../../machines/types.js';
import { StatecrewError } from '../errors.js';

/** An agent as one run sees it: texts interpolated, model resolved, limiter shared by its requests. */
export interface RunAgent {
  agent: Agent;
  id: string;
  systemId: string;
  role: string;
  goal: string;
  backstory: string;
  llm: LLM;
  tools: Tool[];
  limiter?: RateLimiter;
  stepCallback?: Agent['stepCallback'];
  /** Coworkers this agent may delegate to, when it may delegate at all. */
  coworkers: RunAgent[] | null;
}

export interface RunTask {
  task: Task;
  index: number;
  description: string;
  expectedOutput: string;
  outputFile?: string;
  /** Who may be delegated to from this task in a hierarchical crew (the task's agent, else all). */
  coworkers: RunAgent[];
}

/** How errors of a run name its task: its name, else its description with the run's inputs filled in. */
export function runLabel(task: RunTask): string {
  return task.task.name ?? task.description;
}

/** Everything live a run needs that cannot sit in a snapshot: models, tools, callbacks, listeners. */
export interface RunEnv {
  runId: string;
  crewName: string;
  process: 'sequential' | 'hierarchical';
  inputs: Inputs;
  agents: Map<string, RunAgent>;
  tasks: Map<string, RunTask>;
  cache?: ToolCache;
  humanInput?: HumanInputHandler;
  /** Live errors by reference, so a rejection keeps its class and cause while actors carry plain data. */
  errors: Map<string, unknown>;
  /** Outputs of finished tasks in this run, by task id. */
  outputs: Map<string, TaskOutput>;
  /**
   * What this run's model calls used, by the task they worked for ('' for none): a run that does not
   * finish reports the work its unfinished tasks had done too (`usageSoFar`).
   */
  usageByTask: Map<string, UsageMetrics>;
  emit(event: CrewEvent): void;
  /** False when nobody listens: event objects are then not built at all. */
  readonly observed: boolean;
  /** Model calls stream (and emit `llm.delta`) only when someone wants the deltas. */
  readonly wantsDeltas: boolean;
  taskCallback?: (output: TaskOutput) => unknown;
  afterKickoff: AfterKickoffCallback[];
  /** Called when a task waits for a person (the run saves a checkpoint then). */
  onHumanInputRequested?: (taskId: string) => void;
}

/** Gets the run's output; returns a replacement, or nothing to keep it (SPEC §2 `afterKickoff`). */
export type AfterKickoffCallback = (output: CrewOutput) => CrewOutput | void | Promise<CrewOutput | void>;

const runs = new Map<string, RunEnv>();

export function registerRun(env: RunEnv): void {
  assertRunIdFree(env.runId);
  runs.set(env.runId, env);
}

/** A run id no active run of this process uses (checked again by `registerRun`). */
export function assertRunIdFree(runId: string): void {
  if (runs.has(runId)) {
    throw new StatecrewError('run_id_in_use', `A run with id '${runId}' is already active in this process`);
  }
}

export function unregisterRun(runId: string): void {
  runs.delete(runId);
}

export function getRun(runId: string): RunEnv {
  const env = runs.get(runId);
  if (!env) throw new Error(`No active run '${runId}': restore it with crew.resume()`);
  return env;
}

export function runAgent(env: RunEnv, agentId: string): RunAgent {
  const agent = env.agents.get(agentId);
  if (!agent) throw new Error(`Run '${env.runId}' has no agent '${agentId}'`);
  return agent;
}

export function runTask(env: RunEnv, taskId: string): RunTask {
  const task = env.tasks.get(taskId);
  if (!task) throw new Error(`Run '${env.runId}' has no task '${taskId}'`);
  return task;
}

let nextErrorRef = 0;

/** Keeps a live error in the run and tags it, so the plain data actors carry can find it again. */
export function keepError(env: RunEnv, error: unknown): unknown {
  if (error !== null && typeof error === 'object') {
    const ref = `e${++nextErrorRef}`;
    Object.defineProperty(error, ERROR_REF, { value: ref, enumerable: false, configurable: true });
    env.errors.set(ref, error);
  }
  return error;
}

/** Runs `work`, keeping whatever it throws in the run's error table. */
export async function keepingErrors<T>(env: RunEnv, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw keepError(env, error);
  }
}
