import {
  and,
  assign,
  enqueueActions,
  type AnyActorRef,
  type AnyEventObject,
  type EventObject,
  type MachineContext,
} from 'xstate';
import { FORCE_FINAL_ANSWER, fixAnswerMessage } from '../src/executor/prompts.js';
import { reactObservation } from '../src/executor/react.js';
import type { ChatMessage, ToolCall } from '../src/llm/types.js';
import { addUsage, emptyUsage, type UsageMetrics } from '../src/usage.js';
import {
  errorData,
  outputOr,
  type AgentSpec,
  type ErrorData,
  type WorkKind,
  type WorkRequest,
} from './types.js';
import type { ContextUpdate } from './fused-updates.js';
import { fromUnprovided } from './unprovided.js';

// The agent loop (SPEC §4.2): `thinking` (a model call), `acting` (tools run, delegations go out as events
// and their replies come back), `forcing` (the last call once `maxIter` is spent), `checking` (structured
// output). Two charts run it: a task runs its agent's loop in its own states (`running.working`,
// `guardrail-retry`: no actor in between), and an agent actor runs a coworker's request in a job child
// (agent-job.machine.ts). Both share the states, guards and context updates below; they differ in where
// the loop's data lives (a task's `context.loop`, a job's whole context) and in where an answer goes.

/** One model call of the loop; ReAct replies arrive already parsed into `toolCalls` or a final `content`. */
export interface ModelTurn {
  assistant: ChatMessage;
  content: string | null;
  toolCalls: ToolCall[];
  usage: UsageMetrics;
  protocol: 'native' | 'react';
  /**
   * The conversation as this call sent it, when the call wrote it (a loop's first call: the opening system
   * and task messages) or rewrote it (after a ReAct fallback, a system message that also teaches ReAct).
   */
  sent?: ChatMessage[];
}

/** A delegation the tool runner resolved to a coworker; the loop sends it as an event. */
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

/** A coworker's answer to one of the loop's delegations, passed on by the agent actor it went through. */
export type DelegationReply = {
  type: 'delegation.reply';
  requestId: string;
  /** Id of the coworker agent who answered (or failed to). */
  from: string;
  answer: string;
  usage: UsageMetrics;
  /** The coworker's work failed: `answer` says why (the loop goes on with it as the tool's result). */
  failed?: boolean;
};

export interface LoopInput {
  runId: string;
  agent: AgentSpec;
  /** systemId of the agent (or manager) actor whose loop this is: delegations go out through it and coworkers' replies come back through it. */
  owner: string;
  request: WorkRequest;
}

export interface LoopContext {
  runId: string;
  agent: AgentSpec;
  owner: string;
  request: WorkRequest;
  messages: ChatMessage[];
  iterations: number;
  attempts: number;
  parseAttempts: number;
  deadline: number | null;
  calls: ToolCall[];
  results: Record<string, string>;
  /** Delegations sent and not yet answered, by their request id → tool call id. */
  awaiting: Record<string, string>;
  /**
   * Delegations answered since the last model call, by tool call id (true: the coworker's work failed):
   * the next model call tells the step callback their results, as the tool runner does for other tools.
   */
  replied?: Record<string, boolean>;
  lastCall?: string;
  usageCounts: Record<string, number>;
  protocol: 'native' | 'react';
  answer?: string;
  parsed?: unknown;
  json?: Record<string, unknown>;
  usage: UsageMetrics;
  error?: ErrorData;
}

/** A delegation's answer, a tool result the step callback has not been told of yet. */
export interface DelegationResult {
  call: ToolCall;
  result: string;
  isError: boolean;
}

export interface ModelCallInput {
  runId: string;
  agentId: string;
  messages: ChatMessage[];
  /** The delegations answered since the previous call (see `LoopContext.replied`). */
  delegated?: DelegationResult[];
  deadline: number | null;
  /** The last call after `maxIter`: no tools offered. */
  final: boolean;
  /** The request worked on (its task, whether it may delegate, structured or not); a first call begins the conversation from it. */
  work: WorkRequest;
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
  /** For delegated work: the task whose loop asked (`task:<id>`), named in events and the tools' context. */
  askingTask?: string;
  requestKind: WorkKind;
  chain: string[];
  calls: ToolCall[];
  deadline: number | null;
  lastCall?: string;
  usageCounts: Record<string, number>;
}

export interface AnswerCheckInput {
  runId: string;
  taskId?: string;
  answer: string;
}

/** A fresh loop for one request: the conversation so far, no iterations, the deadline from now. */
export function newLoop(input: LoopInput): LoopContext {
  return {
    runId: input.runId,
    agent: input.agent,
    owner: input.owner,
    request: input.request,
    messages: input.request.conversation,
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
  };
}

/*
 * What an invoked step gave. The runtime's done events always carry it; `xstate/graph`, traversing the
 * chart without running anything, sends bare `{ type }` events, which read as the step's plainest result
 * (a model answer with no tool calls, an empty tool round, an answer that passes), so the chart can be
 * walked with default options.
 */
const NO_TURN: ModelTurn = {
  assistant: { role: 'assistant', content: '' },
  content: '',
  toolCalls: [],
  usage: emptyUsage(),
  protocol: 'native',
};
const NO_ROUND: ToolRound = { results: {}, dispatches: [], usageCounts: {} };
const NO_CHECK: AnswerCheck = { ok: true, parsed: undefined };
const turnOf = (event: unknown) => outputOr<ModelTurn>(event, NO_TURN);
const roundOf = (event: unknown) => outputOr<ToolRound>(event, NO_ROUND);
const checkOf = (event: unknown) => outputOr<AnswerCheck>(event, NO_CHECK);

const NOT_RETRIED = new Set([
  'execution_timeout',
  'aborted',
  'output_parsing_failed',
  'invalid_llm_response',
  'callback_failed',
]);
const MAX_PARSE_RETRIES = 3;

type LoopGuard = (loop: LoopContext, event: AnyEventObject) => boolean;

/** The loop's guards, as functions of its data (each chart reads them from where it keeps the loop). */
const loopGuards = {
  wantsTools: (_loop, event) => turnOf(event).toolCalls.length > 0,
  canRetry: (loop, event) => {
    const error = errorData((event as { error?: unknown }).error);
    return (
      loop.attempts < loop.agent.maxRetryLimit &&
      !NOT_RETRIED.has(error.code ?? '') &&
      error.name !== 'AbortError'
    );
  },
  sendsDelegations: (_loop, event) => sendsDelegations(event),
  // Only a loop with a deadline that sent delegations waits under a timer (the other paths start none).
  delegatesUnderDeadline: (loop, event) => loop.deadline !== null && sendsDelegations(event),
  isAwaited: (loop, event) => isAwaited(loop, event),
  /** The reply the loop still waits for is the only one left: it ends the round. */
  answersLast: (loop, event) => isAwaited(loop, event) && Object.keys(loop.awaiting).length === 1,
  roundGaveAnswer: (_loop, event) => roundOf(event).finalAnswer !== undefined,
  toolGaveAnswer: (loop) => loop.answer !== undefined,
  // Checked as a round ends, before `appendToolMessages` counts it.
  iterationsSpent: (loop) => loop.iterations + 1 >= loop.agent.maxIter,
  // Checked after the loop's last forced answer: no tool round is left.
  noIterationsLeft: (loop) => loop.iterations >= loop.agent.maxIter,
  isStructured: (loop) => loop.request.structured,
  answerValid: (_loop, event) => checkOf(event).ok,
  canReparse: (loop) => loop.parseAttempts < MAX_PARSE_RETRIES,
} satisfies Record<string, LoopGuard>;

const sendsDelegations = (event: AnyEventObject) => roundOf(event).dispatches.length > 0;
const isAwaited = (loop: LoopContext, event: AnyEventObject) =>
  loop.awaiting[(event as DelegationReply).requestId] !== undefined;

type LoopUpdate = (loop: LoopContext, event: AnyEventObject) => Partial<LoopContext>;

/** The loop's context updates, as functions of its data (each chart assigns them where it keeps the loop). */
const loopUpdates = {
  recordTurn: (loop, event) => {
    const turn = turnOf(event);
    const update = {
      messages: [...(turn.sent ?? loop.messages), turn.assistant],
      calls: turn.toolCalls,
      protocol: turn.protocol,
      results: {},
      usage: addUsage(loop.usage, turn.usage),
      answer: turn.toolCalls.length > 0 ? undefined : (turn.content ?? ''),
    };
    // The call that just answered told the step callback of the delegations' results.
    return loop.replied ? { ...update, replied: undefined } : update;
  },
  // A retry after an error re-runs the same request from the conversation it was given (a first run's
  // opening prompt is written again by its next model call): messages and iterations start over, but the
  // deadline and the tools' usage counts carry on. crewAI counts a tool's uses on the tool itself, so
  // re-running cannot reset its `max_usage_count`; here `restart` keeps `usageCounts`.
  // Their scope is one request. A guardrail retry or a human revision is a new run of the agent
  // (SPEC §6.1: "the agent runs again"; a new loop, request id and `maxExecutionTime` deadline), so it
  // starts with fresh counts, as each kickoff does (SPEC §2: agents are reusable across kickoffs),
  // where crewAI's counter lives as long as the tool object.
  restart: (loop, event) => ({
    attempts: loop.attempts + 1,
    messages: loop.request.conversation,
    iterations: 0,
    parseAttempts: 0,
    lastCall: undefined,
    replied: undefined,
    error: errorData((event as { error?: unknown }).error),
  }),
  recordToolRound: (loop, event) => {
    const round = roundOf(event);
    const awaiting = Object.fromEntries(
      round.dispatches.map((d) => [delegationId(loop, d.callId), d.callId]),
    );
    return {
      results: { ...loop.results, ...round.results },
      awaiting,
      lastCall: round.lastCall,
      usageCounts: round.usageCounts,
      answer: round.finalAnswer,
    };
  },
  recordReply: (loop, event) => {
    // Only taken for a reply the loop waits for (`isAwaited`, `answersLast`).
    const reply = event as DelegationReply;
    const { [reply.requestId]: callId, ...awaiting } = loop.awaiting;
    return {
      awaiting,
      results: { ...loop.results, [callId!]: reply.answer },
      usage: addUsage(loop.usage, reply.usage),
      replied: { ...loop.replied, [callId!]: reply.failed === true },
    };
  },
  appendToolMessages: (loop) => ({
    messages: [...loop.messages, ...toolMessages(loop)],
    iterations: loop.iterations + 1,
  }),
  askForFinalAnswer: (loop) => ({
    messages: [...loop.messages, { role: 'user' as const, content: FORCE_FINAL_ANSWER }],
  }),
  acceptAnswer: (_loop, event) => {
    const check = checkOf(event);
    return check.ok ? { parsed: check.parsed, json: check.json } : {};
  },
  askToFixAnswer: (loop, event) => {
    const check = checkOf(event);
    const error = check.ok ? '' : check.error;
    return {
      parseAttempts: loop.parseAttempts + 1,
      messages: [...loop.messages, { role: 'user' as const, content: fixAnswerMessage(error) }],
    };
  },
  failParsing: (loop, event) => {
    const check = checkOf(event);
    const error = check.ok ? '' : check.error;
    return {
      error: {
        name: 'OutputParsingError',
        code: 'output_parsing_failed',
        message: `The answer did not match the output schema after ${loop.parseAttempts} retries: ${error}`,
      },
    };
  },
  recordError: (_loop, event) => ({ error: errorData((event as { error?: unknown }).error) }),
} satisfies Record<string, LoopUpdate>;

type LoopGuardName = keyof typeof loopGuards;
type LoopUpdateName = keyof typeof loopUpdates;

/**
 * The delegations a tool round sends: each goes to the loop's owner (its agent actor), which sends it
 * on to the coworker, so inspectors see it go from agent to agent.
 */
export function delegationsOf(
  loop: LoopContext,
  event: AnyEventObject,
  owner: AnyActorRef | undefined,
): Array<{ to: AnyActorRef; event: AnyEventObject }> {
  if (!owner) return [];
  return roundOf(event).dispatches.map((dispatch) => ({
    to: owner,
    event: {
      type: 'agent.send',
      to: dispatch.to,
      event: {
        type: dispatch.kind,
        requestId: delegationId(loop, dispatch.callId),
        replyTo: loop.owner,
        // Only a task's own loop delegates (delegated work gets no delegation tools).
        askingTask: loop.request.replyTo,
        request: dispatch.request,
        context: dispatch.context,
        chain: [...loop.request.chain, dispatch.to],
      },
    },
  }));
}

/** What the invoked actors of the loop are given. */
const loopInputs = {
  modelCall: (loop: LoopContext, final: boolean): ModelCallInput => {
    const input = {
      runId: loop.runId,
      agentId: loop.agent.id,
      messages: loop.messages,
      deadline: loop.deadline,
      final,
      work: loop.request,
    };
    return loop.replied ? { ...input, delegated: delegatedResults(loop, loop.replied) } : input;
  },
  toolRun: (loop: LoopContext): ToolRunInput => ({
    runId: loop.runId,
    agentId: loop.agent.id,
    taskId: loop.request.taskId,
    ...(loop.request.askingTask ? { askingTask: loop.request.askingTask } : {}),
    requestKind: loop.request.kind,
    chain: loop.request.chain,
    calls: loop.calls,
    deadline: loop.deadline,
    lastCall: loop.lastCall,
    usageCounts: loop.usageCounts,
  }),
  answerCheck: (loop: LoopContext): AnswerCheckInput => ({
    runId: loop.runId,
    taskId: loop.request.taskId,
    answer: loop.answer ?? '',
  }),
  deadline: (loop: LoopContext): DeadlineInput => ({
    runId: loop.runId,
    agentId: loop.agent.id,
    deadline: loop.deadline!,
  }),
};

/** The names a chart running the loop gives its parts (guards, updates and the three below). */
type LoopAction = LoopUpdateName | 'dispatchDelegations' | 'announceDelegations' | 'announceDelegationReply';
/** A guard's name, or a guard built from names (`and`). */
type Guard = string | object;
export interface LoopTransition {
  /** None: the actions run and the loop stays where it is. */
  target?: string;
  guard?: Guard;
  actions: readonly string[];
  reenter?: boolean;
}

/** Where the loop leaves to: transitions that follow `actions` (the loop's own updates) on its way out. */
interface LoopExits {
  answered(actions: readonly string[]): LoopTransition[];
  failed(actions: readonly string[]): LoopTransition[];
}

/** Each transition also needs `guards` (all of them, before its own guard). */
function guardedBy(guards: Guard[], transitions: LoopTransition[]): LoopTransition[] {
  if (guards.length === 0) return transitions;
  return transitions.map((t) => {
    const all = [...guards, ...(t.guard ? [t.guard] : [])];
    return { ...t, guard: and(all as Parameters<typeof and>[0]) };
  });
}

/**
 * The loop's states, for a chart to place under `base` (a state id: `#job`, `#task.running.working`):
 * `thinking`, `acting` (`tools`, then `delegating` while coworkers answer), `forcing` and `checking`.
 * They invoke `callModel`, `runTools`, `checkAnswer` and `expireAtDeadline`, which the chart registers;
 * `read` finds the loop in the chart's context.
 */
export function loopStates<C>(base: string, exits: LoopExits, read: (context: C) => LoopContext): LoopStates {
  const input =
    <T>(build: (loop: LoopContext) => T) =>
    ({ context }: { context: C }) =>
      build(read(context));
  const at = (state: string) => `${base}.${state}`;
  /** A final answer: checked against the output schema when the request is structured, else out. */
  const answered = (actions: LoopAction[]): LoopTransition[] => [
    { guard: 'isStructured', target: at('checking'), actions },
    ...exits.answered(actions),
  ];
  /**
   * The end of a tool round (once every delegation of it has replied): a tool's final answer
   * (`resultAsAnswer`) goes to checking or out; else the agent thinks again, or is made to answer once
   * `maxIter` is spent. Transitions of the step that ended the round, not decision states (two microsteps
   * a round less). `gaveAnswer` reads the round from its event (`roundGaveAnswer`) or from the loop
   * (`toolGaveAnswer`, when the round ends with its last reply); `last` is the last-reply guard.
   */
  const reflect = (
    actions: LoopAction[],
    gaveAnswer: 'roundGaveAnswer' | 'toolGaveAnswer',
    last?: 'answersLast',
  ): LoopTransition[] => {
    const first: Guard[] = last ? [last] : [];
    const appended: LoopAction[] = [...actions, 'appendToolMessages'];
    return [
      ...guardedBy([...first, gaveAnswer], answered(appended)),
      ...guardedBy(
        [...first, 'iterationsSpent'],
        [{ target: at('forcing'), actions: [...appended, 'askForFinalAnswer'] }],
      ),
      ...guardedBy(first, [{ target: at('thinking'), actions: appended }]),
    ];
  };
  const retryOrFail = (reenter: boolean): LoopTransition[] => [
    { guard: 'canRetry', target: at('thinking'), actions: ['restart'], ...(reenter ? { reenter } : {}) },
    ...exits.failed(['recordError']),
  ];
  const delegate: LoopAction[] = ['recordToolRound', 'dispatchDelegations', 'announceDelegations'];
  const replied: LoopAction[] = ['announceDelegationReply', 'recordReply'];
  const states = {
    thinking: {
      invoke: {
        id: 'callModel',
        src: 'callModel',
        input: input((loop) => loopInputs.modelCall(loop, false)),
        onDone: [
          { guard: 'wantsTools', target: at('acting'), actions: ['recordTurn'] },
          ...answered(['recordTurn']),
        ],
        onError: retryOrFail(true),
      },
    },
    acting: {
      initial: 'tools',
      states: {
        tools: {
          invoke: {
            id: 'runTools',
            src: 'runTools',
            input: input(loopInputs.toolRun),
            onDone: [
              {
                guard: 'delegatesUnderDeadline',
                target: at('acting.delegating.untilDeadline'),
                actions: delegate,
              },
              { guard: 'sendsDelegations', target: at('acting.delegating'), actions: delegate },
              ...reflect(['recordToolRound'], 'roundGaveAnswer'),
            ],
            onError: retryOrFail(false),
          },
        },
        // Coworkers' replies come back as events; the last one ends the round. One the loop does not
        // wait for (not its own, or already answered) is ignored.
        delegating: {
          initial: 'waiting',
          on: {
            'delegation.reply': [
              ...reflect(replied, 'toolGaveAnswer', 'answersLast'),
              { guard: 'isAwaited', actions: replied },
            ],
          },
          states: {
            waiting: {},
            // With a deadline the wait is bounded by it: a deadline in context and an invoked timer (not
            // `after`), so a persisted and restored loop still times out at the original deadline.
            untilDeadline: {
              invoke: {
                id: 'expireAtDeadline',
                src: 'expireAtDeadline',
                input: input(loopInputs.deadline),
                onError: exits.failed(['recordError']),
              },
            },
          },
        },
      },
    },
    forcing: {
      invoke: {
        id: 'callModel',
        src: 'callModel',
        input: input((loop) => loopInputs.modelCall(loop, true)),
        onDone: answered(['recordTurn']),
        onError: retryOrFail(false),
      },
    },
    checking: {
      invoke: {
        id: 'checkAnswer',
        src: 'checkAnswer',
        input: input(loopInputs.answerCheck),
        onDone: [
          ...guardedBy(['answerValid'], exits.answered(['acceptAnswer'])),
          // Once maxIter is spent, the fix-up is asked without tools too (SPEC §4.2: the last call has none).
          {
            guard: and(['canReparse', 'noIterationsLeft']),
            target: at('forcing'),
            actions: ['askToFixAnswer'],
          },
          { guard: 'canReparse', target: at('thinking'), actions: ['askToFixAnswer'] },
          ...exits.failed(['failParsing']),
        ],
        onError: exits.failed(['recordError']),
      },
    },
  };
  // Typed by their shape only: the charts check their own transitions; these are pinned by the
  // traversals and runs of test/machines (the names they use are the loop's and the exits').
  return states as unknown as LoopStates;
}

/** The shape of `loopStates` (what state values and `matches` are typed by). */
export type LoopStates = {
  thinking: object;
  acting: {
    initial: 'tools';
    states: {
      tools: object;
      delegating: { initial: 'waiting'; states: { waiting: object; untilDeadline: object } };
    };
  };
  forcing: object;
  checking: object;
};

function delegatedResults(loop: LoopContext, replied: Record<string, boolean>): DelegationResult[] {
  return loop.calls
    .filter((call) => call.id in replied)
    .map((call) => ({ call, result: loop.results[call.id] ?? '', isError: replied[call.id] }));
}

/** The request id of the delegation a tool call of the loop sends. */
export function delegationId(loop: LoopContext, callId: string): string {
  return `${loop.request.requestId}/${callId}`;
}

function toolMessages(loop: LoopContext): ChatMessage[] {
  if (loop.protocol === 'react') {
    const observations = loop.calls.map((call) => loop.results[call.id] ?? '').join('\n\n');
    return [{ role: 'user', content: reactObservation(observations) }];
  }
  return loop.calls.map((call) => ({
    role: 'tool',
    toolCallId: call.id,
    content: loop.results[call.id] ?? '',
  }));
}

/** The loop's invoked actors: placeholders a chart registers, which the runtime provides. */
export const loopActors = {
  callModel: fromUnprovided<ModelTurn, ModelCallInput>('callModel'),
  runTools: fromUnprovided<ToolRound, ToolRunInput>('runTools'),
  checkAnswer: fromUnprovided<AnswerCheck, AnswerCheckInput>('checkAnswer'),
  /** Rejects with the `execution_timeout` error once `deadline` passes; never resolves. */
  expireAtDeadline: fromUnprovided<never, DeadlineInput>('expireAtDeadline'),
};

/**
 * The loop's guards and actions for a chart that keeps its loop where `read` finds it, and turns an
 * update of the loop into an update of its own context with `write`. `announceDelegations` and
 * `announceDelegationReply` are named here and provided by the runtime (events are its side effects).
 */
export function loopParts<C extends MachineContext, E extends EventObject>(
  read: (context: C) => LoopContext,
  write: (context: C, update: Partial<LoopContext>) => Partial<C>,
) {
  const guards = Object.fromEntries(
    Object.entries(loopGuards).map(([name, guard]) => [
      name,
      ({ context, event }: { context: C; event: AnyEventObject }) => guard(read(context), event),
    ]),
  ) as Record<LoopGuardName, (args: { context: C; event: AnyEventObject }) => boolean>;
  const updates = Object.fromEntries(
    Object.entries(loopUpdates).map(([name, update]) => [
      name,
      ({ context, event }: { context: C; event: AnyEventObject }) =>
        write(context, update(read(context), event)),
    ]),
  ) as Record<LoopUpdateName, ContextUpdate<C>>;
  const assigns = Object.fromEntries(
    Object.entries(updates).map(([name, update]) => [
      name,
      assign<C, AnyEventObject, undefined, E, never>(update),
    ]),
  ) as Record<LoopUpdateName, ReturnType<typeof assign<C, AnyEventObject, undefined, E, never>>>;
  return {
    guards,
    /** The context updates as plain functions, for a chart that fuses them with its own (fused-updates.ts). */
    updates,
    actions: {
      ...assigns,
      dispatchDelegations: enqueueActions<C, AnyEventObject, undefined, E, never, never, never, never, never>(
        ({ context, event, system, enqueue }) => {
          const loop = read(context);
          for (const sent of delegationsOf(loop, event, system.get(loop.owner))) {
            enqueue.sendTo(sent.to, sent.event);
          }
        },
      ),
      announceDelegations: () => {},
      announceDelegationReply: () => {},
    },
  };
}
