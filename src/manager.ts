import { Agent } from './agent.js';
import type { LLM } from './llm/types.js';

export const MANAGER_ROLE = 'Crew Manager';

/** The manager a hierarchical crew builds from `managerLlm`: it plans, delegates and reviews, never does the work. */
export function createManagerAgent(llm: LLM | string): Agent {
  return new Agent({
    role: MANAGER_ROLE,
    goal: 'Manage the team to complete the task in the best way possible.',
    backstory:
      'You are a seasoned manager with a knack for getting the best out of your team. You are known for ' +
      'delegating work to the right people and asking them the right questions. You never perform tasks ' +
      'yourself: you break the task down, delegate each part to the coworker best suited to it with all ' +
      "the context they need, review what they return, and combine it into the task's final answer.",
    llm,
    allowDelegation: true,
  });
}
