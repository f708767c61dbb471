import type { Snapshot } from 'xstate';
import type { CrewInput } from '../../machines/crew-chart.js';
import { TaskOutput, type TaskOutputData } from '../outputs.js';
import { taskActorsOf, type PersistedActor } from './persisted-actor.js';
import type { RunEnv } from './run-env.js';

/**
 * What a run's listener hears as it starts: `crew.started`. A restored run (`restored`: its snapshot and
 * the crew's input) is heard as a fresh run would be: `crew.started` with `resumed: true`, then
 * `task.started` for each task that was at work when the run stopped, so every later `task.completed`
 * follows a `task.started` in the same listener's hearing; a task waiting for a person is asked again, so
 * `human.input.requested` comes again too.
 */
export function announceStart(
  env: RunEnv,
  crew: { name: string; inputs: Record<string, unknown> },
  restored?: { snapshot: Snapshot<unknown>; input: CrewInput },
): void {
  env.emit({
    type: 'crew.started',
    runId: env.runId,
    crewName: crew.name,
    process: env.process,
    inputs: crew.inputs,
    ...(restored ? { resumed: true as const } : {}),
  });
  if (!restored) return;
  const { snapshot, input } = restored;
  const specs = new Map(input.tasks.map((spec) => [spec.id, spec]));
  // The tasks at work: running, in a review, or retrying (past `pending`).
  const children = (snapshot as PersistedActor).children;
  for (const [taskId, task] of taskActorsOf(children)) {
    if (task.status !== 'active' || task.value === 'pending') continue;
    const spec = specs.get(taskId);
    if (!spec) continue;
    env.emit({ type: 'task.started', runId: env.runId, taskId, name: spec.name, agentId: spec.agent.id });
    const { humanRound, draft } = (task.context ?? {}) as { humanRound?: number; draft?: TaskOutputData };
    if (task.value === 'human-input' && draft) {
      const round = (humanRound ?? 0) + 1;
      env.emit({
        type: 'human.input.requested',
        runId: env.runId,
        taskId,
        round,
        output: new TaskOutput(draft),
      });
    }
  }
}
