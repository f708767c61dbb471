import { assign, enqueueActions, setup, type AnyEventObject } from 'xstate';
import { fromUnprovided } from './unprovided.js';
import {
  delegationsOf,
  loopStates,
  mapGuards,
  mapUpdates,
  newLoop,
  type AnswerCheck,
  type AnswerCheckInput,
  type DeadlineInput,
  type DelegationReply,
  type LoopContext,
  type LoopInput,
  type ModelCallInput,
  type ModelTurn,
  type ToolRound,
  type ToolRunInput,
} from './agent-loop.js';
import type { ErrorData, WorkKind, WorkResult } from './types.js';

export type {
  AnswerCheck,
  DeadlineInput,
  Dispatch,
  ModelCallInput,
  ModelTurn,
  ToolRound,
  ToolRunInput,
} from './agent-loop.js';

/** A coworker's request run by an agent actor: the loop's data is the job's whole context. */
export type JobContext = LoopContext;
export type JobInput = LoopInput;
export type JobEvent = DelegationReply;

export type JobOutcome =
  | { ok: true; replyTo: string; result: WorkResult }
  | {
      ok: false;
      replyTo: string;
      requestId: string;
      kind: WorkKind;
      askingTask?: string;
      error: ErrorData;
      usage: LoopContext['usage'];
    };

/**
 * An agent working on a coworker's request (`delegate_work` / `ask_question`), spawned by the coworker's
 * agent actor: the agent loop (agent-loop.ts), then `done` or `failed`; the output answers the asker.
 * Errors re-run the whole request up to `maxRetryLimit`.
 */
export const agentJobMachine = setup({
  types: {} as { context: JobContext; events: JobEvent; input: JobInput; output: JobOutcome },
  actors: {
    callModel: fromUnprovided<ModelTurn, ModelCallInput>('callModel'),
    runTools: fromUnprovided<ToolRound, ToolRunInput>('runTools'),
    checkAnswer: fromUnprovided<AnswerCheck, AnswerCheckInput>('checkAnswer'),
    /** Rejects with the `execution_timeout` error once `deadline` passes; never resolves. */
    expireAtDeadline: fromUnprovided<never, DeadlineInput>('expireAtDeadline'),
  },
  guards: mapGuards(
    (guard) =>
      ({ context, event }: { context: JobContext; event: AnyEventObject }) =>
        guard(context, event),
  ),
  actions: {
    ...mapUpdates((update) =>
      assign<JobContext, AnyEventObject, undefined, JobEvent, never>(({ context, event }) =>
        update(context, event),
      ),
    ),
    dispatchDelegations: enqueueActions(({ context, event, system, enqueue }) => {
      for (const { to, event: sent } of delegationsOf(context, event, system.get(context.owner))) {
        enqueue.sendTo(to, sent);
      }
    }),
    // The runtime announces delegations (events are its side effects; the chart only names them).
    announceDelegations: () => {},
    announceDelegationReply: () => {},
    markFailed: assign({ failed: true }),
  },
}).createMachine({
  id: 'job',
  context: ({ input }) => newLoop(input),
  initial: 'thinking',
  output: ({ context }) => outcome(context),
  states: {
    ...loopStates<JobContext>(
      '#job',
      {
        answered: (actions) => [{ target: '#job.done', actions }],
        failed: (actions) => [{ target: '#job.failed', actions }],
      },
      (context) => context,
    ),
    done: { type: 'final' },
    failed: { type: 'final', entry: 'markFailed' },
  },
});

function outcome(context: JobContext): JobOutcome {
  const { request } = context;
  if (context.failed || context.answer === undefined) {
    return {
      ok: false,
      replyTo: request.replyTo,
      requestId: request.requestId,
      kind: request.kind,
      askingTask: request.askingTask,
      error: context.error ?? { name: 'Error', message: 'The agent stopped without an answer' },
      usage: context.usage,
    };
  }
  return {
    ok: true,
    replyTo: request.replyTo,
    result: {
      requestId: request.requestId,
      kind: request.kind,
      askingTask: request.askingTask,
      agentRole: context.agent.role,
      answer: context.answer,
      parsed: context.parsed,
      json: context.json,
      messages: context.messages,
      usage: context.usage,
    },
  };
}
