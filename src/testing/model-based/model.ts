import { assign, setup, type SnapshotFrom, type StateNodeConfig } from 'xstate';
import type { Crew } from '../../crew.js';
import { awaitsCompletion } from '../../runtime/prepare-run.js';
import { ConditionalTask, type Task } from '../../task.js';
import type { CrewDecision, CrewModelOptions, CrewPathScriptOptions, CrewPathStep } from './types.js';

/** What the test model needs to know about a task. */
export interface ModelTask {
  id: string;
  /** How descriptions name it: its name, else its id. */
  label: string;
  conditional: boolean;
  async: boolean;
  guardrails: boolean;
  maxRetries: number;
  humanInput: boolean;
  maxRevisions: number;
  /**
   * Finishing waits for a callback or the output file, so the task is seen `running` once more after a
   * reviewer approves; otherwise it is done in the step that approved it.
   */
  awaitsCompletion: boolean;
}

export interface ModelContext {
  /** Guardrail retries and revisions of the current task. */
  retries: number;
  revisions: number;
  /** Every decision so far, in order. */
  trail: CrewPathStep[];
}

export type ModelEvent =
  | { type: 'task.run' }
  | { type: 'task.skip' }
  | { type: 'guardrail.pass' }
  | { type: 'guardrail.fail' }
  | { type: 'human.approve' }
  | { type: 'human.revise' };

/** The tasks of a crew as the test model sees them. */
export function modelTasks(
  crew: Crew,
  options: CrewModelOptions & Pick<CrewPathScriptOptions, 'keepOutputFiles'> = {},
): ModelTask[] {
  const maxRevisions = options.maxRevisions ?? 1;
  if (!Number.isInteger(maxRevisions) || maxRevisions < 0) {
    throw new RangeError(`maxRevisions must be an integer ≥ 0 (got ${maxRevisions})`);
  }
  return crew.tasks.map((task: Task) => ({
    id: task.id,
    label: task.name ?? task.id,
    conditional: task instanceof ConditionalTask,
    async: task.asyncExecution,
    guardrails: task.guardrails.length > 0,
    maxRetries: task.guardrailMaxRetries,
    humanInput: task.humanInput,
    maxRevisions,
    awaitsCompletion: awaitsCompletion(
      task,
      crew.taskCallback,
      options.keepOutputFiles ? task.outputFile : undefined,
    ),
  }));
}

const key = (index: number) => `task${index}`;

/**
 * The abstract test model of a crew: an XState machine with one state per task, in crew order, whose
 * events are the decisions a path makes: `task.run` / `task.skip` (a ConditionalTask's condition),
 * `guardrail.pass` / `guardrail.fail` (a retry while the budget lasts, then the run fails),
 * `human.approve` / `human.revise` (at most `maxRevisions` revisions). It has no invocations, so
 * `xstate/graph` (`getShortestPaths`, `getSimplePaths`, `createTestModel`) can traverse it; every
 * decision is kept in `context.trail`.
 * Every event it takes is a decision, so `xstate/graph`'s tools need no options to give feasible paths.
 * @example
 * import { getSimplePaths } from 'xstate/graph';
 * const paths = getSimplePaths(crewTestModel(crew), { toState: (s) => s.status === 'done' });
 */
export function crewTestModel(crew: Crew, options: CrewModelOptions = {}) {
  return testModelOf(modelTasks(crew, options));
}

export type CrewTestModel = ReturnType<typeof testModelOf>;
export type CrewModelSnapshot = SnapshotFrom<CrewTestModel>;

/** The test model of a list of tasks (see `crewTestModel`). */
export function testModelOf(tasks: ModelTask[]) {
  const model = setup({
    types: {} as { context: ModelContext; events: ModelEvent },
    guards: {
      // Named (with the task's budget as a parameter) so diagrams and Stately Studio show them.
      retryLeft: ({ context }, { max }: { max: number }) => context.retries < max,
      revisionLeft: ({ context }, { max }: { max: number }) => context.revisions < max,
    },
  });
  const record = (task: ModelTask, decision: CrewDecision) =>
    model.assign({ trail: ({ context }) => [...context.trail, { taskId: task.id, decision }] });
  type Budget = { max: number };
  type StateConfig = StateNodeConfig<
    ModelContext,
    ModelEvent,
    never,
    never,
    { type: 'retryLeft'; params: Budget } | { type: 'revisionLeft'; params: Budget },
    never,
    never,
    never,
    never,
    never
  >;

  // A decision that ends a task goes straight to the next task (no `onDone`: xstate/graph would send its
  // `xstate.done.state.*` event as a decision of its own, and take a task on before it had passed).
  const taskState = (task: ModelTask, next: string): StateConfig => {
    const work = task.guardrails ? 'guardrail' : task.humanInput ? 'human' : undefined;
    const states: Record<string, StateConfig> = {};
    if (task.conditional) {
      states.condition = {
        on: {
          'task.run': { target: work ?? next, actions: record(task, 'run') },
          'task.skip': { target: next, actions: record(task, 'skip') },
        },
      };
    }
    if (task.guardrails) {
      states.guardrail = {
        on: {
          'guardrail.pass': { target: task.humanInput ? 'human' : next, actions: record(task, 'pass') },
          'guardrail.fail': [
            {
              guard: { type: 'retryLeft', params: { max: task.maxRetries } },
              actions: [record(task, 'fail'), assign({ retries: ({ context }) => context.retries + 1 })],
            },
            { target: '#crew-model.failed', actions: record(task, 'fail') },
          ],
        },
      };
    }
    if (task.humanInput) {
      states.human = {
        on: {
          'human.approve': { target: next, actions: record(task, 'approve') },
          'human.revise': {
            guard: { type: 'revisionLeft', params: { max: task.maxRevisions } },
            target: task.guardrails ? 'guardrail' : 'human',
            actions: [record(task, 'revise'), assign({ revisions: ({ context }) => context.revisions + 1 })],
          },
        },
      };
    }
    const initial = task.conditional ? 'condition' : work;
    return {
      // Diagrams name the task (`toMermaid(crewTestModel(crew))`).
      description: task.label,
      entry: assign({ retries: 0, revisions: 0 }),
      // A task with no decision to make is done as soon as it starts.
      ...(initial ? { initial, states } : { always: next }),
    };
  };

  const states: Record<string, StateConfig> = {
    completed: { type: 'final' },
    failed: { type: 'final' },
  };
  tasks.forEach((task, i) => {
    states[key(i)] = taskState(task, `#crew-model.${i + 1 < tasks.length ? key(i + 1) : 'completed'}`);
  });
  return model.createMachine({
    id: 'crew-model',
    context: { retries: 0, revisions: 0, trail: [] },
    initial: tasks.length > 0 ? key(0) : 'completed',
    states,
  });
}
