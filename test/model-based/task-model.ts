// The abstract model of a task's life (SPEC §8: pending → running → guardrail-retry / human-input →
// done / skipped / failed) that the generated task suite tests the real `taskMachine` against. It has no
// invocations or delays, so `createTestModel` accepts it; its events are what happens to a task.
import { assign, setup } from 'xstate';

export interface TaskVariant {
  name: string;
  guardrails: boolean;
  maxRetries: number;
  humanInput: boolean;
  maxRevisions: number;
}

export interface TaskModelContext extends TaskVariant {
  retries: number;
  revisions: number;
  /** Why the task failed: its guardrail budget was spent, or its agent failed. */
  failure?: 'guardrail' | 'agent';
}

export type TaskModelEvent =
  | { type: 'START' }
  | { type: 'SKIP' }
  | { type: 'ANSWER' }
  | { type: 'AGENT_FAIL' }
  | { type: 'GUARDRAIL_PASS' }
  | { type: 'GUARDRAIL_FAIL' }
  | { type: 'APPROVE' }
  | { type: 'REVISE' };

export const taskModel = setup({
  types: {} as { context: TaskModelContext; events: TaskModelEvent; input: TaskVariant },
  guards: {
    hasGuardrails: ({ context }) => context.guardrails,
    wantsHuman: ({ context }) => context.humanInput,
    canRetry: ({ context }) => context.retries < context.maxRetries,
    canRevise: ({ context }) => context.revisions < context.maxRevisions,
  },
  actions: {
    agentFailed: assign({ failure: 'agent' as const }),
  },
}).createMachine({
  id: 'task-model',
  context: ({ input }) => ({ ...input, retries: 0, revisions: 0 }),
  initial: 'pending',
  states: {
    pending: { on: { START: 'running', SKIP: 'skipped' } },
    running: {
      initial: 'working',
      states: {
        working: {
          on: {
            ANSWER: [
              { guard: 'hasGuardrails', target: 'validating' },
              { guard: 'wantsHuman', target: '#task-model.human-input' },
              { target: '#task-model.done' },
            ],
            AGENT_FAIL: { target: '#task-model.failed', actions: 'agentFailed' },
          },
        },
        validating: {
          on: {
            GUARDRAIL_PASS: [
              { guard: 'wantsHuman', target: '#task-model.human-input' },
              { target: '#task-model.done' },
            ],
            GUARDRAIL_FAIL: [
              {
                guard: 'canRetry',
                target: '#task-model.guardrail-retry',
                actions: assign({ retries: ({ context }) => context.retries + 1 }),
              },
              { target: '#task-model.failed', actions: assign({ failure: 'guardrail' as const }) },
            ],
          },
        },
      },
    },
    'guardrail-retry': {
      on: { ANSWER: 'running.validating', AGENT_FAIL: { target: 'failed', actions: 'agentFailed' } },
    },
    'human-input': {
      on: {
        APPROVE: 'done',
        REVISE: {
          guard: 'canRevise',
          target: 'running',
          actions: assign({ revisions: ({ context }) => context.revisions + 1 }),
        },
      },
    },
    done: { type: 'final' },
    skipped: { type: 'final' },
    failed: { type: 'final' },
  },
});
