import type { Snapshot } from 'xstate';
import type { CrewInput } from '../../machines/crew-chart.js';
import { taskIdOfActor } from '../../machines/types.js';
import type { RunEnv } from './run-env.js';

type Children = Record<string, { snapshot?: { status?: string; value?: unknown; children?: unknown } }>;

/**
 * What a listener of a restored run hears when it starts again, as a fresh run's would: `crew.started`
 * (with `resumed: true`), then `task.started` for each task that was at work when the run stopped (a
 * task waiting for a person too), so every later `task.completed` follows a `task.started` in the same
 * listener's hearing.
 */
export function announceRestoredRun(
  env: RunEnv,
  snapshot: Snapshot<unknown>,
  input: CrewInput,
  crew: { name: string; inputs: Record<string, unknown> },
): void {
  env.emit({
    type: 'crew.started',
    runId: env.runId,
    crewName: crew.name,
    process: env.process,
    inputs: crew.inputs,
    resumed: true,
  });
  const specs = new Map(input.tasks.map((spec) => [spec.id, spec]));
  for (const taskId of tasksAtWork((snapshot as { children?: Children }).children ?? {})) {
    const spec = specs.get(taskId);
    if (!spec) continue;
    env.emit({ type: 'task.started', runId: env.runId, taskId, name: spec.name, agentId: spec.agent.id });
  }
}

/** Task actors (also inside `batch:` actors) that are running, in a review, or retrying: past `pending`. */
function tasksAtWork(children: Children, into: string[] = []): string[] {
  for (const [id, { snapshot }] of Object.entries(children)) {
    if (snapshot?.status !== 'active') continue;
    const taskId = taskIdOfActor(id);
    if (taskId !== undefined && snapshot.value !== 'pending') into.push(taskId);
    else if (id.startsWith('batch:')) tasksAtWork((snapshot.children ?? {}) as Children, into);
  }
  return into;
}
