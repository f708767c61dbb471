import { and, assign, enqueueActions, setup, type AnyEventObject } from 'xstate';
import { FORCE_FINAL_ANSWER, fixAnswerMessage } from '../src/executor/prompts.js';
import { reactObservation } from '../src/executor/react.js';
import type { ChatMessage, ToolCall } from '../src/llm/types.js';
import { addUsage, emptyUsage, type UsageMetrics } from '../src/usage.js';
import { fromUnprovided } from './unprovided.js';
import {
  errorData,
  type AgentSpec,
  type ErrorData,
  type WorkKind,
  type WorkRequest,
  type WorkResult,
} from './types.js';

/** One model call of the loop; ReAct replies arrive already parsed into `toolCalls` or a final `content`. */
export interface ModelTurn {
  assistant: ChatMessage;
  content: string | null;
  toolCalls: ToolCall[];
  usage: UsageMetrics;
  protocol: 'native' | 'react';
}

/** A delegation the tool runner resolved to a coworker; the job sends it as an event. */
export interface Dispatch {
  callId: string;
  kind: 'delegate_work' | 'ask_question';
  to: string;
  request: string;
  context: string;
}

export interface ToolRound {
  results: Record<string, string>;
  dispatches: Dispatch[];
  finalAnswer?: string;
  lastCall?: string;
  usageCounts: Record<string, number>;
}

export type AnswerCheck =
  { ok: true; parsed: unknown; json?: Record<string, unknown> } | { ok: false; error: string };

export interface JobInput {
  runId: string;
  agent: AgentSpec;
  /** systemId of the agent (or manager) actor whose loop this is: delegations go out through it and coworkers' replies come back through it. */
  owner: string;
  request: WorkRequest;
}

export interface JobContext {
  runId: string;
  agent: AgentSpec;
  owner: string;
  request: WorkRequest;
  messages: ChatMessage[];
  startMessages: ChatMessage[];
  iterations: number;
  attempts: number;
  parseAttempts: number;
  deadline: number | null;
  calls: ToolCall[];
  results: Record<string, string>;
  /** Delegations sent and not yet answered, by their request id → tool call id. */
  awaiting: Record<string, string>;
  lastCall?: string;
  usageCounts: Record<string, number>;
  protocol: 'native' | 'react';
  answer?: string;
  parsed?: unknown;
  json?: Record<string, unknown>;
  usage: UsageMetrics;
  error?: ErrorData;
  failed: boolean;
}

export type JobOutcome =
  | { ok: true; replyTo: string; result: WorkResult }
  | {
      ok: false;
      replyTo: string;
      requestId: string;
      kind: WorkKind;
      askingTask?: string;
      error: ErrorData;
      usage: UsageMetrics;
    };

export type JobEvent = {
  type: 'delegation.reply';
  requestId: string;
  /** Id of the coworker agent who answered (or failed to). */
  from: string;
  answer: string;
  usage: UsageMetrics;
  failed?: boolean;
};

type Done<T> = { output: T };

/**
 * A model's final answer: checked against the output schema when the request is structured, else the
 * job is done (transitions of the step that got it, not a decision state: a microstep per task less).
 */
const answered = [
  { guard: 'isStructured', target: '#job.checking', actions: 'recordTurn' },
  { target: '#job.done', actions: 'recordTurn' },
] as const;
const outputOf = <T>(event: unknown) => (event as Done<T>).output;

type RoundAction =
  | 'recordToolRound'
  | 'dispatchDelegations'
  | 'announceDelegations'
  | 'announceDelegationReply'
  | 'recordReply';

/**
 * The end of a tool round (once every delegation of it has replied): a tool's final answer
 * (`resultAsAnswer`) goes to checking or done; else the agent thinks again, or is made to answer once
 * `maxIter` is spent. Transitions of the step that ended the round, not decision states (two microsteps a
 * round less). `gaveAnswer` reads the round from its event (`roundGaveAnswer`) or from the context
 * (`toolGaveAnswer`, when the round ends with its last reply); `last` is the last-reply guard.
 */
function reflect(
  actions: RoundAction[],
  gaveAnswer: 'roundGaveAnswer' | 'toolGaveAnswer',
  last?: 'answersLast',
) {
  const when = (
    ...guards: Array<'roundGaveAnswer' | 'toolGaveAnswer' | 'isStructured' | 'iterationsSpent'>
  ) => and([...(last ? [last] : []), ...guards]);
  const appended = [...actions, 'appendToolMessages'] as const;
  return [
    { guard: when(gaveAnswer, 'isStructured'), target: '#job.checking', actions: appended },
    { guard: when(gaveAnswer), target: '#job.done', actions: appended },
    {
      guard: when('iterationsSpent'),
      target: '#job.forcing',
      actions: [...appended, 'askForFinalAnswer'] as const,
    },
    { ...(last ? { guard: last } : {}), target: '#job.thinking', actions: appended },
  ];
}

const NOT_RETRIED = new Set(['execution_timeout', 'aborted', 'output_parsing_failed']);
const MAX_PARSE_RETRIES = 3;

/**
 * An agent working on one request: `thinking` (a model call), `acting` (tools run, delegations go out as
 * events and their replies come back), `forcing` (the last call once `maxIter` is spent), `checking`
 * (structured output), then `done` or `failed`. Errors re-run the whole request up to `maxRetryLimit`.
 */
export const agentJobMachine = setup({
  types: {} as { context: JobContext; events: JobEvent; input: JobInput; output: JobOutcome },
  actors: {
    callModel: fromUnprovided<ModelTurn, ModelCallInput>('callModel'),
    runTools: fromUnprovided<ToolRound, ToolRunInput>('runTools'),
    checkAnswer: fromUnprovided<AnswerCheck, { runId: string; taskId?: string; answer: string }>(
      'checkAnswer',
    ),
    /** Rejects with the `execution_timeout` error once `deadline` passes; never resolves. */
    expireAtDeadline: fromUnprovided<never, DeadlineInput>('expireAtDeadline'),
  },
  guards: {
    wantsTools: ({ event }) => outputOf<ModelTurn>(event).toolCalls.length > 0,
    canRetry: ({ context, event }) => {
      const error = errorData((event as { error?: unknown }).error);
      return (
        context.attempts < context.agent.maxRetryLimit &&
        !NOT_RETRIED.has(error.code ?? '') &&
        error.name !== 'AbortError'
      );
    },
    sendsDelegations: ({ event }) => outputOf<ToolRound>(event).dispatches.length > 0,
    // Only a job with a deadline that sent delegations waits under a timer (the other paths start none).
    delegatesUnderDeadline: ({ context, event }) =>
      context.deadline !== null && outputOf<ToolRound>(event).dispatches.length > 0,
    isAwaited: ({ context, event }) =>
      event.type === 'delegation.reply' && context.awaiting[event.requestId] !== undefined,
    /** The reply the job still waits for is the only one left: it ends the round. */
    answersLast: ({ context, event }) =>
      event.type === 'delegation.reply' &&
      context.awaiting[event.requestId] !== undefined &&
      Object.keys(context.awaiting).length === 1,
    roundGaveAnswer: ({ event }) => outputOf<ToolRound>(event).finalAnswer !== undefined,
    toolGaveAnswer: ({ context }) => context.answer !== undefined,
    // Checked as a round ends, before `appendToolMessages` counts it.
    iterationsSpent: ({ context }) => context.iterations + 1 >= context.agent.maxIter,
    isStructured: ({ context }) => context.request.structured,
    answerValid: ({ event }) => outputOf<AnswerCheck>(event).ok,
    canReparse: ({ context }) => context.parseAttempts < MAX_PARSE_RETRIES,
  },
  actions: {
    // The runtime builds the prompt (it knows the agent's role, the task and its tools).
    buildMessages: () => {},
    announceDelegations: () => {},
    announceDelegationReply: () => {},
    recordTurn: assign(({ context, event }) => {
      const turn = outputOf<ModelTurn>(event);
      return {
        messages: [...context.messages, turn.assistant],
        calls: turn.toolCalls,
        protocol: turn.protocol,
        results: {},
        usage: addUsage(context.usage, turn.usage),
        answer: turn.toolCalls.length > 0 ? undefined : (turn.content ?? ''),
      };
    }),
    // A retry after an error re-runs the same request: messages and iterations start over, but the
    // deadline and the tools' usage counts carry on. crewAI counts a tool's uses on the tool itself, so
    // re-running cannot reset its `max_usage_count`; here `restart` keeps `usageCounts`.
    // Their scope is one request. A guardrail retry or a human revision is a new run of the agent
    // (SPEC §6.1: "the agent runs again"; a new job, request id and `maxExecutionTime` deadline), so it
    // starts with fresh counts, as each kickoff does (SPEC §2: agents are reusable across kickoffs),
    // where crewAI's counter lives as long as the tool object.
    restart: assign(({ context, event }) => ({
      attempts: context.attempts + 1,
      messages: context.startMessages,
      iterations: 0,
      parseAttempts: 0,
      lastCall: undefined,
      error: errorData((event as { error?: unknown }).error),
    })),
    recordToolRound: assign(({ context, event }) => {
      const round = outputOf<ToolRound>(event);
      const awaiting = Object.fromEntries(
        round.dispatches.map((d) => [delegationId(context, d.callId), d.callId]),
      );
      return {
        results: { ...context.results, ...round.results },
        awaiting,
        lastCall: round.lastCall,
        usageCounts: round.usageCounts,
        answer: round.finalAnswer,
      };
    }),
    dispatchDelegations: enqueueActions(({ context, event, system, enqueue }) => {
      // The owning agent sends the delegation on, so inspectors see it go from agent to agent.
      const owner = system.get(context.owner);
      for (const dispatch of outputOf<ToolRound>(event).dispatches) {
        const delegation = {
          type: dispatch.kind,
          requestId: delegationId(context, dispatch.callId),
          replyTo: context.owner,
          // Only a task's own job delegates (delegated work gets no delegation tools).
          askingTask: context.request.replyTo,
          request: dispatch.request,
          context: dispatch.context,
          chain: [...context.request.chain, dispatch.to],
        };
        if (owner)
          enqueue.sendTo(owner, { type: 'agent.send', to: dispatch.to, event: delegation } as AnyEventObject);
      }
    }),
    recordReply: assign(({ context, event }) => {
      const callId = context.awaiting[event.requestId];
      if (callId === undefined) return {};
      const { [event.requestId]: _answered, ...awaiting } = context.awaiting;
      return {
        awaiting,
        results: { ...context.results, [callId]: event.answer },
        usage: addUsage(context.usage, event.usage),
      };
    }),
    appendToolMessages: assign(({ context }) => ({
      messages: [...context.messages, ...toolMessages(context)],
      iterations: context.iterations + 1,
    })),
    askForFinalAnswer: assign(({ context }) => ({
      messages: [...context.messages, { role: 'user' as const, content: FORCE_FINAL_ANSWER }],
    })),
    acceptAnswer: assign(({ event }) => {
      const check = outputOf<AnswerCheck>(event);
      return check.ok ? { parsed: check.parsed, json: check.json } : {};
    }),
    askToFixAnswer: assign(({ context, event }) => {
      const check = outputOf<AnswerCheck>(event);
      const error = check.ok ? '' : check.error;
      return {
        parseAttempts: context.parseAttempts + 1,
        messages: [...context.messages, { role: 'user' as const, content: fixAnswerMessage(error) }],
      };
    }),
    failParsing: assign(({ context, event }) => {
      const check = outputOf<AnswerCheck>(event);
      const error = check.ok ? '' : check.error;
      return {
        error: {
          name: 'OutputParsingError',
          code: 'output_parsing_failed',
          message: `The answer did not match the output schema after ${context.parseAttempts} retries: ${error}`,
        },
      };
    }),
    recordError: assign(({ event }) => ({ error: errorData((event as { error?: unknown }).error) })),
  },
}).createMachine({
  id: 'job',
  context: ({ input }) => ({
    runId: input.runId,
    agent: input.agent,
    owner: input.owner,
    request: input.request,
    messages: input.request.conversation,
    startMessages: input.request.conversation,
    iterations: 0,
    attempts: 0,
    parseAttempts: 0,
    deadline: input.agent.maxExecutionTime ? Date.now() + input.agent.maxExecutionTime : null,
    calls: [],
    results: {},
    awaiting: {},
    usageCounts: {},
    protocol: 'native',
    usage: emptyUsage(),
    failed: false,
  }),
  entry: 'buildMessages',
  initial: 'thinking',
  output: ({ context }) => outcome(context),
  states: {
    thinking: {
      invoke: {
        src: 'callModel',
        input: ({ context }) => modelCallInput(context, false),
        onDone: [{ guard: 'wantsTools', target: 'acting', actions: 'recordTurn' }, ...answered],
        onError: [
          { guard: 'canRetry', target: 'thinking', reenter: true, actions: 'restart' },
          { target: 'failed', actions: 'recordError' },
        ],
      },
    },
    acting: {
      initial: 'tools',
      states: {
        tools: {
          invoke: {
            src: 'runTools',
            input: ({ context }) => ({
              runId: context.runId,
              agentId: context.agent.id,
              taskId: context.request.taskId,
              requestKind: context.request.kind,
              chain: context.request.chain,
              calls: context.calls,
              deadline: context.deadline,
              lastCall: context.lastCall,
              usageCounts: context.usageCounts,
            }),
            onDone: [
              {
                guard: 'delegatesUnderDeadline',
                target: 'delegating.untilDeadline',
                actions: ['recordToolRound', 'dispatchDelegations', 'announceDelegations'],
              },
              {
                guard: 'sendsDelegations',
                target: 'delegating',
                actions: ['recordToolRound', 'dispatchDelegations', 'announceDelegations'],
              },
              ...reflect(['recordToolRound'], 'roundGaveAnswer'),
            ],
            onError: [
              { guard: 'canRetry', target: '#job.thinking', actions: 'restart' },
              { target: '#job.failed', actions: 'recordError' },
            ],
          },
        },
        // Coworkers' replies come back as events; the last one ends the round. One the job does not
        // wait for (not its own, or already answered) is ignored.
        delegating: {
          initial: 'waiting',
          on: {
            'delegation.reply': [
              ...reflect(['announceDelegationReply', 'recordReply'], 'toolGaveAnswer', 'answersLast'),
              { guard: 'isAwaited', actions: ['announceDelegationReply', 'recordReply'] },
            ],
          },
          states: {
            waiting: {},
            // With a deadline the wait is bounded by it: a deadline in context and an invoked timer (not
            // `after`), so a persisted and restored job still times out at the original deadline.
            untilDeadline: {
              invoke: {
                src: 'expireAtDeadline',
                input: ({ context }) => ({
                  runId: context.runId,
                  agentId: context.agent.id,
                  deadline: context.deadline!,
                }),
                onError: { target: '#job.failed', actions: 'recordError' },
              },
            },
          },
        },
      },
    },
    forcing: {
      invoke: {
        src: 'callModel',
        input: ({ context }) => modelCallInput(context, true),
        onDone: answered,
        onError: [
          { guard: 'canRetry', target: 'thinking', actions: 'restart' },
          { target: 'failed', actions: 'recordError' },
        ],
      },
    },
    checking: {
      invoke: {
        src: 'checkAnswer',
        input: ({ context }) => ({
          runId: context.runId,
          taskId: context.request.taskId,
          answer: context.answer ?? '',
        }),
        onDone: [
          { guard: 'answerValid', target: 'done', actions: 'acceptAnswer' },
          { guard: 'canReparse', target: 'thinking', actions: 'askToFixAnswer' },
          { target: 'failed', actions: 'failParsing' },
        ],
        onError: { target: 'failed', actions: 'recordError' },
      },
    },
    done: { type: 'final' },
    failed: { type: 'final', entry: assign({ failed: true }) },
  },
});

export interface ModelCallInput {
  runId: string;
  agentId: string;
  taskId?: string;
  requestId: string;
  messages: ChatMessage[];
  deadline: number | null;
  /** The last call after `maxIter`: no tools offered. */
  final: boolean;
  structured: boolean;
  delegates: boolean;
}

export interface DeadlineInput {
  runId: string;
  agentId: string;
  /** Absolute, in ms since epoch. */
  deadline: number;
}

export interface ToolRunInput {
  runId: string;
  agentId: string;
  taskId?: string;
  requestKind: WorkKind;
  chain: string[];
  calls: ToolCall[];
  deadline: number | null;
  lastCall?: string;
  usageCounts: Record<string, number>;
}

function modelCallInput(context: JobContext, final: boolean): ModelCallInput {
  return {
    runId: context.runId,
    agentId: context.agent.id,
    taskId: context.request.taskId,
    requestId: context.request.requestId,
    messages: context.messages,
    deadline: context.deadline,
    final,
    structured: context.request.structured,
    delegates: context.request.kind === 'task',
  };
}

function delegationId(context: JobContext, callId: string): string {
  return `${context.request.requestId}/${callId}`;
}

function toolMessages(context: JobContext): ChatMessage[] {
  if (context.protocol === 'react') {
    const observations = context.calls.map((call) => context.results[call.id] ?? '').join('\n\n');
    return [{ role: 'user', content: reactObservation(observations) }];
  }
  return context.calls.map((call) => ({
    role: 'tool',
    toolCallId: call.id,
    content: context.results[call.id] ?? '',
  }));
}

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
