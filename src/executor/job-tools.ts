import type { ToolDefinition } from '../llm/types.js';
import type { RunAgent, RunEnv } from '../runtime/run-env.js';
import { toToolDefinition, type Tool } from '../tool.js';
import { delegationToolDefinitions } from './delegation.js';

export interface JobTools {
  tools: Tool[];
  /** Who this job may delegate to; null when it may not delegate. */
  coworkers: RunAgent[] | null;
  definitions: ToolDefinition[];
}

/**
 * The tools of one job: the task's tools (else the agent's), plus the delegation tools when the job
 * may delegate. The manager gets only the delegation tools; delegated work never delegates again.
 */
export function jobTools(
  env: RunEnv,
  agent: RunAgent,
  taskId: string | undefined,
  delegates: boolean,
  chain: string[] = [],
): JobTools {
  const task = taskId === undefined ? undefined : env.tasks.get(taskId);
  const isManager = agent.systemId === 'manager';
  const tools = isManager ? [] : (task?.task.tools ?? agent.tools);
  const pool = !delegates ? null : isManager ? (task?.coworkers ?? []) : agent.coworkers;
  const coworkers = pool?.filter((c) => c.systemId !== agent.systemId && !chain.includes(c.systemId)) ?? null;
  const definitions = tools.map(toToolDefinition);
  if (coworkers && coworkers.length > 0) definitions.push(...delegationToolDefinitions(coworkers));
  return { tools, coworkers: coworkers && coworkers.length > 0 ? coworkers : null, definitions };
}
