import { and, assign, enqueueActions, fromPromise, setup, type ActorRefFrom, type AnyActorRef } from 'xstate';
import type { CrewOutput, TaskOutputData } from '../src/outputs.js';
import { agentMachine, managerMachine } from './agent.machine.js';
import { chunkOutcomes, outcomeList, outcomeOf, withOutcome, type OutcomeChunks } from './crew-outcomes.js';
import { taskBatchMachine, taskSpawn } from './task-batch.machine.js';
import { taskMachine } from './task.machine.js';
import { fromUnprovided } from './unprovided.js';
import {
  errorData,
  taskActorId,
  taskIdOfActor,
  type AgentSpec,
  type ErrorData,
  type TaskOutcome,
  type TaskSpec,
} from './types.js';

export const CONTEXT_DIVIDER = '\n\n----------\n\n';

export interface CrewInput {
  runId: string;
  tasks: TaskSpec[];
  agents: AgentSpec[];
  /** The hierarchical process's manager. */
  manager?: AgentSpec;
  /** Replay: start at this task, with the outcomes of the tasks before it from an earlier run. */
  startAt?: number;
  outcomes?: Record<string, TaskOutcome>;
  /**
   * Completing the run awaits work (`afterKickoff` callbacks) in an invoked actor; without it the crew
   * is done in the step that joins its last task.
   */
  awaitsCompletion?: boolean;
}

export interface CrewContext {
  runId: string;
  tasks: TaskSpec[];
  /** Position in the task list: everything before it has been started or skipped. */
  index: number;
  /** The outcomes of the finished tasks, in chunks by position: read them with `machines/crew-outcomes.ts`. */
  outcomes: OutcomeChunks;
  /** Async tasks started and not yet joined, in crew order. */
  pendingAsync: string[];
  failure?: { taskId?: string; error: ErrorData };
  result?: CrewOutput;
  awaitsCompletion?: boolean;
  /**
   * The task actors of a crew of up to `MAX_DIRECT_TASKS` tasks, which are its children. A larger crew's
   * tasks live in batch actors (`batch:<k>`) and are found by systemId: this is empty.
   */
  taskRefs: Record<string, ActorRefFrom<typeof taskMachine>>;
}

export type CrewEvent =
  | { type: 'human.feedback'; taskId?: string; feedback: string }
  | { type: `xstate.done.actor.${string}`; output: unknown; actorId: string }
  | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

type Done<T> = { output: T; actorId: string };
// A bare `{ type }` event (xstate/graph walking the chart) names no actor: it is no task's.
const isTaskActor = (actorId: string | undefined) =>
  actorId !== undefined && taskIdOfActor(actorId) !== undefined;

/** The most tasks a crew holds as its own children; a larger one runs them in batch actors. */
export const MAX_DIRECT_TASKS = 100;

/**
 * Tasks per batch actor of a crew of `taskCount` tasks (more than `MAX_DIRECT_TASKS`). XState copies
 * an actor's children map for each child it stops, so stopping B tasks in each of N/B batches and then
 * N/B batches costs about N·B/2 + (N/B)²/2 copies: least for B ≈ ∛(2N) (27 for 10,000 tasks).
 */
export function batchSize(taskCount: number): number {
  return Math.min(MAX_DIRECT_TASKS, Math.ceil(Math.cbrt(2 * taskCount)));
}

/**
 * The actor of a task: the crew's child (its ref is revived on restore), or for a batched crew the
 * task registered under `task:<id>` (undefined once it has finished, or in a traversal without a system).
 */
export function taskActor(
  context: CrewContext,
  system: { get(systemId: string): unknown },
  taskId: string,
): AnyActorRef | undefined {
  return context.taskRefs[taskId] ?? (system.get(taskActorId(taskId)) as AnyActorRef | undefined);
}

export function skippedOutput(spec: TaskSpec): TaskOutputData {
  return {
    taskId: spec.id,
    name: spec.name,
    description: spec.description,
    expectedOutput: spec.expectedOutput,
    raw: '',
    agent: spec.agent.role,
    outputFormat: 'raw',
    messages: [],
    skipped: true,
  };
}

/** The context text a task gets when it starts (SPEC §5.2); null means no context section. */
export function contextFor(context: CrewContext, spec: TaskSpec): string | null {
  if (spec.context?.length === 0) return null;
  const ids = spec.context ?? context.tasks.map((task) => task.id);
  const raws: string[] = [];
  for (const id of ids) {
    const outcome = outcomeOf(context, id);
    if (outcome?.status === 'done') raws.push(outcome.output.raw);
  }
  return raws.length > 0 ? raws.join(CONTEXT_DIVIDER) : null;
}

const current = (context: CrewContext) => context.tasks[context.index];
const finished = (context: CrewContext, taskId: string) => outcomeOf(context, taskId) !== undefined;
const failed = (context: CrewContext, taskId: string) => outcomeOf(context, taskId)?.status === 'failed';
/** Every async task started so far has an outcome, and none failed: a sync task may start. */
const asyncSettled = (context: CrewContext) =>
  context.pendingAsync.every((id) => finished(context, id) && !failed(context, id));
/** The task at `at` is sync and unconditional, and can start now. */
const startsAtOnce = (context: CrewContext, at: number) => {
  const spec = context.tasks[at];
  return spec !== undefined && !spec.async && !spec.conditional && asyncSettled(context);
};

/**
 * The crew's statechart. Tasks run in list order; async tasks start and the crew moves on; every
 * pending async task is joined before a sync task, before a conditional task's condition and at the
 * end. Both processes share this shape; the hierarchical one adds the manager actor.
 *
 * A crew of up to `MAX_DIRECT_TASKS` tasks spawns them as its children (`task:<id>`); a larger one
 * spawns batch actors (`batch:<k>`) of `batchSize` tasks each, which pass their tasks' done and error
 * events on, so both take the same path here. The common step (a sync task finishes and the next is a
 * plain sync task) records, advances and starts the next task in the one transition of its event.
 */
export function createCrewChart(process: 'sequential' | 'hierarchical') {
  return setup({
    types: {} as { context: CrewContext; events: CrewEvent; input: CrewInput; output: CrewOutput },
    actors: {
      task: taskMachine,
      taskBatch: taskBatchMachine,
      agent: agentMachine,
      manager: managerMachine,
      evaluateCondition: fromUnprovided<
        boolean,
        { runId: string; taskId: string; previous?: TaskOutputData }
      >('evaluateCondition'),
      completeRun: fromUnprovided<CrewOutput, { runId: string; outcomes: TaskOutcome[] }>('completeRun'),
      // Lets a failed crew finish its step (which stops its actors) before it throws; see `failed`.
      settleFailure: fromPromise(async () => undefined),
    },
    guards: {
      // Absent in a checkpoint of format 1: those crews complete through the invoked `completeRun`.
      completesAtOnce: ({ context }) => context.awaitsCompletion === false,
      allTasksVisited: ({ context }) => context.index >= context.tasks.length,
      currentIsConditional: ({ context }) => current(context).conditional,
      currentIsAsync: ({ context }) => current(context).async,
      currentStartsAtOnce: ({ context }) => startsAtOnce(context, context.index),
      nextStartsAtOnce: ({ context }) => startsAtOnce(context, context.index + 1),
      /** The current task is the last one and every async task started so far has finished well. */
      endsTheRun: ({ context }) => context.index === context.tasks.length - 1 && asyncSettled(context),
      noPendingAsync: ({ context }) => context.pendingAsync.every((id) => finished(context, id)),
      asyncFailed: ({ context }) => context.pendingAsync.some((id) => failed(context, id)),
      currentFinished: ({ context }) => finished(context, current(context).id),
      currentFailed: ({ context }) => failed(context, current(context).id),
      /** The event is the current task's done event, and it did not fail. */
      finishesCurrent: ({ context, event }) => {
        const { output, actorId } = event as unknown as Done<TaskOutcome | undefined>;
        return isTaskActor(actorId) && output?.taskId === current(context)?.id && output.status !== 'failed';
      },
      conditionMet: ({ event }) => (event as unknown as Done<boolean>).output === true,
    },
    actions: {
      startCurrent: enqueueActions(({ context, system, enqueue }) => {
        const spec = current(context);
        const task = taskActor(context, system, spec.id);
        if (task) enqueue.sendTo(task, { type: 'task.start', contextText: contextFor(context, spec) });
      }),
      skipCurrent: enqueueActions(({ context, system, enqueue }) => {
        const spec = current(context);
        const task = taskActor(context, system, spec.id);
        if (task) enqueue.sendTo(task, { type: 'task.skip', output: skippedOutput(spec) });
      }),
      trackAsync: assign({ pendingAsync: ({ context }) => [...context.pendingAsync, current(context).id] }),
      advance: assign({ index: ({ context }) => context.index + 1 }),
      // recordOutcome + advance + joinAsync in one assign (one snapshot copy, not three): the common step.
      recordOutcomeAndAdvance: assign(({ context, event }) => {
        const { output } = event as unknown as Done<TaskOutcome>;
        return { outcomes: withOutcome(context, output), index: context.index + 1, pendingAsync: [] };
      }),
      // Joining nothing (the common case) changes nothing: no assign, so no copy of the snapshot.
      joinAsync: enqueueActions(({ context, enqueue }) => {
        if (context.pendingAsync.length > 0) enqueue.assign({ pendingAsync: [] });
      }),
      recordOutcome: assign(({ context, event }) => {
        const { output, actorId } = event as unknown as Done<TaskOutcome>;
        if (!isTaskActor(actorId) || !output) return {};
        return { outcomes: withOutcome(context, output) };
      }),
      recordTaskFailure: assign(({ context }) => {
        const failure = outcomeList(context).find((o) => o.status === 'failed');
        return failure?.status === 'failed'
          ? { failure: { taskId: failure.taskId, error: failure.error } }
          : {};
      }),
      // The run's CrewOutput, from `completeRun` (the afterKickoff callbacks' last word).
      keepResult: assign({ result: ({ event }) => (event as unknown as Done<CrewOutput>).output }),
      recordError: assign(({ event }) => ({
        failure: { error: errorData((event as { error?: unknown }).error) },
      })),
      // A condition that throws fails its task's run: the error names the task.
      recordConditionError: assign(({ context, event }) => ({
        failure: { taskId: current(context).id, error: errorData((event as { error?: unknown }).error) },
      })),
      forwardFeedback: enqueueActions(({ context, event, system, enqueue }) => {
        if (event.type !== 'human.feedback') return;
        const { taskId, feedback } = event;
        if (taskId) {
          const task = taskActor(context, system, taskId);
          if (task) enqueue.sendTo(task, { type: 'human.feedback', taskId, feedback });
          return;
        }
        // No task named: only a task waiting in human-input takes it (the others ignore it).
        for (const spec of context.tasks) {
          const task = finished(context, spec.id) ? undefined : taskActor(context, system, spec.id);
          if (task) enqueue.sendTo(task, { type: 'human.feedback', feedback });
        }
      }),
      // An action that throws leaves the actor's children running: XState stops them only in a step
      // that completes. So a failed crew first stops every task and agent actor (which cancels their
      // in-flight model and tool calls) and throws the run's error in a later step.
      stopEverything: enqueueActions(({ context, self, enqueue }) => {
        // The crew's last committed snapshot lists every task (or batch) and agent actor (a traversal
        // with xstate/graph has none: its children never started, so only the task refs are known).
        const live = (self.getSnapshot() as { children?: Record<string, unknown> } | undefined)?.children;
        const ids = live ? Object.keys(live) : taskHolders(context.tasks).map((holder) => holder.id);
        for (const id of ids) enqueue.stopChild(id);
      }),
      // The runtime turns the failure into the error `kickoff` rejects with.
      raiseRunError: () => {},
      // A condition that threw fails its task, whose actor never left `pending`: the runtime announces it.
      announceConditionFailure: () => {},
      // The runtime builds the CrewOutput (`result`) when no afterKickoff callback waits for it.
      completeRunAtOnce: () => {},
    },
  }).createMachine({
    id: `crew.${process}`,
    context: ({ input, spawn }) => {
      const executors = process === 'hierarchical' && input.manager ? [input.manager] : [];
      for (const agent of input.agents) {
        spawn('agent', {
          id: `agent:${agent.id}`,
          systemId: `agent:${agent.id}`,
          input: agentInput(input, agent, 'agent'),
        });
      }
      for (const manager of executors) {
        spawn('manager', {
          id: 'manager',
          systemId: 'manager',
          input: agentInput(input, manager, 'manager'),
        });
      }
      const taskRefs: CrewContext['taskRefs'] = {};
      if (input.tasks.length <= MAX_DIRECT_TASKS) {
        for (const spec of input.tasks) taskRefs[spec.id] = spawn('task', taskSpawn(input.runId, spec));
      } else {
        for (const { id, tasks } of taskHolders(input.tasks)) {
          spawn('taskBatch', { id, input: { runId: input.runId, tasks } });
        }
      }
      return {
        runId: input.runId,
        tasks: input.tasks,
        index: input.startAt ?? 0,
        outcomes: chunkOutcomes(input.tasks, input.outcomes),
        pendingAsync: [],
        taskRefs,
        awaitsCompletion: input.awaitsCompletion,
      };
    },
    initial: 'running',
    output: ({ context }) => context.result!,
    states: {
      running: {
        initial: 'next',
        on: {
          'xstate.done.actor.*': { actions: 'recordOutcome' },
          'xstate.error.actor.*': { target: 'failed', actions: 'recordError' },
          'human.feedback': { actions: 'forwardFeedback' },
        },
        states: {
          next: {
            always: [
              { guard: 'allTasksVisited', target: 'joiningAtEnd' },
              { guard: 'currentIsConditional', target: 'joiningBeforeCondition' },
              {
                guard: 'currentIsAsync',
                target: 'next',
                reenter: true,
                actions: ['startCurrent', 'trackAsync', 'advance'],
              },
              // A sync task with nothing to join starts here, without a step through joiningBeforeTask.
              { guard: 'currentStartsAtOnce', target: 'runningTask', actions: ['joinAsync', 'startCurrent'] },
              { target: 'joiningBeforeTask' },
            ],
          },
          joiningBeforeTask: {
            always: [
              { guard: 'asyncFailed', target: '#crew-failing' },
              { guard: 'noPendingAsync', target: 'runningTask', actions: ['joinAsync', 'startCurrent'] },
            ],
          },
          joiningBeforeCondition: {
            always: [
              { guard: 'asyncFailed', target: '#crew-failing' },
              { guard: 'noPendingAsync', target: 'evaluatingCondition', actions: 'joinAsync' },
            ],
          },
          evaluatingCondition: {
            invoke: {
              id: 'evaluateCondition',
              src: 'evaluateCondition',
              input: ({ context }) => ({
                runId: context.runId,
                taskId: current(context).id,
                previous: previousOutput(context),
              }),
              onDone: [
                { guard: 'conditionMet', target: 'runningTask', actions: 'startCurrent' },
                { target: 'runningTask', actions: 'skipCurrent' },
              ],
              onError: {
                target: '#crew-failed',
                actions: ['recordConditionError', 'announceConditionFailure'],
              },
            },
          },
          runningTask: {
            on: {
              // The current task finished: record it and move on in this one step where possible (a
              // failed task, or another task's event, takes the `running` handler and the checks below).
              'xstate.done.actor.*': [
                {
                  guard: and(['finishesCurrent', 'nextStartsAtOnce']),
                  actions: ['recordOutcomeAndAdvance', 'startCurrent'],
                },
                // The last task finished and nothing is left to join: done in this step.
                {
                  guard: and(['finishesCurrent', 'endsTheRun', 'completesAtOnce']),
                  target: '#crew-done',
                  actions: ['recordOutcomeAndAdvance', 'completeRunAtOnce'],
                },
                { guard: 'finishesCurrent', target: 'next', actions: ['recordOutcome', 'advance'] },
              ],
            },
            always: [
              { guard: 'currentFailed', target: '#crew-failing' },
              { guard: 'currentFinished', target: 'next', actions: 'advance' },
            ],
          },
          joiningAtEnd: {
            always: [
              { guard: 'asyncFailed', target: '#crew-failing' },
              {
                guard: and(['noPendingAsync', 'completesAtOnce']),
                target: '#crew-done',
                actions: ['joinAsync', 'completeRunAtOnce'],
              },
              { guard: 'noPendingAsync', target: '#crew-completing', actions: 'joinAsync' },
            ],
          },
        },
      },
      completing: {
        id: 'crew-completing',
        invoke: {
          id: 'completeRun',
          src: 'completeRun',
          input: ({ context }) => ({ runId: context.runId, outcomes: outcomeList(context) }),
          onDone: { target: 'done', actions: 'keepResult' },
          onError: { target: 'failed', actions: 'recordError' },
        },
      },
      failing: {
        id: 'crew-failing',
        always: { target: 'failed', actions: 'recordTaskFailure' },
      },
      done: { id: 'crew-done', type: 'final' },
      // `settleFailure` is invoked (not a self-sent event) so that a crew restored in this state throws too.
      failed: {
        id: 'crew-failed',
        entry: 'stopEverything',
        invoke: { id: 'settleFailure', src: 'settleFailure', onDone: { actions: 'raiseRunError' } },
      },
    },
  });
}

/** The children that hold a crew's tasks: `task:<id>` each, or `batch:<k>` per batch of tasks. */
function taskHolders(tasks: TaskSpec[]): Array<{ id: string; tasks: TaskSpec[] }> {
  if (tasks.length <= MAX_DIRECT_TASKS)
    return tasks.map((task) => ({ id: taskActorId(task.id), tasks: [task] }));
  const size = batchSize(tasks.length);
  return Array.from({ length: Math.ceil(tasks.length / size) }, (_, k) => ({
    id: `batch:${k}`,
    tasks: tasks.slice(k * size, (k + 1) * size),
  }));
}

function agentInput(input: CrewInput, spec: AgentSpec, kind: 'agent' | 'manager') {
  return { runId: input.runId, spec, systemId: kind === 'manager' ? 'manager' : `agent:${spec.id}` };
}

function previousOutput(context: CrewContext): TaskOutputData | undefined {
  const previous = context.tasks[context.index - 1];
  const outcome = previous && outcomeOf(context, previous.id);
  return outcome && outcome.status !== 'failed' ? outcome.output : undefined;
}

export type CrewChart = ReturnType<typeof createCrewChart>;
