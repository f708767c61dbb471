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
 * @example
 * import { getSimplePaths } from 'xstate/graph';
 * const paths = getSimplePaths(crewTestModel(crew), {
 *   toState: (s) => s.status === 'done',
 *   // XState's own events (`xstate.done.state.*`) are not decisions: a path of them decides nothing.
 *   filterEvents: (_s, e) => !e.type.startsWith('xstate.'),
 * });
 */
export function crewTestModel(crew: Crew, options: CrewModelOptions = {}) {
  return testModelOf(modelTasks(crew, options));
}

export type CrewTestModel = ReturnType<typeof testModelOf>;
export type CrewModelSnapshot = SnapshotFrom<CrewTestModel>;

/** The test model of a list of tasks (see `crewTestModel`). */
export function testModelOf(tasks: ModelTask[]) {
  const model = setup({ types: {} as { context: ModelContext; events: ModelEvent } });
  const record = (task: ModelTask, decision: CrewDecision) =>
    model.assign({ trail: ({ context }) => [...context.trail, { taskId: task.id, decision }] });
  type StateConfig = StateNodeConfig<
    ModelContext,
    ModelEvent,
    never,
    never,
    never,
    never,
    never,
    never,
    never,
    never
  >;

  const taskState = (task: ModelTask, next: string): StateConfig => {
    const work = task.guardrails ? 'guardrail' : task.humanInput ? 'human' : 'done';
    const states: Record<string, StateConfig> = { done: { type: 'final' } };
    if (task.conditional) {
      states.condition = {
        on: {
          'task.run': { target: work, actions: record(task, 'run') },
          'task.skip': { target: 'done', actions: record(task, 'skip') },
        },
      };
    }
    if (task.guardrails) {
      states.guardrail = {
        on: {
          'guardrail.pass': { target: task.humanInput ? 'human' : 'done', actions: record(task, 'pass') },
          'guardrail.fail': [
            {
              guard: ({ context }) => context.retries < task.maxRetries,
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
          'human.approve': { target: 'done', actions: record(task, 'approve') },
          'human.revise': {
            guard: ({ context }) => context.revisions < task.maxRevisions,
            target: task.guardrails ? 'guardrail' : 'human',
            actions: [record(task, 'revise'), assign({ revisions: ({ context }) => context.revisions + 1 })],
          },
        },
      };
    }
    return {
      // Diagrams name the task (`toMermaid(crewTestModel(crew))`).
      description: task.label,
      entry: assign({ retries: 0, revisions: 0 }),
      initial: task.conditional ? 'condition' : work,
      states,
      onDone: next,
    };
  };

  const states: Record<string, StateConfig> = {
    completed: { type: 'final' },
    failed: { type: 'final' },
  };
  tasks.forEach((task, i) => {
    states[key(i)] = taskState(task, i + 1 < tasks.length ? key(i + 1) : 'completed');
  });
  return model.createMachine({
    id: 'crew-model',
    context: { retries: 0, revisions: 0, trail: [] },
    initial: tasks.length > 0 ? key(0) : 'completed',
    states,
  });
}
