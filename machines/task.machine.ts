import { and, assign, setup } from 'xstate';
import {
  loopActors,
  loopParts,
  loopStates,
  newLoop,
  type DelegationReply,
  type LoopContext,
  type LoopInput,
  type LoopTransition,
} from './agent-loop.js';
import { fusedAssign, fusedName, withFusions, type ContextUpdate } from './fused-updates.js';
import { fromUnprovided } from './unprovided.js';
import { feedbackMessage, guardrailRetryMessage } from '../src/executor/prompts.js';
import type { ChatMessage } from '../src/llm/types.js';
import type { TaskOutputData } from '../src/outputs.js';
import { addUsage, emptyUsage, type UsageMetrics } from '../src/usage.js';
import {
  errorData,
  outputOr,
  type ErrorData,
  type TaskOutcome,
  type TaskSpec,
  type WorkRequest,
} from './types.js';

export interface TaskInput {
  runId: string;
  spec: TaskSpec;
}

export interface TaskContext {
  runId: string;
  spec: TaskSpec;
  contextText: string | null;
  conversation: ChatMessage[];
  /** Bumped for every run of the agent's loop, so each has its own request id. */
  attempt: number;
  /** The answer being judged, reviewed or completed; dropped once the task is done (`outcome` holds it). */
  draft?: TaskOutputData;
  guardrailRetries: number;
  lastGuardrailError?: string;
  humanRound: number;
  /**
   * Feedback addressed to this task (by its id) that arrived before the task waited for a person; each
   * answers one later round of `human-input`, oldest first.
   */
  pendingFeedback: string[];
  usage: UsageMetrics;
  error?: ErrorData;
  outcome?: TaskOutcome;
  /** The agent loop at work (`running.working`, `guardrail-retry`); dropped once it answers or fails. */
  loop?: LoopContext;
}

/** What `runGuardrails` answers: the (possibly transformed) output, or the first failure. */
export type GuardrailVerdict =
  | { ok: true; output: TaskOutputData; usage: UsageMetrics }
  /** `rejected` is the text the failing guardrail was given (earlier guardrails may have rewritten it). */
  | { ok: false; error: string; rejected: string; usage: UsageMetrics };

export type TaskEvent =
  | { type: 'task.start'; contextText: string | null }
  | { type: 'task.skip'; output: TaskOutputData }
  | { type: 'human.feedback'; taskId?: string; feedback: string }
  /** A coworker's answer to the loop's delegation, passed on by the agent actor it went through. */
  | DelegationReply;

const requestId = (context: TaskContext) => `${context.spec.id}#${context.attempt}`;

/** The actions taken along with an accepted output (named in `setup` below). */
type Actions = ReadonlyArray<'recordDraft' | 'acceptVerdict' | 'finishAtOnce' | 'announceCompletion'>;

/**
 * Runs of context updates that an accepted answer's step applies as one `assign` each (fused-updates.ts):
 * the loop's last update, the draft, and finishing at once when nothing else waits.
 */
const FUSIONS = [
  ['recordTurn', 'recordDraft', 'finishAtOnce'],
  ['recordTurn', 'recordDraft'],
  ['acceptAnswer', 'recordDraft', 'finishAtOnce'],
  ['acceptAnswer', 'recordDraft'],
  ['acceptVerdict', 'finishAtOnce'],
] as const;
const fused = <T extends { actions: readonly string[] }>(transitions: readonly T[]) =>
  transitions.map((t) => ({ ...t, actions: withFusions(t.actions, FUSIONS) }));

// Where an output goes once it is accepted, as transitions taken in the step that accepted it (a
// decision state in between would cost a microstep per task).

/** Nothing to wait for (no callback, no output file): done in this step; else run the callbacks. */
const finishing = (actions: Actions) =>
  [
    {
      guard: 'finishesAtOnce',
      target: '#task.done',
      actions: [...actions, 'finishAtOnce', 'announceCompletion'],
    },
    { target: '#task.running.completing', actions },
  ] as const;

/** An output the guardrails passed: a person reviews it first when the task asks for human input. */
const approve = (actions: Actions) =>
  [{ guard: 'wantsHumanInput', target: '#task.human-input', actions }, ...finishing(actions)] as const;

/** The agent's answer: the guardrails judge it first, when the task has any. */
const judge = (actions: Actions) =>
  [{ guard: 'hasGuardrails', target: '#task.running.validating', actions }, ...approve(actions)] as const;

/**
 * A state where the task's agent works: the agent loop (agent-loop.ts) in the task's own states, its data
 * in `context.loop`, made anew on entry (first answer, guardrail retry, human revision). An answer is
 * judged; a failed loop fails the task.
 */
const agentAtWork = (base: '#task.running.working' | '#task.guardrail-retry') => ({
  entry: 'startLoop' as const,
  initial: 'thinking' as const,
  states: loopStates<TaskContext>(
    base,
    {
      // The loop's way out carries its own actions first (`Actions` types only the task's own names).
      answered: (actions) =>
        fused(judge([...actions, 'recordDraft'] as unknown as Actions)) as LoopTransition[],
      failed: (actions) => [{ target: '#task.failed', actions: [...actions, 'recordAgentFailure'] }],
    },
    (context) => context.loop!,
  ),
});

/**
 * A task's life: `pending` until the crew starts or skips it; `running` while its agent's loop works
 * (`working`: the agent loop in the task's own states), its guardrails judge the answer (`validating`) and its
 * callbacks run (`completing`; a task without callbacks or output file finishes at once);
 * `guardrail-retry` while the agent answers again after a failed guardrail; `human-input` while it
 * waits for a person; then `done`, `skipped` or `failed`.
 *
 * Guardrails (SPEC §6.1): every answer goes through the whole chain; a failure costs one retry of the
 * task's single budget (`guardrailMaxRetries`) and sends the agent the error and the rejected text.
 *
 * `human.feedback` events (SPEC §6.2):
 * - In `human-input`, feedback for this task (or with no `taskId`) answers the current round, whether or
 *   not the runtime's handler or terminal prompt is also asking; the first answer wins.
 * - Feedback naming this task that arrives earlier (while `pending`, `running` or in `guardrail-retry`) is
 *   not dropped: it is queued and answers the next round(s) as soon as the task reaches `human-input`
 *   (which is still entered and announced). Feedback without a `taskId` is never queued: it answers
 *   only a task that is waiting now. Tasks without `humanInput` never queue feedback.
 * - Feedback naming another task is ignored.
 * - An event without a string `feedback` (`{ text: '…' }` from a JS client, say) is ignored wherever it
 *   arrives: it neither approves, revises nor is queued (an accidental approval is never taken).
 */
/** The agent loop's guards and actions, on the loop the task keeps in `context.loop`. */
const loop = loopParts<TaskContext, TaskEvent>(
  (context) => context.loop!,
  (context, update) => ({ loop: { ...context.loop!, ...update } }),
);

/** The context updates that the fused actions (`FUSIONS`) combine, as plain functions. */
const updates: Record<string, ContextUpdate<TaskContext>> = {
  ...loop.updates,
  recordDraft: ({ context }) => {
    const loop = context.loop!;
    const draft: TaskOutputData = {
      taskId: context.spec.id,
      name: context.spec.name,
      description: context.spec.description,
      expectedOutput: context.spec.expectedOutput,
      raw: loop.answer ?? '',
      ...(loop.parsed === undefined ? {} : { parsed: loop.parsed }),
      ...(loop.json === undefined ? {} : { json: loop.json }),
      agent: loop.agent.role,
      outputFormat: context.spec.structured ? 'json' : 'raw',
      messages: loop.messages,
      skipped: false,
    };
    return {
      draft,
      conversation: loop.messages,
      usage: addUsage(context.usage, loop.usage),
      loop: undefined,
    };
  },
  acceptVerdict: ({ context, event }) => {
    const verdict = verdictOf(event, context);
    return {
      usage: addUsage(context.usage, verdict.usage),
      draft: verdict.ok ? verdict.output : context.draft,
    };
  },
  finishAtOnce: ({ context }) => finishWith(context, context.draft!),
};

/**
 * A guardrail run's verdict. The runtime's done event carries it; a bare `{ type }` event, as `xstate/graph`
 * sends when it walks the chart without running anything, reads as a pass.
 */
function verdictOf(event: unknown, context: TaskContext): GuardrailVerdict {
  return outputOr<GuardrailVerdict>(event, { ok: true, output: context.draft!, usage: emptyUsage() });
}

export const taskMachine = setup({
  types: {} as { context: TaskContext; events: TaskEvent; input: TaskInput; output: TaskOutcome },
  actors: {
    ...loopActors,
    // Implementations are provided by the runtime (`src/runtime`); these defaults fail loudly.
    runGuardrails: fromUnprovided<GuardrailVerdict, { runId: string; taskId: string; draft: TaskOutputData }>(
      'runGuardrails',
    ),
    collectHumanFeedback: fromUnprovided<
      string,
      { runId: string; taskId: string; output: TaskOutputData; round: number }
    >('collectHumanFeedback'),
    completeTask: fromUnprovided<TaskOutputData, { runId: string; taskId: string; output: TaskOutputData }>(
      'completeTask',
    ),
  },
  guards: {
    ...loop.guards,
    hasGuardrails: ({ context }) => context.spec.guardrails > 0,
    wantsHumanInput: ({ context }) => context.spec.humanInput,
    finishesAtOnce: ({ context }) => !context.spec.awaitsCompletion,
    guardrailFailed: ({ context, event }) => !verdictOf(event, context).ok,
    canRetryGuardrail: ({ context }) => context.guardrailRetries < context.spec.guardrailMaxRetries,
    feedbackAccepts: ({ event }) => feedbackOf(event).trim() === '',
    carriesFeedback: ({ event }) =>
      event.type !== 'human.feedback' || typeof (event.feedback as unknown) === 'string',
    isForThisTask: ({ context, event }) =>
      event.type !== 'human.feedback' || event.taskId === undefined || event.taskId === context.spec.id,
    keepsEarlyFeedback: ({ context, event }) =>
      context.spec.humanInput && event.type === 'human.feedback' && event.taskId === context.spec.id,
    hasQueuedFeedback: ({ context }) => context.pendingFeedback.length > 0,
    queuedFeedbackAccepts: ({ context }) => (context.pendingFeedback[0] ?? '').trim() === '',
  },
  actions: {
    ...loop.actions,
    // The task's start carries the text of its context: taken in the same step as the loop's start.
    startLoop: assign(({ context, event }) => {
      const contextText = event.type === 'task.start' ? event.contextText : context.contextText;
      return { contextText, loop: newLoop(loopInput({ ...context, contextText })) };
    }),
    recordDraft: assign(updates.recordDraft),
    recordAgentFailure: assign(({ context }) => {
      const loop = context.loop!;
      return {
        error: loop.error ?? { name: 'Error', message: 'The agent stopped without an answer' },
        usage: addUsage(context.usage, loop.usage),
        loop: undefined,
      };
    }),
    acceptVerdict: assign(updates.acceptVerdict),
    rejectDraft: assign(({ context, event }) => {
      const verdict = verdictOf(event, context);
      const error = verdict.ok ? '' : verdict.error;
      const rejected = verdict.ok ? '' : verdict.rejected;
      return {
        lastGuardrailError: error,
        usage: addUsage(context.usage, verdict.usage),
        guardrailRetries: context.guardrailRetries + 1,
        attempt: context.attempt + 1,
        conversation: [
          ...context.conversation,
          { role: 'user' as const, content: guardrailRetryMessage(error, rejected) },
        ],
      };
    }),
    failGuardrails: assign(({ context, event }) => {
      const verdict = verdictOf(event, context);
      const error = verdict.ok ? '' : verdict.error;
      return {
        usage: addUsage(context.usage, verdict.usage),
        lastGuardrailError: error,
        error: {
          name: 'GuardrailError',
          code: 'guardrail_failed',
          message: `Task '${context.spec.name}' failed guardrail validation after ${context.guardrailRetries} retries. Last error: ${error}`,
        },
      };
    }),
    addFeedback: assign(({ context, event }) => reviseWith(context, feedbackOf(event))),
    queueFeedback: assign(({ context, event }) => ({
      pendingFeedback: [...context.pendingFeedback, feedbackOf(event)],
    })),
    // The oldest queued feedback answers this round: accepted (dropped from the queue) or revised.
    acceptQueuedFeedback: assign(({ context }) => ({ pendingFeedback: context.pendingFeedback.slice(1) })),
    reviseWithQueuedFeedback: assign(({ context }) => ({
      ...reviseWith(context, context.pendingFeedback[0] ?? ''),
      pendingFeedback: context.pendingFeedback.slice(1),
    })),
    recordActorError: assign(({ event }) => ({ error: errorData((event as { error?: unknown }).error) })),
    finish: assign(({ context, event }) => finishWith(context, outputOr(event, context.draft!))),
    finishAtOnce: assign(updates.finishAtOnce),
    ...Object.fromEntries(
      FUSIONS.map((names) => [fusedName(names), fusedAssign<TaskContext, TaskEvent>(updates, names)]),
    ),
    skip: assign(({ context, event }) => {
      const output = (event as Extract<TaskEvent, { type: 'task.skip' }>).output;
      return {
        outcome: { status: 'skipped' as const, taskId: context.spec.id, output, usage: context.usage },
      };
    }),
    fail: assign(({ context }) => ({
      outcome: {
        status: 'failed' as const,
        taskId: context.spec.id,
        error: context.error ?? { name: 'Error', message: 'task failed' },
        usage: context.usage,
      },
    })),
    // Announcements are side effects the runtime provides (events, checkpoints); the chart only names them.
    announceStart: () => {},
    // A task without callbacks or output file: the runtime records and announces the output in this step.
    announceCompletion: () => {},
    announceGuardrailFailure: () => {},
    // The failure that spent the retry budget: the task fails next.
    announceGuardrailsExhausted: () => {},
    announceHumanInput: () => {},
    announceSkip: () => {},
    announceFailure: () => {},
  },
}).createMachine({
  id: 'task',
  context: ({ input }) => ({
    runId: input.runId,
    spec: input.spec,
    contextText: null,
    conversation: [],
    attempt: 0,
    guardrailRetries: 0,
    humanRound: 0,
    pendingFeedback: [],
    usage: emptyUsage(),
  }),
  initial: 'pending',
  output: ({ context }) => context.outcome!,
  // Feedback that comes before the task waits for a person is kept for it (see above).
  on: {
    'human.feedback': { guard: and(['carriesFeedback', 'keepsEarlyFeedback']), actions: 'queueFeedback' },
  },
  states: {
    pending: {
      on: {
        'task.start': {
          target: 'running',
          actions: 'announceStart',
        },
        'task.skip': { target: 'skipped', actions: ['skip', 'announceSkip'] },
      },
    },
    running: {
      initial: 'working',
      states: {
        working: agentAtWork('#task.running.working'),
        validating: {
          invoke: {
            id: 'runGuardrails',
            src: 'runGuardrails',
            input: ({ context }) => ({
              runId: context.runId,
              taskId: context.spec.id,
              draft: context.draft!,
            }),
            onDone: [
              {
                guard: and(['guardrailFailed', 'canRetryGuardrail']),
                target: '#task.guardrail-retry',
                actions: ['rejectDraft', 'announceGuardrailFailure'],
              },
              {
                guard: 'guardrailFailed',
                target: '#task.failed',
                actions: ['failGuardrails', 'announceGuardrailsExhausted'],
              },
              ...fused(approve(['acceptVerdict'])),
            ],
            onError: { target: '#task.failed', actions: 'recordActorError' },
          },
        },
        // A person accepted the output.
        finishing: { always: finishing([]) },
        completing: {
          invoke: {
            id: 'completeTask',
            src: 'completeTask',
            input: ({ context }) => ({
              runId: context.runId,
              taskId: context.spec.id,
              output: context.draft!,
            }),
            onDone: { target: '#task.done', actions: 'finish' },
            onError: { target: '#task.failed', actions: 'recordActorError' },
          },
        },
      },
    },
    // The agent answers again, with the guardrail's error and its rejected answer.
    'guardrail-retry': agentAtWork('#task.guardrail-retry'),
    'human-input': {
      entry: 'announceHumanInput',
      // Feedback queued earlier answers at once; the invoke below is then never started.
      always: [
        {
          guard: and(['hasQueuedFeedback', 'queuedFeedbackAccepts']),
          target: 'running.finishing',
          actions: 'acceptQueuedFeedback',
        },
        { guard: 'hasQueuedFeedback', target: 'running', actions: 'reviseWithQueuedFeedback' },
      ],
      invoke: {
        id: 'collectHumanFeedback',
        src: 'collectHumanFeedback',
        input: ({ context }) => ({
          runId: context.runId,
          taskId: context.spec.id,
          output: context.draft!,
          round: context.humanRound + 1,
        }),
        onDone: [
          { guard: 'feedbackAccepts', target: 'running.finishing' },
          { target: 'running', actions: 'addFeedback' },
        ],
        onError: { target: 'failed', actions: 'recordActorError' },
      },
      on: {
        'human.feedback': [
          {
            guard: and(['carriesFeedback', 'isForThisTask', 'feedbackAccepts']),
            target: 'running.finishing',
          },
          { guard: and(['carriesFeedback', 'isForThisTask']), target: 'running', actions: 'addFeedback' },
        ],
      },
    },
    done: { type: 'final' },
    skipped: { type: 'final' },
    failed: { type: 'final', entry: ['fail', 'announceFailure'] },
  },
});

/**
 * The feedback a `human.feedback` event or the `collectHumanFeedback` actor's output carries. A handler
 * that returns nothing accepts (documented); an event without a string `feedback` never gets here
 * (`carriesFeedback`).
 */
function feedbackOf(event: unknown): string {
  const e = event as { type?: string; feedback?: unknown; output?: unknown };
  const feedback = e.type === 'human.feedback' ? e.feedback : e.output;
  return typeof feedback === 'string' ? feedback : '';
}

/** Back to the agent with a person's feedback: the conversation goes on, so it sees its last answer. */
function reviseWith(context: TaskContext, feedback: string): Partial<TaskContext> {
  return {
    humanRound: context.humanRound + 1,
    attempt: context.attempt + 1,
    conversation: [...context.conversation, { role: 'user' as const, content: feedbackMessage(feedback) }],
  };
}

/**
 * A done task keeps its output once, in `outcome`: the draft and the conversation are not needed any
 * more, and every copy would be written again into each later checkpoint of the crew.
 */
function finishWith(context: TaskContext, output: TaskOutputData): Partial<TaskContext> {
  return {
    draft: undefined,
    conversation: [],
    outcome: { status: 'done', taskId: context.spec.id, output, usage: context.usage },
  };
}

function loopInput(context: TaskContext): LoopInput {
  return {
    runId: context.runId,
    agent: context.spec.agent,
    owner: context.spec.executor,
    request: workRequest(context),
  };
}

function workRequest(context: TaskContext): WorkRequest {
  return {
    requestId: requestId(context),
    kind: 'task',
    replyTo: `task:${context.spec.id}`,
    taskId: context.spec.id,
    context: context.contextText,
    conversation: context.conversation,
    structured: context.spec.structured,
    chain: [context.spec.executor],
  };
}
