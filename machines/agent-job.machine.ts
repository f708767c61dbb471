import { assign, setup } from 'xstate';
import {
  loopActors,
  loopParts,
  loopStates,
  newLoop,
  type DelegationReply,
  type LoopContext,
  type LoopInput,
} from './agent-loop.js';
import type { ErrorData, WorkKind, WorkResult } from './types.js';

export type { DeadlineInput, Dispatch, ModelTurn, ToolRound, ToolRunInput } from './agent-loop.js';

/** A coworker's request run by an agent actor: the loop's data is the job's context, with how it ended. */
export type JobContext = LoopContext & { failed: boolean };
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
const loop = loopParts<JobContext, JobEvent>(
  (context) => context,
  (_context, update) => update,
);

export const agentJobMachine = setup({
  types: {} as { context: JobContext; events: JobEvent; input: JobInput; output: JobOutcome },
  actors: loopActors,
  guards: loop.guards,
  actions: {
    ...loop.actions,
    markFailed: assign({ failed: true }),
  },
}).createMachine({
  id: 'job',
  context: ({ input }) => ({ ...newLoop(input), failed: false }),
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
