import type { Snapshot } from 'xstate';
import type { CrewInput } from '../../machines/crew-chart.js';
import { taskIdOfActor } from '../../machines/types.js';
import { TaskOutput, type TaskOutputData } from '../outputs.js';
import type { RunEnv } from './run-env.js';

type TaskSnapshot = {
  status?: string;
  value?: unknown;
  children?: unknown;
  context?: { humanRound?: number; draft?: TaskOutputData };
};
type Children = Record<string, { snapshot?: TaskSnapshot }>;

/**
 * What a listener of a restored run hears when it starts again, as a fresh run's would: `crew.started`
 * (with `resumed: true`), then `task.started` for each task that was at work when the run stopped, so
 * every later `task.completed` follows a `task.started` in the same listener's hearing; a task waiting
 * for a person is asked again, so `human.input.requested` comes again too.
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
  for (const [taskId, task] of tasksAtWork((snapshot as { children?: Children }).children ?? {})) {
    const spec = specs.get(taskId);
    if (!spec) continue;
    env.emit({ type: 'task.started', runId: env.runId, taskId, name: spec.name, agentId: spec.agent.id });
    const { humanRound, draft } = task.context ?? {};
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

/** Task actors (also inside `batch:` actors) that are running, in a review, or retrying: past `pending`. */
function tasksAtWork(
  children: Children,
  into: Array<[string, TaskSnapshot]> = [],
): Array<[string, TaskSnapshot]> {
  for (const [id, { snapshot }] of Object.entries(children)) {
    if (snapshot?.status !== 'active') continue;
    const taskId = taskIdOfActor(id);
    if (taskId !== undefined && snapshot.value !== 'pending') into.push([taskId, snapshot]);
    else if (id.startsWith('batch:')) tasksAtWork((snapshot.children ?? {}) as Children, into);
  }
  return into;
}
