// Machines shaped like statecrew's own (task, crew, usage monitor, retry timer), built here so the
// visualisation tests do not depend on the real machines in `machines/`.
import { and, assign, createMachine, fromPromise, not, setup, stateIn, type AnyStateMachine } from 'xstate';

type TaskEvent =
  | { type: 'task.start' }
  | { type: 'task.skip' }
  | { type: 'task.cancel' }
  | { type: 'task.progress'; note: string }
  | { type: 'task.human_feedback'; approved: boolean }
  | { type: 'agent.tool_call' }
  | { type: 'agent.tool_result' };

export const taskMachine = setup({
  types: {
    context: {} as { retries: number; notes: string[] },
    events: {} as TaskEvent,
    input: {} as { max: number },
  },
  actors: { runAgent: fromPromise(async () => ({ raw: 'ok' })) },
  guards: {
    guardrailPassed: () => true,
    canRetry: () => true,
    needsHumanInput: () => false,
    approved: () => true,
  },
  actions: { recordOutput: () => {}, recordError: () => {} },
  delays: { retryDelay: 1_000 },
}).createMachine({
  id: 'task',
  context: () => ({ retries: 0, notes: [] }),
  initial: 'pending',
  states: {
    pending: { on: { 'task.start': 'running', 'task.skip': 'skipped' } },
    running: {
      initial: 'thinking',
      invoke: {
        id: 'agentCall',
        src: 'runAgent',
        input: ({ context }) => ({ retries: context.retries }),
        onDone: [
          { target: 'check-human', guard: 'guardrailPassed', actions: 'recordOutput' },
          { target: 'guardrail-retry', guard: 'canRetry' },
          { target: 'failed' },
        ],
        onError: { target: 'failed', actions: 'recordError' },
      },
      on: {
        'task.cancel': 'failed',
        // targetless: only updates context
        'task.progress': {
          actions: assign({ notes: ({ context, event }) => [...context.notes, event.note] }),
        },
      },
      states: {
        thinking: { on: { 'agent.tool_call': 'tool-call' } },
        'tool-call': { on: { 'agent.tool_result': 'thinking' } },
      },
    },
    'guardrail-retry': {
      entry: assign({ retries: ({ context }) => context.retries + 1 }),
      after: { retryDelay: 'running' },
    },
    'check-human': { always: [{ target: 'human-input', guard: 'needsHumanInput' }, { target: 'done' }] },
    'human-input': {
      on: {
        'task.human_feedback': [
          { target: 'done', guard: 'approved' },
          { target: 'running', guard: not('approved') },
        ],
      },
    },
    done: { type: 'final', output: ({ context }) => context.notes },
    skipped: { type: 'final' },
    failed: { type: 'final' },
  },
});

type CrewEvent =
  | { type: 'crew.kickoff' }
  | { type: 'crew.cancel' }
  | { type: 'crew.log' }
  | { type: `xstate.done.actor.${string}`; output: unknown }
  | { type: `xstate.error.actor.${string}`; error: unknown };

export const crewMachine = setup({
  types: { events: {} as CrewEvent },
  actors: { task: taskMachine },
  guards: {
    isCurrentTask: () => true,
    allTasksDone: () => false,
    hasErrors: () => false,
    outputValid: () => true,
  },
  actions: { spawnNextTask: () => {}, recordOutcome: () => {}, log: () => {} },
}).createMachine({
  id: 'crew',
  initial: 'idle',
  on: { 'crew.cancel': '.cancelled' },
  states: {
    idle: { on: { 'crew.kickoff': 'sequential' } },
    sequential: {
      entry: 'spawnNextTask',
      on: {
        'xstate.done.actor.*': [
          { target: 'finishing', guard: and(['isCurrentTask', 'allTasksDone', not('hasErrors')]) },
          { target: 'sequential', guard: 'isCurrentTask', reenter: true, actions: 'recordOutcome' },
        ],
        'xstate.error.actor.*': { target: 'failed', guard: 'isCurrentTask' },
        '*': { actions: 'log' },
      },
    },
    finishing: { always: [{ target: 'done', guard: 'outputValid' }, { target: 'failed' }] },
    done: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

export const monitorMachine = setup({
  types: {
    events: {} as { type: 'usage.tick' } | { type: 'net.down' } | { type: 'net.up' } | { type: 'reset' },
  },
  guards: { overBudget: () => false },
}).createMachine({
  id: 'monitor',
  type: 'parallel',
  on: { reset: { target: ['.llm-usage.under-budget', '.connection.online'] } },
  states: {
    'llm-usage': {
      initial: 'under-budget',
      states: {
        'under-budget': { on: { 'usage.tick': { target: 'over-budget', guard: 'overBudget' } } },
        'over-budget': { type: 'final' },
      },
      onDone: { target: '.under-budget' },
    },
    connection: {
      initial: 'online',
      states: {
        online: { on: { 'net.down': 'offline' } },
        offline: {
          on: {
            'net.up': 'online',
            // crosses regions, so the edge belongs to the parallel state's block
            'usage.tick': {
              target: '#monitor.llm-usage.over-budget',
              guard: stateIn({ connection: 'online' }),
            },
          },
        },
        previous: { type: 'history', history: 'deep' },
      },
    },
  },
});

// Plain `createMachine`: `setup()` only accepts registered actors, and this one invokes inline logic.
export const timerMachine = createMachine({
  id: 'retry-timer',
  initial: 'waiting',
  states: {
    waiting: {
      invoke: { id: 'ping', src: fromPromise(async () => 'pong') },
      after: { 500: 'ready', backoff: { target: 'gave-up', guard: 'tooMany' } },
    },
    ready: { after: { 100: { target: 'waiting', reenter: true } } },
    'gave-up': { type: 'final' },
  },
}).provide({ guards: { tooMany: () => false }, delays: { backoff: 250 } });

/** States whose names are Mermaid keywords, start with a digit, or collide once made safe. */
export const awkwardMachine = setup({}).createMachine({
  initial: 'note',
  states: {
    note: { on: { go: 'class' } },
    class: { on: { go: '1st' } },
    '1st': { on: { go: 'a-b' } },
    'a-b': { on: { go: 'a_b' } },
    a_b: { on: { go: { target: 'default' } } },
    default: { id: 'state', on: { 'say "hi"; #1': 'note' } },
  },
});

export const fixtures: Record<string, AnyStateMachine> = {
  task: taskMachine,
  crew: crewMachine,
  monitor: monitorMachine,
  timer: timerMachine,
  awkward: awkwardMachine,
};
