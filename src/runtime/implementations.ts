import { assign, fromPromise, type AnyEventObject } from 'xstate';
import { agentJobMachine } from '../../machines/agent-job.machine.js';
import {
  delegationId,
  type AnswerCheckInput,
  type DeadlineInput,
  type DelegationReply,
  type LoopContext,
  type ModelCallInput,
  type ToolRound,
  type ToolRunInput,
} from '../../machines/agent-loop.js';
import { agentIdOf, agentMachine, managerMachine } from '../../machines/agent.machine.js';
import { hierarchicalCrewMachine } from '../../machines/hierarchical-crew.machine.js';
import { sequentialCrewMachine } from '../../machines/sequential-crew.machine.js';
import { taskBatchMachine } from '../../machines/task-batch.machine.js';
import { taskMachine, type TaskContext } from '../../machines/task.machine.js';
import type { CrewContext, CrewEvent } from '../../machines/crew-chart.js';
import { outcomeList } from '../../machines/crew-outcomes.js';
import type { TaskOutcome } from '../../machines/types.js';
import { callModel } from '../executor/call-model.js';
import { expireAt } from '../executor/deadline.js';
import { runTools } from '../executor/run-tools.js';
import { parseStructuredOutput, type StructuredResult } from '../executor/structured-output.js';
import { CrewOutput, TaskOutput, type TaskOutputData } from '../outputs.js';
import type { ConditionalTask } from '../task.js';
import { addUsage, emptyUsage } from '../usage.js';
import { completeTask, completeTaskAtOnce } from './complete-task.js';
import { callbackFailed, inCallback } from '../errors.js';
import { runFailure } from './failure.js';
import { collectHumanFeedback } from './human-feedback.js';
import { runGuardrails } from './guardrails.js';
import { prefixedKind, withStableChildEvents } from './stable-child-events.js';
import {
  getRun,
  keepingErrors,
  runAgent,
  runLabel,
  runTask,
  type RunAgent,
  type RunEnv,
  type RunTask,
} from './run-env.js';

/** Runs `work` against the run's environment, keeping thrown errors so the rejection keeps its class. */
function inRun<TInput extends { runId: string }, TOutput>(
  work: (env: RunEnv, input: TInput, signal: AbortSignal) => Promise<TOutput>,
) {
  return fromPromise<TOutput, TInput>(({ input, signal }) => {
    const env = getRun(input.runId);
    return keepingErrors(env, () => work(env, input, signal));
  });
}

/** The actors the agent loop invokes, in a task's own states and in a coworker's job alike. */
const runtimeLoopActors = {
  callModel: inRun((_env, input: ModelCallInput, signal) => callModel(input, signal)),
  runTools: inRun((_env, input: ToolRunInput, signal) => runTools(input, signal)),
  checkAnswer: inRun(async (env, input: AnswerCheckInput) => {
    const schema = input.taskId ? env.tasks.get(input.taskId)?.task.outputSchema : undefined;
    if (!schema) return { ok: true as const, parsed: undefined };
    const result: StructuredResult<unknown> = parseStructuredOutput(input.answer, schema);
    return result.ok ? { ok: true as const, parsed: result.value, json: result.json } : result;
  }),
  // Bounds a delegating loop's wait for its coworkers' replies (only invoked when there is a deadline).
  expireAtDeadline: inRun((env, input: DeadlineInput, signal) => {
    const agent = runAgent(env, input.agentId);
    return expireAt(
      input.deadline,
      signal,
      () =>
        `Agent '${agent.role}' exceeded its maxExecutionTime of ${agent.agent.maxExecutionTime} ms while waiting for its coworkers`,
    );
  }),
};

// A coworker's job never delegates (delegated work gets no delegation tools), so its loop's
// delegation announcements keep their no-op defaults.
const job = agentJobMachine.provide({ actors: runtimeLoopActors });

function announceDelegations(loop: LoopContext, event: AnyEventObject) {
  const env = getRun(loop.runId);
  if (!env.observed) return;
  for (const d of (event as unknown as { output: ToolRound }).output.dispatches) {
    env.emit({
      type: 'delegation.sent',
      runId: env.runId,
      agentId: loop.agent.id,
      taskId: loop.request.taskId,
      kind: d.kind,
      requestId: delegationId(loop, d.callId),
      // Coworkers are worker agents: `agent:<id>`.
      to: agentIdOf(d.to),
      request: d.request,
    });
  }
}

function announceDelegationReply(loop: LoopContext, event: AnyEventObject) {
  const env = getRun(loop.runId);
  if (!env.observed) return;
  const reply = event as DelegationReply;
  const callId = loop.awaiting[reply.requestId];
  const call = loop.calls.find((c) => c.id === callId);
  env.emit({
    type: 'delegation.replied',
    runId: env.runId,
    agentId: loop.agent.id,
    taskId: loop.request.taskId,
    kind: call?.name === 'ask_question' ? 'ask_question' : 'delegate_work',
    requestId: reply.requestId,
    from: reply.from,
    fromRole: env.agents.get(reply.from)?.role ?? '',
    reply: reply.answer,
  });
  // The delegation was a tool call (tool.called announced it): its reply is that call's result.
  if (call) {
    env.emit({
      type: 'tool.result',
      runId: env.runId,
      agentId: loop.agent.id,
      taskId: loop.request.taskId,
      call,
      result: reply.answer,
      isError: reply.failed === true,
      cached: false,
    });
  }
}

const task = taskMachine.provide({
  actors: {
    ...runtimeLoopActors,
    runGuardrails: inRun((env, input: { runId: string; taskId: string; draft: TaskOutputData }, signal) => {
      const t = runTask(env, input.taskId);
      return runGuardrails(env, t, judgeOf(env, t), input.draft, signal);
    }),
    collectHumanFeedback: inRun(
      (env, input: { runId: string; taskId: string; output: TaskOutputData; round: number }, signal) =>
        collectHumanFeedback(env, runTask(env, input.taskId), input.output, input.round, signal),
    ),
    completeTask: inRun((env, input: { runId: string; taskId: string; output: TaskOutputData }, signal) =>
      completeTask(env, runTask(env, input.taskId), input.output, signal),
    ),
  },
  actions: {
    announceDelegations: ({ context, event }) => announceDelegations(context.loop!, event),
    announceDelegationReply: ({ context, event }) => announceDelegationReply(context.loop!, event),
    announceCompletion: ({ context }) => {
      const env = getRun(context.runId);
      const { outcome } = context;
      if (outcome?.status === 'done') completeTaskAtOnce(env, runTask(env, context.spec.id), outcome.output);
    },
    announceStart: ({ context }) =>
      emitTask(context, (env) => ({
        type: 'task.started',
        runId: env.runId,
        taskId: context.spec.id,
        name: context.spec.name,
        // The executor's agent id (the manager's in a hierarchical crew), not its actor's systemId.
        agentId: context.spec.agent.id,
      })),
    announceSkip: ({ context }) => {
      runTask(getRun(context.runId), context.spec.id).task.output = undefined;
      const outcome = context.outcome;
      if (outcome?.status === 'skipped') {
        emitTask(context, (env) => ({
          type: 'task.skipped',
          runId: env.runId,
          taskId: context.spec.id,
          output: new TaskOutput(outcome.output),
        }));
      }
    },
    announceFailure: ({ context }) => {
      // A task whose callback or output file failed had its output recorded first: it has none now
      // (unless a run of the same crew at the same time has recorded another since).
      const env = getRun(context.runId);
      const { task } = runTask(env, context.spec.id);
      if (task.output !== undefined && task.output === env.outputs.get(context.spec.id))
        task.output = undefined;
      env.outputs.delete(context.spec.id);
      emitTask(context, () => ({
        type: 'task.failed',
        runId: env.runId,
        taskId: context.spec.id,
        error: runFailure(env, { taskId: context.spec.id, error: context.error! }),
      }));
    },
    announceGuardrailFailure: ({ context }) => announceGuardrailFailure(context, false),
    announceGuardrailsExhausted: ({ context }) => announceGuardrailFailure(context, true),
    announceHumanInput: ({ context }) => {
      const env = getRun(context.runId);
      if (env.observed) {
        env.emit({
          type: 'human.input.requested',
          runId: env.runId,
          taskId: context.spec.id,
          round: context.humanRound + 1,
          output: new TaskOutput(context.draft!),
        });
      }
      env.onHumanInputRequested?.(context.spec.id);
    },
  },
});

/** `guardrail.failed`, for every failure: the ones that start a retry and the one that spends the budget. */
function announceGuardrailFailure(context: TaskContext, exhausted: boolean) {
  emitTask(context, (env) => ({
    type: 'guardrail.failed',
    runId: env.runId,
    taskId: context.spec.id,
    error: context.lastGuardrailError ?? '',
    retry: context.guardrailRetries,
    maxRetries: context.spec.guardrailMaxRetries,
    exhausted,
  }));
}

function emitTask(context: TaskContext, build: (env: RunEnv) => Parameters<RunEnv['emit']>[0]) {
  const env = getRun(context.runId);
  if (env.observed) env.emit(build(env));
}

/**
 * Who judges a task's string guardrails: the task's own agent (in a hierarchical crew too), else — a
 * hierarchical task left unassigned — the manager.
 */
function judgeOf(env: RunEnv, task: RunTask): RunAgent {
  if (task.task.agent) return runAgent(env, task.task.agent.id);
  const manager = [...env.agents.values()].find((a) => a.systemId === 'manager');
  if (!manager) throw new Error(`Task '${runLabel(task)}' has no agent and the crew no manager`);
  return manager;
}

const crewImplementations = {
  actors: {
    task,
    // A large crew's tasks live in batch actors, which run the same task logic.
    taskBatch: withStableChildEvents(taskBatchMachine.provide({ actors: { task } }), prefixedKind('task')),
    // An agent's only children are its jobs, each named after the request it works on.
    agent: withStableChildEvents(agentMachine.provide({ actors: { agentJob: job } }), () => 'job'),
    manager: withStableChildEvents(managerMachine.provide({ actors: { agentJob: job } }), () => 'job'),
    evaluateCondition: inRun(
      async (env, input: { runId: string; taskId: string; previous?: TaskOutputData }) => {
        const conditional = runTask(env, input.taskId).task as ConditionalTask;
        const previous = input.previous ? new TaskOutput(input.previous) : undefined;
        return Boolean(await conditional.condition(previous as TaskOutput));
      },
    ),
    completeRun: inRun(async (env, input: { runId: string; outcomes: TaskOutcome[] }, signal) => {
      let output = crewOutputOf(env, input.outcomes);
      for (const callback of env.afterKickoff) {
        signal.throwIfAborted();
        const current = output;
        output = keptOrReplaced(current, await inCallback('afterKickoff', () => callback(current)));
      }
      return output;
    }),
  },
  actions: {
    completeRunAtOnce: assign<CrewContext, CrewEvent, unknown, CrewEvent, never>({
      result: ({ context }) => crewOutputOf(getRun(context.runId), outcomeList(context)),
    }),
    announceConditionFailure: ({ context }: { context: CrewContext }) => {
      const env = getRun(context.runId);
      const { failure } = context;
      if (!env.observed || !failure?.taskId) return;
      const error = runFailure(env, failure);
      env.emit({ type: 'task.failed', runId: env.runId, taskId: failure.taskId, error });
    },
    raiseRunError: ({ context }: { context: CrewContext }) => {
      throw runFailure(
        getRun(context.runId),
        context.failure ?? { error: { name: 'Error', message: 'The run failed' } },
      );
    },
  },
};

/**
 * What an afterKickoff callback returned: a CrewOutput replaces the output; nothing (a callback that only
 * looks, or forgot its `return`) keeps it; anything else is the callback's error.
 */
function keptOrReplaced(current: CrewOutput, returned: unknown): CrewOutput {
  if (returned === undefined) return current;
  if (returned instanceof CrewOutput) return returned;
  throw callbackFailed(
    'afterKickoff',
    new TypeError(`it must return the CrewOutput or nothing (it returned ${describeValue(returned)})`),
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object that is not a CrewOutput' : `a ${typeof value}`;
}

function crewOutputOf(env: RunEnv, outcomes: TaskOutcome[]): CrewOutput {
  let usage = emptyUsage();
  const tasksOutput: TaskOutput[] = [];
  for (const outcome of outcomes) {
    usage = addUsage(usage, outcome.usage);
    if (outcome.status !== 'failed')
      tasksOutput.push(env.outputs.get(outcome.taskId) ?? new TaskOutput(outcome.output));
  }
  return new CrewOutput({ runId: env.runId, tasksOutput, tokenUsage: usage });
}

// Tasks and agents are named after their ids; batches (`batch:<k>`) and invoked actors keep their types.
const crewChildren = prefixedKind('task', 'agent');
export const runtimeSequentialMachine = withStableChildEvents(
  sequentialCrewMachine.provide(crewImplementations),
  crewChildren,
);
export const runtimeHierarchicalMachine = withStableChildEvents(
  hierarchicalCrewMachine.provide(crewImplementations),
  crewChildren,
);
