// Generated tests of both crew charts (`crew.sequential`, `crew.hierarchical`): the paths of the abstract
// crew model (conditional run/skip, async fan-out and joins, failures) are played step by step against
// real crews whose model answers and conditions wait at gates; after every step each task actor's state,
// the calls waiting at the gates and the run's status must be what the model says.
import type { SnapshotFrom } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { Agent, ConditionalTask, Crew, Task, TaskExecutionError, type CrewOutput } from '../../src/index.js';
import {
  crewModel,
  type CrewModelContext,
  type CrewModelEvent,
  type ModelStatus,
  type ShapeTask,
} from './crew-model.js';
import { Gates, TaskRecorder, gatedModel, marker, settle } from './harness.js';

const SHAPES: Record<string, ShapeTask[]> = {
  'sync, conditional, 2 async joined before a condition': [
    { id: 'a', kind: 'sync' },
    { id: 'b', kind: 'conditional' },
    { id: 'c', kind: 'async' },
    { id: 'd', kind: 'async' },
    { id: 'e', kind: 'conditional' },
  ],
  '2 async joined before a sync task, conditional, async joined at the end': [
    { id: 'a', kind: 'async' },
    { id: 'b', kind: 'async' },
    { id: 'c', kind: 'sync' },
    { id: 'd', kind: 'conditional' },
    { id: 'e', kind: 'async' },
  ],
};

function createSut(shape: ShapeTask[], process: 'sequential' | 'hierarchical') {
  const answers = new Gates<string>();
  const conditions = new Gates<boolean>();
  const agent = (id: string) =>
    new Agent({
      id,
      role: id,
      goal: `${id} goal`,
      backstory: 'Works.',
      llm: gatedModel(answers),
      maxRetryLimit: 0,
    });
  const agents = [agent('alpha'), agent('beta')];
  const tasks = shape.map((t, i) => {
    const options = {
      id: t.id,
      description: `Do ${marker(t.id)}`,
      expectedOutput: `result of ${t.id}`,
      agent: agents[i % 2],
      asyncExecution: t.kind === 'async',
    };
    return t.kind === 'conditional'
      ? new ConditionalTask({ ...options, condition: () => conditions.of(t.id).wait() })
      : new Task(options);
  });
  const managerAgent =
    process === 'hierarchical'
      ? new Agent({
          id: 'boss',
          role: 'Boss',
          goal: 'Lead',
          backstory: 'Leads.',
          llm: gatedModel(answers),
          maxRetryLimit: 0,
        })
      : undefined;
  const crew = new Crew({ agents, tasks, process, ...(managerAgent ? { managerAgent } : {}) });
  const recorder = new TaskRecorder();
  const actor = crew.createActor({}, { inspect: recorder.inspect });
  const run: { error?: unknown } = {};
  actor.subscribe({ error: (error) => (run.error = error) });
  actor.start();
  const signature = () =>
    recorder.signature() +
    JSON.stringify([answers.waiting(), conditions.waiting(), actor.getSnapshot().status]);
  return { answers, conditions, recorder, actor, run, settle: () => settle(signature) };
}

type Sut = ReturnType<typeof createSut>;

/** What each model event does to the real run: open the gate of its task. */
function eventsFor(sut: Sut, shape: ShapeTask[]) {
  const events: Record<string, () => Promise<void>> = {};
  const step = (type: string, act: () => void) => {
    events[type] = async () => {
      act();
      await sut.settle();
    };
  };
  for (const { id } of shape) {
    step(`FINISH:${id}`, () => sut.answers.of(id).resolve(`answer ${id}`));
    step(`FAIL:${id}`, () => sut.answers.of(id).reject(new Error(`model down for ${id}`)));
    step(`RUN:${id}`, () => sut.conditions.of(id).resolve(true));
    step(`SKIP:${id}`, () => sut.conditions.of(id).resolve(false));
  }
  return events;
}

const REAL_STATE: Record<ModelStatus, string> = {
  pending: 'pending',
  deciding: 'pending',
  running: 'running',
  done: 'done',
  skipped: 'skipped',
  failed: 'failed',
};

function checkRun(sut: Sut, model: { context: CrewModelContext; value: unknown }) {
  const { shape, status } = model.context;
  const ids = (wanted: ModelStatus) => shape.filter((t) => status[t.id] === wanted).map((t) => t.id);
  expect(Object.fromEntries(shape.map((t) => [t.id, sut.recorder.top(t.id)]))).toEqual(
    Object.fromEntries(shape.map((t) => [t.id, REAL_STATE[status[t.id]]])),
  );
  if (model.value === 'running') {
    expect(sut.actor.getSnapshot().status).toBe('active');
    expect({ answering: sut.answers.waiting(), deciding: sut.conditions.waiting() }).toEqual({
      answering: ids('running'),
      deciding: ids('deciding'),
    });
  } else if (model.value === 'completed') {
    expect(sut.actor.getSnapshot().status).toBe('done');
    const output = sut.actor.getSnapshot().output as CrewOutput;
    expect(output.tasksOutput.map((t) => [t.taskId, t.raw, t.skipped])).toEqual(
      shape.map((t) => [t.id, status[t.id] === 'done' ? `answer ${t.id}` : '', status[t.id] === 'skipped']),
    );
  } else {
    expect(sut.actor.getSnapshot().status).toBe('error');
    expect(sut.run.error).toBeInstanceOf(TaskExecutionError);
    expect((sut.run.error as TaskExecutionError).taskId).toBe(ids('failed')[0]);
  }
}

const takes = (state: SnapshotFrom<ReturnType<typeof crewModel>>, event: CrewModelEvent) => state.can(event);

for (const process of ['sequential', 'hierarchical'] as const) {
  for (const [name, shape] of Object.entries(SHAPES)) {
    const model = createTestModel(crewModel(shape));
    for (const strategy of ['shortest', 'simple'] as const) {
      const paths =
        strategy === 'shortest'
          ? model.getShortestPaths({ filterEvents: takes })
          : model.getSimplePaths({ filterEvents: takes });
      describe(`crew.${process}, ${name}: ${paths.length} ${strategy} paths`, () => {
        paths.forEach((path, i) => {
          const events = path.steps.slice(1).map((s) => s.event.type);
          it(`[${i + 1}/${paths.length}] ${events.join(' → ')} ⇒ ${String(path.state.value)}`, async () => {
            const sut = createSut(shape, process);
            await sut.settle();
            checkRun(sut, path.steps[0].state);
            await path.test({
              events: eventsFor(sut, shape),
              states: { '*': (state) => checkRun(sut, state) },
            });
          });
        });
      });
    }
  }
}
