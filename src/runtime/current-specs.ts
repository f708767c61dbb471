import type { CrewInput } from '../../machines/crew-chart.js';
import type { AgentSpec, TaskSpec } from '../../machines/types.js';
import type { PersistedActor } from './fresh-deadlines.js';

/**
 * A restored crew works to the crew as it is now, not as it was when the checkpoint was taken: every task
 * not finished yet, every agent actor and the crew's own list take the current specs (guardrails, human
 * input, callbacks and output file, limits). Ids are the same (the checkpoint was checked against the
 * crew); a finished task keeps the spec it ran with. Changes `crew` in place (a copy of the checkpoint's).
 */
export function applyCurrentSpecs(crew: PersistedActor, input: CrewInput): void {
  const tasks = new Map(input.tasks.map((spec) => [spec.id, spec]));
  const agents = new Map([...input.agents, ...(input.manager ? [input.manager] : [])].map((a) => [a.id, a]));
  if (crew.context) {
    crew.context.tasks = input.tasks;
    crew.context.awaitsCompletion = input.awaitsCompletion;
  }
  const visit = (holder: PersistedActor) => {
    for (const [id, { snapshot }] of Object.entries(holder.children ?? {})) {
      if (!snapshot) continue;
      if (id.startsWith('batch:')) visit(snapshot);
      else if (snapshot.status === 'active') replaceSpec(snapshot, id.startsWith('task:') ? tasks : agents);
    }
  };
  visit(crew);
}

function replaceSpec(actor: PersistedActor, current: Map<string, TaskSpec | AgentSpec>): void {
  const spec = actor.context?.spec as { id?: string } | undefined;
  const now = spec?.id === undefined ? undefined : current.get(spec.id);
  if (!now || !actor.context) return;
  actor.context.spec = now;
  // A task's loop at work keeps its own copy of its agent's limits (maxIter, retries, maxExecutionTime).
  const loop = actor.context.loop as { agent?: AgentSpec } | undefined;
  if (loop?.agent && 'agent' in now) loop.agent = now.agent;
  // An agent's jobs (coworkers' requests at work) are loops of that agent.
  if (!('agent' in now)) {
    for (const { snapshot } of Object.values(actor.children ?? {})) {
      const job = snapshot?.context as { agent?: AgentSpec; request?: unknown } | undefined;
      if (snapshot?.status === 'active' && job?.request && job.agent) job.agent = now;
    }
  }
}
