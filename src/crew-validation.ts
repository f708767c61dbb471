import type { Agent } from './agent.js';
import { CrewValidationError } from './errors.js';
import { ConditionalTask, type Task } from './task.js';

export interface CrewShape {
  agents: Agent[];
  tasks: Task[];
  process: 'sequential' | 'hierarchical';
  managerLlm?: unknown;
  managerAgent?: Agent;
  maxRpm?: number;
}

const named = (task: Task) => `'${task.label}'`;

/** Every crew-wide rule of SPEC §9, checked when the crew is built; messages name the task. */
export function validateCrew(crew: CrewShape): void {
  if (crew.tasks.length === 0) throw new CrewValidationError('empty_crew', 'A crew needs at least one task');
  checkMaxRpm(crew.maxRpm);
  checkIds(crew);
  if (crew.process === 'hierarchical') checkManager(crew);
  else checkAgentsAssigned(crew.tasks);
  checkConditionals(crew.tasks);
  checkAsync(crew.tasks);
  checkContext(crew.tasks);
}

function checkMaxRpm(maxRpm: number | undefined): void {
  if (maxRpm !== undefined && (!Number.isInteger(maxRpm) || maxRpm < 1)) {
    throw new CrewValidationError(
      'invalid_option',
      `The crew's maxRpm must be an integer ≥ 1 (got ${String(maxRpm)})`,
    );
  }
}

function checkIds(crew: CrewShape): void {
  const taskIds = new Map<string, Task>();
  for (const task of crew.tasks) {
    const other = taskIds.get(task.id);
    if (other) {
      throw new CrewValidationError(
        'duplicate_id',
        `Tasks ${named(other)} and ${named(task)} have the same id '${task.id}'`,
      );
    }
    taskIds.set(task.id, task);
  }
  const agentIds = new Map<string, Agent>();
  const agents = [...crew.agents, ...crew.tasks.flatMap((t) => (t.agent ? [t.agent] : []))];
  if (crew.managerAgent) agents.push(crew.managerAgent);
  for (const agent of agents) {
    const other = agentIds.get(agent.id);
    if (other && other !== agent) {
      throw new CrewValidationError(
        'duplicate_id',
        `Agents '${other.role}' and '${agent.role}' have the same id '${agent.id}'`,
      );
    }
    agentIds.set(agent.id, agent);
  }
}

function checkManager(crew: CrewShape): void {
  if ((crew.managerLlm === undefined) === (crew.managerAgent === undefined)) {
    throw new CrewValidationError(
      'missing_manager_llm_or_manager_agent',
      'A hierarchical crew needs exactly one of managerLlm or managerAgent',
    );
  }
  const manager = crew.managerAgent;
  if (!manager) return;
  if (crew.agents.includes(manager)) {
    throw new CrewValidationError(
      'manager_agent_in_agents',
      `The manager agent '${manager.role}' must not be in the crew's agents`,
    );
  }
  // A task's agent is a worker too: the manager would be offered to itself as a coworker.
  const workedBy = crew.tasks.find((task) => task.agent === manager);
  if (workedBy) {
    throw new CrewValidationError(
      'manager_agent_in_agents',
      `The manager agent '${manager.role}' must not be the agent of task ${named(workedBy)}`,
    );
  }
  if (manager.tools.length > 0) {
    throw new CrewValidationError(
      'manager_agent_with_tools',
      `The manager agent '${manager.role}' must not have tools`,
    );
  }
}

function checkAgentsAssigned(tasks: Task[]): void {
  const task = tasks.find((t) => !t.agent);
  if (task) {
    throw new CrewValidationError(
      'missing_agent_in_task',
      `Sequential process error: task ${named(task)} has no agent`,
    );
  }
}

function checkConditionals(tasks: Task[]): void {
  if (tasks.every((t) => t instanceof ConditionalTask)) {
    throw new CrewValidationError(
      'only_conditional_tasks',
      'A crew needs at least one task that is not conditional',
    );
  }
  if (tasks[0] instanceof ConditionalTask) {
    throw new CrewValidationError(
      'invalid_first_task',
      `The first task ${named(tasks[0])} cannot be a ConditionalTask`,
    );
  }
  const asyncConditional = tasks.find((t) => t instanceof ConditionalTask && t.asyncExecution);
  if (asyncConditional) {
    throw new CrewValidationError(
      'invalid_async_conditional_task',
      `Conditional task ${named(asyncConditional)} cannot be executed asynchronously`,
    );
  }
}

function checkAsync(tasks: Task[]): void {
  let first = tasks.length;
  while (first > 0 && tasks[first - 1].asyncExecution) first--;
  const trailing = tasks.slice(first);
  if (trailing.length > 1) {
    throw new CrewValidationError(
      'async_task_count',
      `The crew must end with at most one asynchronous task; it ends with ${trailing.length}: ${trailing.map(named).join(', ')}`,
    );
  }
}

function checkContext(tasks: Task[]): void {
  for (const [index, task] of tasks.entries()) {
    for (const source of task.context ?? []) {
      const at = tasks.indexOf(source);
      if (at >= index) {
        throw new CrewValidationError(
          'future_context_dependency',
          `Task ${named(task)} has a context dependency on a later task ${named(source)}`,
        );
      }
      if (
        task.asyncExecution &&
        source.asyncExecution &&
        at >= 0 &&
        !tasks.slice(at + 1, index).some((t) => !t.asyncExecution)
      ) {
        throw new CrewValidationError(
          'async_context_dependency',
          `Task ${named(task)} is asynchronous and cannot use the output of asynchronous task ${named(source)} without a synchronous task between them`,
        );
      }
    }
  }
}
