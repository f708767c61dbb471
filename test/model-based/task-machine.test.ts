// Generated tests of `taskMachine`: the paths of the abstract task model (shortest and simple, per task
// variant) are played step by step against the real task chart running inside a real crew, whose
// model answers, condition, guardrail verdicts and human feedback wait at gates the path opens.
import { matchesState, type SnapshotFrom, type StateValue } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  Agent,
  ConditionalTask,
  Crew,
  GuardrailError,
  Task,
  TaskExecutionError,
  type CrewOutput,
  type GuardrailResult,
} from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import {
  Gate,
  Gates,
  TaskRecorder,
  gatedCondition,
  gatedGuardrail,
  gatedModel,
  gatedReviewer,
  marker,
  settle,
} from './harness.js';
import { taskModel, type TaskModelContext, type TaskModelEvent, type TaskVariant } from './task-model.js';

const VARIANTS: TaskVariant[] = [
  { name: 'plain task', guardrails: false, maxRetries: 0, humanInput: false, maxRevisions: 0 },
  { name: 'guardrails, 1 retry', guardrails: true, maxRetries: 1, humanInput: false, maxRevisions: 0 },
  { name: 'human input, 1 revision', guardrails: false, maxRetries: 0, humanInput: true, maxRevisions: 1 },
  {
    name: 'guardrails (2 retries) + human input',
    guardrails: true,
    maxRetries: 2,
    humanInput: true,
    maxRevisions: 1,
  },
];

/** A crew [intro, subject]: `subject` is a ConditionalTask whose every outside answer waits at a gate. */
async function createSut(variant: TaskVariant) {
  const answers = new Gates<string>();
  const condition = new Gate<boolean>();
  const verdicts = new Gate<GuardrailResult>();
  const feedback = new Gates<string>();
  const helper = new Agent({
    id: 'helper',
    role: 'Helper',
    goal: 'Help',
    backstory: 'Quick.',
    llm: new ScriptedLLM('notes'),
  });
  const worker = new Agent({
    id: 'worker',
    role: 'Worker',
    goal: 'Write',
    backstory: 'Careful.',
    llm: gatedModel(answers),
    maxRetryLimit: 0,
  });
  const intro = new Task({ id: 'intro', description: 'Take notes', expectedOutput: 'notes', agent: helper });
  const subject = new ConditionalTask({
    id: 'subject',
    description: `Write the piece ${marker('subject')}`,
    expectedOutput: 'a piece',
    agent: worker,
    condition: gatedCondition(condition),
    guardrails: variant.guardrails ? [gatedGuardrail(verdicts)] : [],
    guardrailMaxRetries: variant.maxRetries,
    humanInput: variant.humanInput,
  });
  const crew = new Crew({
    agents: [helper, worker],
    tasks: [intro, subject],
    humanInput: gatedReviewer(feedback),
  });
  const recorder = new TaskRecorder();
  const actor = crew.createActor({}, { inspect: recorder.inspect });
  const run: { error?: unknown } = {};
  actor.subscribe({ error: (error) => (run.error = error) });
  actor.start();
  const signature = () =>
    recorder.signature() +
    JSON.stringify([
      answers.waiting(),
      condition.waiting,
      verdicts.waiting,
      feedback.waiting(),
      actor.getSnapshot().status,
    ]);
  const sut = {
    answers: answers.of('subject'),
    condition,
    verdicts,
    feedback: feedback.of('subject'),
    recorder,
    actor,
    run,
    drafts: 0,
    settle: () => settle(signature),
    view: () => recorder.view('subject'),
  };
  await sut.settle();
  return sut;
}

type Sut = Awaited<ReturnType<typeof createSut>>;

/** The task is in the model's state (the agent's loop runs in states below `working` / `guardrail-retry`). */
function expectSubject(sut: Sut, value: StateValue, model: TaskModelContext) {
  const view = sut.view();
  expect(
    matchesState(value, view.value as StateValue),
    `${JSON.stringify(view.value)} in ${JSON.stringify(value)}`,
  ).toBe(true);
  expect(view.context.guardrailRetries).toBe(model.retries);
  expect(view.context.humanRound).toBe(model.revisions);
}

type EventType = TaskModelEvent['type'];

/** What each model event does to the real run: open one gate. */
const ACTIONS: Record<EventType, (sut: Sut) => void> = {
  START: (s) => s.condition.resolve(true),
  SKIP: (s) => s.condition.resolve(false),
  ANSWER: (s) => s.answers.resolve(`draft ${++s.drafts}`),
  AGENT_FAIL: (s) => s.answers.reject(new Error('model down')),
  GUARDRAIL_PASS: (s) => s.verdicts.resolve({ ok: true }),
  GUARDRAIL_FAIL: (s) => s.verdicts.resolve({ ok: false, error: 'not good enough' }),
  APPROVE: (s) => s.feedback.resolve(''),
  REVISE: (s) => s.feedback.resolve('make it shorter'),
};

/** Event executors for one run: open the gate, then wait until the run is quiet again. */
function eventsFor(sut: Sut): Record<EventType, () => Promise<void>> {
  const entries = Object.entries(ACTIONS).map(([type, act]) => [
    type,
    async () => {
      act(sut);
      await sut.settle();
    },
  ]);
  return Object.fromEntries(entries) as Record<EventType, () => Promise<void>>;
}

function stateChecks(sut: Sut) {
  const output = () => sut.actor.getSnapshot().output as CrewOutput;
  return {
    pending: (m: { context: TaskModelContext }) => {
      expectSubject(sut, 'pending', m.context);
      expect(sut.condition.waiting).toBe(1);
    },
    'running.working': (m: { context: TaskModelContext }) => {
      expectSubject(sut, { running: 'working' }, m.context);
      expect(sut.answers.waiting).toBe(1);
    },
    'running.validating': (m: { context: TaskModelContext }) => {
      expectSubject(sut, { running: 'validating' }, m.context);
      expect(sut.verdicts.waiting).toBe(1);
    },
    'guardrail-retry': (m: { context: TaskModelContext }) => {
      expectSubject(sut, 'guardrail-retry', m.context);
      expect(sut.answers.waiting).toBe(1);
    },
    'human-input': (m: { context: TaskModelContext }) => {
      expectSubject(sut, 'human-input', m.context);
      expect(sut.feedback.waiting).toBe(1);
    },
    done: (m: { context: TaskModelContext }) => {
      expectSubject(sut, 'done', m.context);
      expect(sut.actor.getSnapshot().status).toBe('done');
      expect(output().tasksOutput.map((t) => t.raw)).toEqual(['notes', `draft ${sut.drafts}`]);
    },
    skipped: (m: { context: TaskModelContext }) => {
      expectSubject(sut, 'skipped', m.context);
      expect(sut.actor.getSnapshot().status).toBe('done');
      expect(output().tasksOutput[1]).toMatchObject({ skipped: true, raw: '' });
      expect(sut.answers.opened).toBe(0);
    },
    failed: (m: { context: TaskModelContext }) => {
      expectSubject(sut, 'failed', m.context);
      expect(sut.actor.getSnapshot().status).toBe('error');
      if (m.context.failure === 'guardrail') {
        expect(sut.run.error).toBeInstanceOf(GuardrailError);
        expect((sut.run.error as Error).message).toContain(`after ${m.context.maxRetries} retries`);
      } else {
        expect(sut.run.error).toBeInstanceOf(TaskExecutionError);
      }
    },
  };
}

const model = createTestModel(taskModel);
/** Only events the model takes: a revision beyond the bound would be a real revision, not a no-op. */
const takes = (state: SnapshotFrom<typeof taskModel>, event: TaskModelEvent) => state.can(event);

for (const variant of VARIANTS) {
  for (const strategy of ['shortest', 'simple'] as const) {
    const paths =
      strategy === 'shortest'
        ? model.getShortestPaths({ input: variant, filterEvents: takes })
        : model.getSimplePaths({ input: variant, filterEvents: takes });
    describe(`taskMachine, ${variant.name}: ${paths.length} ${strategy} paths`, () => {
      paths.forEach((path, i) => {
        const events = path.steps.slice(1).map((s) => s.event.type);
        const end = JSON.stringify(path.state.value);
        it(`[${i + 1}/${paths.length}] ${events.join(' → ')} ⇒ ${end}`, async () => {
          const sut = await createSut(variant);
          await path.test({ events: eventsFor(sut), states: stateChecks(sut) });
        });
      });
    });
  }
}
