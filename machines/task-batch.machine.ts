import { sendParent, setup } from 'xstate';
import { taskMachine } from './task.machine.js';
import { taskActorId, type TaskSpec } from './types.js';

export interface TaskBatchInput {
  runId: string;
  tasks: TaskSpec[];
}

/** How the crew or a batch spawns a task actor (`spawn('task', taskSpawn(...))`). */
export function taskSpawn(runId: string, spec: TaskSpec) {
  const id = taskActorId(spec.id);
  return { id, systemId: id, input: { runId, spec } };
}

/**
 * Holds a few task actors of a large crew (see `batchSize` in the crew chart), so that no actor has
 * many children: XState copies an actor's children map for every child it spawns or stops. It spawns its tasks in
 * its context factory (one copy of the map) and passes their done and error events on to the crew as
 * it got them (with the task's `actorId`), so the crew handles them as it does its own children's. (In
 * the runtime those events arrive as `xstate.done.actor.task` / `xstate.error.actor.task`:
 * src/runtime/stable-child-events.ts.) The crew addresses the tasks by systemId; it stops a batch (and with it its
 * tasks) when it finishes.
 */
export const taskBatchMachine = setup({
  types: {} as {
    input: TaskBatchInput;
    context: Record<string, never>;
    events:
      | { type: `xstate.done.actor.${string}`; output: unknown; actorId: string }
      | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };
  },
  actors: { task: taskMachine },
  actions: { forwardToCrew: sendParent(({ event }) => event) },
}).createMachine({
  id: 'task-batch',
  context: ({ input, spawn }) => {
    for (const spec of input.tasks) spawn('task', taskSpawn(input.runId, spec));
    return {};
  },
  on: {
    'xstate.done.actor.*': { actions: 'forwardToCrew' },
    'xstate.error.actor.*': { actions: 'forwardToCrew' },
  },
});
