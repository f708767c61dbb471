import type { Snapshot } from 'xstate';
import type { CrewInput } from '../../machines/crew-chart.js';
import { agentIdOf } from '../../machines/agent.machine.js';
import { taskIdOfActor, type AgentSpec, type TaskSpec } from '../../machines/types.js';
import { withFinishedOutcomes } from './finished-outcomes.js';
import type { PersistedActor } from './persisted-actor.js';

/** An agent loop's data: a task's `context.loop`, or a coworker job's whole context. */
interface LoopLike {
  deadline?: number | null;
  agent?: AgentSpec;
}

/**
 * A checkpoint's snapshot made ready to run on (a copy; the checkpoint is left as it was): finished task
 * actors get their outcomes back (a checkpoint keeps them once, in the crew's context), the work not
 * done yet follows the crew as it is now, and the agent loops that were at work get their whole
 * `maxExecutionTime` from `now` (from their agent's current limit).
 */
export function restoredSnapshot(
  snapshot: Snapshot<unknown>,
  input: CrewInput,
  now: number,
): Snapshot<unknown> {
  const copy = structuredClone(withFinishedOutcomes(snapshot)) as unknown as PersistedActor;
  applyCurrentSpecs(copy, input);
  refreshDeadlines(copy, now);
  return copy as unknown as Snapshot<unknown>;
}

/**
 * Every task not finished yet, every agent actor (and the loops they run) and the crew's own list take the
 * current specs (guardrails, human input, callbacks and output file, limits). Ids are the same (the
 * checkpoint was checked against the crew); a finished task keeps the spec it ran with. In place.
 */
function applyCurrentSpecs(crew: PersistedActor, input: CrewInput): void {
  const tasks = new Map(input.tasks.map((spec) => [spec.id, spec]));
  const agents = new Map([...input.agents, ...(input.manager ? [input.manager] : [])].map((a) => [a.id, a]));
  if (crew.context) {
    crew.context.tasks = input.tasks;
    crew.context.awaitsCompletion = input.awaitsCompletion;
  }
  // By the actor's id (`task:<id>`, `agent:<id>`, `manager`), which names the spec it must hold.
  const specOf = (actorId: string) => {
    if (actorId === 'manager') return input.manager;
    const taskId = taskIdOfActor(actorId);
    return taskId === undefined ? agents.get(agentIdOf(actorId)) : tasks.get(taskId);
  };
  const visit = (holder: PersistedActor) => {
    for (const [id, { snapshot }] of Object.entries(holder.children ?? {})) {
      if (!snapshot) continue;
      if (id.startsWith('batch:')) visit(snapshot);
      else if (snapshot.status === 'active') replaceSpec(snapshot, specOf(id));
    }
  };
  visit(crew);
}

function replaceSpec(actor: PersistedActor, now: TaskSpec | AgentSpec | undefined): void {
  if (!now || !actor.context) return;
  actor.context.spec = now;
  if ('agent' in now) {
    // A task's loop at work keeps its own copy of its agent's limits (maxIter, retries, maxExecutionTime).
    const loop = loopOf(actor);
    if (loop) loop.agent = now.agent;
    return;
  }
  // An agent's jobs (coworkers' requests at work) are loops of that agent.
  for (const { snapshot } of Object.values(actor.children ?? {})) {
    const job = snapshot?.status === 'active' ? loopOf(snapshot) : undefined;
    if (job) job.agent = now;
  }
}

/**
 * Every agent loop that was at work gets a fresh `maxExecutionTime` from `now`, in place. Deadlines are
 * absolute (so a loop keeps its own across a restore), but a restored loop runs its step again — the model
 * call or tools the crash cut short — and the time the process was down is not the agent's: without this,
 * a run down for longer than `maxExecutionTime` could never be resumed. The invoked actors of the loop
 * (model call, tools, deadline timer) get the new deadline in their input.
 */
export function refreshDeadlines(actor: PersistedActor, now: number): void {
  const loop = actor.status === 'active' ? loopOf(actor) : undefined;
  const budget = loop?.agent?.maxExecutionTime;
  if (loop && typeof loop.deadline === 'number' && budget) {
    const previous = loop.deadline;
    loop.deadline = now + budget;
    for (const { snapshot } of Object.values(actor.children ?? {})) {
      if (snapshot?.input?.deadline === previous) snapshot.input.deadline = loop.deadline;
    }
  }
  for (const { snapshot } of Object.values(actor.children ?? {}))
    if (snapshot) refreshDeadlines(snapshot, now);
}

function loopOf(actor: PersistedActor): LoopLike | undefined {
  const context = actor.context;
  if (!context) return undefined;
  if (isLoop(context.loop)) return context.loop;
  // A coworker's job keeps its loop as its whole context.
  return 'request' in context && isLoop(context) ? context : undefined;
}

function isLoop(value: unknown): value is LoopLike {
  return typeof value === 'object' && value !== null && 'deadline' in value && 'agent' in value;
}
