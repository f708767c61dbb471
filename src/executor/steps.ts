import { inCallbackOf } from '../errors.js';
import type { AgentStep } from '../events.js';
import type { RunAgent, RunEnv } from '../runtime/run-env.js';

type StepBody = AgentStep extends infer S
  ? S extends AgentStep
    ? Omit<S, 'agentId' | 'role' | 'taskId'>
    : never
  : never;

/** Tells the step callback and the event stream about one step of an agent's loop. */
export async function notifyStep(
  env: RunEnv,
  agent: RunAgent,
  taskId: string | undefined,
  body: StepBody,
): Promise<void> {
  if (!agent.stepCallback && !env.observed) return;
  const step = { ...body, agentId: agent.id, role: agent.role, ...(taskId ? { taskId } : {}) } as AgentStep;
  if (env.observed)
    env.emit({
      type: 'agent.step',
      runId: env.runId,
      agentId: agent.id,
      ...(taskId ? { taskId } : {}),
      step,
    });
  const { stepCallback } = agent;
  // A bug in the callback is not the model's: the task fails at once (callback_failed is not retried).
  if (stepCallback) await inCallbackOf(`The stepCallback of agent '${agent.role}'`, () => stepCallback(step));
}
