import { assign, enqueueActions, fromPromise, sendTo, setup, type ActorRefFrom } from 'xstate';
import type { CrewOutput, TaskOutputData } from '../src/outputs.js';
import { agentMachine, managerMachine } from './agent.machine.js';
import { taskMachine } from './task.machine.js';
import { fromUnprovided } from './unprovided.js';
import { errorData, type AgentSpec, type ErrorData, type TaskOutcome, type TaskSpec } from './types.js';

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
}

export interface CrewContext {
  runId: string;
  tasks: TaskSpec[];
  /** Position in the task list: everything before it has been started or skipped. */
  index: number;
  outcomes: Record<string, TaskOutcome>;
  /** Async tasks started and not yet joined, in crew order. */
  pendingAsync: string[];
  failure?: { taskId?: string; error: ErrorData };
  result?: CrewOutput;
  taskRefs: Record<string, ActorRefFrom<typeof taskMachine>>;
}

export type CrewEvent =
  | { type: 'human.feedback'; taskId?: string; feedback: string }
  | { type: `xstate.done.actor.${string}`; output: unknown; actorId: string }
  | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

type Done<T> = { output: T; actorId: string };
const isTaskActor = (actorId: string) => actorId.startsWith('task:');

export function skippedOutput(spec: TaskSpec): TaskOutputData {
  return {
    taskId: spec.id,
    name: spec.name,
    description: spec.description,
    expectedOutput: spec.expectedOutput,
    raw: '',
    agent: spec.agentRole,
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
    const outcome = context.outcomes[id];
    if (outcome?.status === 'done') raws.push(outcome.output.raw);
  }
  return raws.length > 0 ? raws.join(CONTEXT_DIVIDER) : null;
}

const current = (context: CrewContext) => context.tasks[context.index];

/**
 * The crew's statechart. Tasks run in list order; async tasks start and the crew moves on; every
 * pending async task is joined before a sync task, before a conditional task's condition and at the
 * end. Both processes share this shape; the hierarchical one adds the manager actor.
 */
export function createCrewChart(process: 'sequential' | 'hierarchical') {
  return setup({
    types: {} as { context: CrewContext; events: CrewEvent; input: CrewInput; output: CrewOutput },
    actors: {
      task: taskMachine,
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
      allTasksVisited: ({ context }) => context.index >= context.tasks.length,
      currentIsConditional: ({ context }) => current(context).conditional,
      currentIsAsync: ({ context }) => current(context).async,
      noPendingAsync: ({ context }) => context.pendingAsync.every((id) => context.outcomes[id] !== undefined),
      asyncFailed: ({ context }) =>
        context.pendingAsync.some((id) => context.outcomes[id]?.status === 'failed'),
      currentFinished: ({ context }) => context.outcomes[current(context).id] !== undefined,
      currentFailed: ({ context }) => context.outcomes[current(context).id]?.status === 'failed',
      conditionMet: ({ event }) => (event as unknown as Done<boolean>).output === true,
    },
    actions: {
      startCurrent: sendTo(
        ({ context }) => context.taskRefs[current(context).id],
        ({ context }) => ({
          type: 'task.start' as const,
          contextText: contextFor(context, current(context)),
        }),
      ),
      skipCurrent: sendTo(
        ({ context }) => context.taskRefs[current(context).id],
        ({ context }) => ({ type: 'task.skip' as const, output: skippedOutput(current(context)) }),
      ),
      trackAsync: assign({ pendingAsync: ({ context }) => [...context.pendingAsync, current(context).id] }),
      advance: assign({ index: ({ context }) => context.index + 1 }),
      joinAsync: assign({ pendingAsync: () => [] }),
      recordOutcome: assign(({ context, event }) => {
        const { output, actorId } = event as unknown as Done<TaskOutcome>;
        if (!isTaskActor(actorId) || !output) return {};
        const outcomes = { ...context.outcomes, [output.taskId]: output };
        return { outcomes };
      }),
      recordTaskFailure: assign(({ context }) => {
        const failed = Object.values(context.outcomes).find((o) => o.status === 'failed');
        return failed?.status === 'failed' ? { failure: { taskId: failed.taskId, error: failed.error } } : {};
      }),
      recordError: assign(({ event }) => ({
        failure: { error: errorData((event as { error?: unknown }).error) },
      })),
      // A condition that throws fails its task's run: the error names the task.
      recordConditionError: assign(({ context, event }) => ({
        failure: { taskId: current(context).id, error: errorData((event as { error?: unknown }).error) },
      })),
      forwardFeedback: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'human.feedback') return;
        const { taskId, feedback } = event;
        if (taskId) {
          const ref = context.taskRefs[taskId];
          if (ref) enqueue.sendTo(ref, { type: 'human.feedback', taskId, feedback });
          return;
        }
        // No task named: only a task waiting in human-input takes it (the others ignore it).
        for (const ref of Object.values(context.taskRefs))
          enqueue.sendTo(ref, { type: 'human.feedback', feedback });
      }),
      // An action that throws leaves the actor's children running: XState stops them only in a step
      // that completes. So a failed crew first stops every task and agent actor (which cancels their
      // in-flight model and tool calls) and throws the run's error in a later step.
      stopEverything: enqueueActions(({ context, self, enqueue }) => {
        // The crew's last committed snapshot lists every task and agent actor (a traversal with
        // xstate/graph has none: its children never started, so only the task refs are known).
        const live = (self.getSnapshot() as { children?: Record<string, unknown> } | undefined)?.children;
        const ids = live ? Object.keys(live) : Object.keys(context.taskRefs).map((id) => `task:${id}`);
        for (const id of ids) enqueue.stopChild(id);
      }),
      // The runtime turns the failure into the error `kickoff` rejects with.
      raiseRunError: () => {},
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
      for (const spec of input.tasks) {
        const id = `task:${spec.id}`;
        taskRefs[spec.id] = spawn('task', { id, systemId: id, input: { runId: input.runId, spec } });
      }
      return {
        runId: input.runId,
        tasks: input.tasks,
        index: input.startAt ?? 0,
        outcomes: input.outcomes ?? {},
        pendingAsync: [],
        taskRefs,
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
              onError: { target: '#crew-failed', actions: 'recordConditionError' },
            },
          },
          runningTask: {
            always: [
              { guard: 'currentFailed', target: '#crew-failing' },
              { guard: 'currentFinished', target: 'next', actions: 'advance' },
            ],
          },
          joiningAtEnd: {
            always: [
              { guard: 'asyncFailed', target: '#crew-failing' },
              { guard: 'noPendingAsync', target: '#crew-completing', actions: 'joinAsync' },
            ],
          },
        },
      },
      completing: {
        id: 'crew-completing',
        invoke: {
          src: 'completeRun',
          input: ({ context }) => ({
            runId: context.runId,
            outcomes: context.tasks.map((task) => context.outcomes[task.id]).filter((o) => o !== undefined),
          }),
          onDone: { target: 'done', actions: assign({ result: ({ event }) => event.output }) },
          onError: { target: 'failed', actions: 'recordError' },
        },
      },
      failing: {
        id: 'crew-failing',
        always: { target: 'failed', actions: 'recordTaskFailure' },
      },
      done: { type: 'final' },
      // `settleFailure` is invoked (not a self-sent event) so that a crew restored in this state throws too.
      failed: {
        id: 'crew-failed',
        entry: 'stopEverything',
        invoke: { src: 'settleFailure', onDone: { actions: 'raiseRunError' } },
      },
    },
  });
}

function agentInput(input: CrewInput, spec: AgentSpec, kind: 'agent' | 'manager') {
  return { runId: input.runId, spec, systemId: kind === 'manager' ? 'manager' : `agent:${spec.id}` };
}

function previousOutput(context: CrewContext): TaskOutputData | undefined {
  const previous = context.tasks[context.index - 1];
  const outcome = previous && context.outcomes[previous.id];
  return outcome && outcome.status !== 'failed' ? outcome.output : undefined;
}

export type CrewChart = ReturnType<typeof createCrewChart>;
