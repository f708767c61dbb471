import { isAbsolute } from 'node:path';
import type { AgentSpec, TaskSpec } from '../../machines/types.js';
import type { CrewInput } from '../../machines/crew-chart.js';
import type { Agent } from '../agent.js';
import { CrewValidationError } from '../errors.js';
import type { AgentStep, CrewEvent } from '../events.js';
import { RateLimiter } from '../executor/rate-limiter.js';
import { ToolCache } from '../executor/tool-cache.js';
import type { HumanInputHandler } from '../human-input.js';
import { interpolate, type Inputs } from '../interpolation.js';
import { validateOutputFile } from '../output-file.js';
import { resolveLLM } from '../llm/resolve.js';
import type { LLM } from '../llm/types.js';
import type { TaskOutput } from '../outputs.js';
import { ConditionalTask, type Task } from '../task.js';
import { runLabel, type AfterKickoffCallback, type RunAgent, type RunEnv, type RunTask } from './run-env.js';

/** What a run needs to know about its crew. */
export interface CrewDefinition {
  name: string;
  process: 'sequential' | 'hierarchical';
  agents: Agent[];
  tasks: Task[];
  manager?: Agent;
  maxRpm?: number;
  cache: boolean;
  verbose: boolean;
  taskCallback?: (output: TaskOutput) => unknown;
  stepCallback?: (step: AgentStep) => unknown;
  afterKickoff: AfterKickoffCallback[];
  humanInput?: HumanInputHandler;
}

export interface EventSink {
  emit(event: CrewEvent): void;
  readonly observed: boolean;
  /** Someone wants `llm.delta` events (a `stream()` subscriber; the progress printer does not show them). */
  readonly wantsDeltas: boolean;
}

// Models and rate limits belong to the agent, not the run: concurrent kickoffs share one limiter.
// An agent without its own maxRpm follows the crew's, so its limiters are kept per limit: one agent
// in two crews with different limits gets each crew's.
const models = new WeakMap<Agent, LLM>();
const limiters = new WeakMap<Agent, Map<number, RateLimiter>>();

function modelOf(agent: Agent): LLM {
  let llm = models.get(agent);
  if (!llm) {
    llm = resolveLLM(agent.llm);
    models.set(agent, llm);
  }
  return llm;
}

function limiterOf(agent: Agent, crewMaxRpm: number | undefined): RateLimiter | undefined {
  const maxRpm = agent.maxRpm ?? crewMaxRpm;
  if (maxRpm === undefined) return undefined;
  let byLimit = limiters.get(agent);
  if (!byLimit) {
    byLimit = new Map();
    limiters.set(agent, byLimit);
  }
  let limiter = byLimit.get(maxRpm);
  if (!limiter) {
    limiter = new RateLimiter(maxRpm);
    byLimit.set(maxRpm, limiter);
  }
  return limiter;
}

/** The agents that work on tasks: the crew's list (each once), then task agents not in it. */
function workerAgents(crew: CrewDefinition): Agent[] {
  const agents = [...new Set(crew.agents)];
  for (const task of crew.tasks) if (task.agent && !agents.includes(task.agent)) agents.push(task.agent);
  return agents;
}

/** Every agent a crew uses: its workers, then the manager (whose texts are interpolated too). */
export function crewAgents(crew: CrewDefinition): Agent[] {
  return crew.manager ? [...workerAgents(crew), crew.manager] : workerAgents(crew);
}

/** Interpolates the crew for one run's inputs and builds the run's environment and the chart's input. */
export function prepareRun(
  crew: CrewDefinition,
  runId: string,
  inputs: Inputs,
  sink: EventSink,
): { env: RunEnv; input: CrewInput } {
  const fill = Object.keys(inputs).length > 0;
  const text = (template: string, field: string, owner: string) =>
    fill ? interpolate(template, inputs, { field, owner }) : template;
  const workers = workerAgents(crew).map((agent) => runAgentOf(crew, agent, text, 'agent'));
  const manager = crew.manager ? runAgentOf(crew, crew.manager, text, 'manager') : undefined;
  const delegating = crew.process === 'sequential' && workers.length > 1;
  for (const worker of workers) {
    worker.coworkers =
      delegating && worker.agent.allowDelegation ? workers.filter((w) => w !== worker) : null;
  }
  const tasks = crew.tasks.map((task, index) => runTaskOf(task, index, workers, text));
  const env: RunEnv = {
    runId,
    crewName: crew.name,
    process: crew.process,
    inputs,
    agents: new Map([...workers, ...(manager ? [manager] : [])].map((a) => [a.id, a])),
    tasks: new Map(tasks.map((t) => [t.task.id, t])),
    ...(crew.cache ? { cache: new ToolCache() } : {}),
    humanInput: crew.humanInput,
    errors: new Map(),
    outputs: new Map(),
    usageByTask: new Map(),
    emit: (event) => sink.emit(event),
    get observed() {
      return sink.observed;
    },
    get wantsDeltas() {
      return sink.wantsDeltas;
    },
    taskCallback: crew.taskCallback,
    afterKickoff: crew.afterKickoff,
  };
  const input: CrewInput = {
    runId,
    tasks: tasks.map((t) => taskSpec(crew, t, manager, workers)),
    agents: workers.map(agentSpec),
    ...(manager ? { manager: agentSpec(manager) } : {}),
    awaitsCompletion: crew.afterKickoff.length > 0,
  };
  return { env, input };
}

type Fill = (template: string, field: string, owner: string) => string;

function runAgentOf(crew: CrewDefinition, agent: Agent, text: Fill, kind: 'agent' | 'manager'): RunAgent {
  const owner = `agent '${agent.role}'`;
  return {
    agent,
    id: agent.id,
    systemId: kind === 'manager' ? 'manager' : `agent:${agent.id}`,
    role: text(agent.role, 'role', owner),
    goal: text(agent.goal, 'goal', owner),
    backstory: text(agent.backstory, 'backstory', owner),
    llm: modelOf(agent),
    tools: agent.tools,
    limiter: limiterOf(agent, crew.maxRpm),
    stepCallback: agent.stepCallback ?? crew.stepCallback,
    coworkers: null,
  };
}

function runTaskOf(task: Task, index: number, workers: RunAgent[], text: Fill): RunTask {
  const owner = `task '${task.label}'`;
  const assigned = task.agent ? workers.filter((w) => w.agent === task.agent) : workers;
  return {
    task,
    index,
    description: text(task.description, 'description', owner),
    expectedOutput: text(task.expectedOutput, 'expectedOutput', owner),
    ...(task.outputFile === undefined ? {} : { outputFile: outputFileOf(task, text, owner) }),
    coworkers: assigned,
  };
}

/** The task's output path for this run; inputs must not smuggle in what the template may not hold. */
function outputFileOf(task: Task, text: Fill, owner: string): string {
  const template = task.outputFile!;
  const path = text(template, 'outputFile', owner);
  if (path === template) return path;
  const where = `${owner} (after interpolating the inputs)`;
  validateOutputFile(path, where);
  // An absolute path is the crew author's to write, not an input's.
  if (isAbsolute(path) && !isAbsolute(template)) {
    throw new CrewValidationError(
      'invalid_output_file',
      `Invalid outputFile '${path}' for ${where}: an input made the relative path '${template}' absolute`,
    );
  }
  return path;
}

function agentSpec(agent: RunAgent): AgentSpec {
  return {
    id: agent.id,
    role: agent.role,
    maxIter: agent.agent.maxIter,
    maxRetryLimit: agent.agent.maxRetryLimit,
    ...(agent.agent.maxExecutionTime === undefined ? {} : { maxExecutionTime: agent.agent.maxExecutionTime }),
  };
}

function taskSpec(
  crew: CrewDefinition,
  task: RunTask,
  manager: RunAgent | undefined,
  workers: RunAgent[],
): TaskSpec {
  const t = task.task;
  const executor =
    crew.process === 'hierarchical' && manager ? manager : workers.find((w) => w.agent === t.agent)!;
  return {
    id: t.id,
    name: runLabel(task),
    description: task.description,
    expectedOutput: task.expectedOutput,
    executor: executor.systemId,
    agent: agentSpec(executor),
    async: t.asyncExecution,
    conditional: t instanceof ConditionalTask,
    context: t.context ? t.context.filter((c) => crew.tasks.includes(c)).map((c) => c.id) : null,
    humanInput: t.humanInput,
    guardrails: t.guardrails.length,
    guardrailMaxRetries: t.guardrailMaxRetries,
    structured: t.outputSchema !== undefined,
    awaitsCompletion: awaitsCompletion(t, crew.taskCallback, task.outputFile),
  };
}

/**
 * Whether finishing a task waits for work (its callback, the crew's, or writing its output file); a task
 * that waits for nothing finishes in the step that accepts its output.
 */
export function awaitsCompletion(task: Task, crewCallback: unknown, outputFile: string | undefined): boolean {
  return Boolean(task.callback || crewCallback || outputFile);
}
