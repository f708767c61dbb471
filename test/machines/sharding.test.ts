import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, initialTransition, toPromise, type AnyActorRef, type Snapshot } from 'xstate';
import { batchSize, MAX_DIRECT_TASKS, type CrewContext } from '../../machines/crew-chart.js';
import {
  CHUNK_SIZE,
  chunkOutcomes,
  outcomeCount,
  outcomeList,
  outcomeOf,
  recordedOutcomes,
  withOutcome,
} from '../../machines/crew-outcomes.js';
import { sequentialCrewMachine, type TaskOutcome, type TaskSpec } from '../../machines/index.js';
import {
  Agent,
  Crew,
  CrewAbortedError,
  MemoryCheckpointStore,
  Task,
  TaskExecutionError,
  type CrewActor,
} from '../../src/index.js';
import { unregisterRun } from '../../src/runtime/run-env.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';
import { emptyUsage } from '../../src/usage.js';
import { deferred, until } from '../helpers/crew-fixtures.js';
import { withoutTerminal } from '../helpers/human-fixtures.js';

const specs = (n: number): TaskSpec[] => Array.from({ length: n }, (_, i) => ({ id: `t${i}` }) as TaskSpec);

function outcome(taskId: string): TaskOutcome {
  return { status: 'failed', taskId, error: { name: 'Error', message: taskId }, usage: emptyUsage() };
}

describe('crew outcomes in chunks', () => {
  const tasks = specs(2 * CHUNK_SIZE + 5);

  it('records one outcome by copying its chunk and the outer array only', () => {
    const before = { tasks, outcomes: chunkOutcomes(tasks) };
    const after = { tasks, outcomes: withOutcome(before, outcome('t150')) };

    expect(outcomeOf(after, 't150')).toEqual(outcome('t150'));
    expect(outcomeOf(before, 't150')).toBeUndefined();
    expect(after.outcomes).not.toBe(before.outcomes);
    expect(after.outcomes[1]).not.toBe(before.outcomes[1]);
    expect(after.outcomes[0]).toBe(before.outcomes[0]);
    expect(after.outcomes[2]).toBe(before.outcomes[2]);
    expect(withOutcome(before, outcome('not-a-task'))).toBe(before.outcomes);
  });

  it('lists outcomes in crew order whatever order they were recorded in, and survives JSON', () => {
    let source = { tasks, outcomes: chunkOutcomes(tasks, { t3: outcome('t3') }) };
    for (const id of ['t204', 't0', 't100']) source = { tasks, outcomes: withOutcome(source, outcome(id)) };
    const restored = JSON.parse(JSON.stringify(source)) as typeof source;

    expect(outcomeList(restored).map((o) => o.taskId)).toEqual(['t0', 't3', 't100', 't204']);
    expect(Object.keys(recordedOutcomes(restored))).toEqual(['t0', 't3', 't100', 't204']);
    expect(outcomeCount(restored)).toBe(4);
    expect(outcomeOf(restored, 't204')).toEqual(outcome('t204'));
  });
});

describe('the actors of a large crew', () => {
  const input = (n: number) => ({
    runId: 'topology',
    tasks: specs(n).map((spec) => ({ ...spec, executor: 'agent:worker' })),
    agents: [{ id: 'worker', role: 'Worker', maxIter: 1, maxRetryLimit: 1 }],
  });
  const childIds = (actor: { getSnapshot(): unknown }) =>
    Object.keys((actor.getSnapshot() as { children: Record<string, unknown> }).children);

  it(`keeps up to ${MAX_DIRECT_TASKS} tasks as the crew's own children`, () => {
    const [snapshot] = initialTransition(sequentialCrewMachine, input(MAX_DIRECT_TASKS));
    const children = Object.keys(snapshot.children);
    expect(children.filter((id) => id.startsWith('task:'))).toHaveLength(MAX_DIRECT_TASKS);
    expect(children.filter((id) => id.startsWith('batch:'))).toEqual([]);
  });

  it('puts the tasks of a larger crew in batch actors, in order, none holding more than 100', () => {
    const n = 1000;
    const [snapshot] = initialTransition(sequentialCrewMachine, input(n));
    const batches = Object.keys(snapshot.children).filter((id) => id.startsWith('batch:'));
    const size = batchSize(n);
    expect(size).toBeLessThanOrEqual(MAX_DIRECT_TASKS);
    expect(batches).toHaveLength(Math.ceil(n / size));
    expect(Object.keys(snapshot.children).filter((id) => id.startsWith('task:'))).toEqual([]);
    expect(snapshot.context.taskRefs).toEqual({});
    const held = batches.flatMap((id) => childIds(snapshot.children[id]!));
    expect(held).toEqual(input(n).tasks.map((t) => `task:${t.id}`));
  });
});

/** A crew of `n` one-line tasks (no context) for one agent; the last one asks a person when `humanLast`. */
function bigCrew(
  n: number,
  replies: ScriptedReply[],
  options: { store?: MemoryCheckpointStore; humanLast?: boolean; retries?: number } = {},
) {
  const { store, humanLast = false, retries: maxRetryLimit } = options;
  const llm = new ScriptedLLM(replies);
  const agent = new Agent({ id: 'worker', role: 'Worker', goal: 'g', backstory: 'b', llm, maxRetryLimit });
  const tasks = Array.from(
    { length: n },
    (_, i) =>
      new Task({
        id: `t${i}`,
        description: `Task ${i}`,
        expectedOutput: 'x',
        agent,
        context: [],
        humanInput: humanLast && i === n - 1,
      }),
  );
  return { llm, tasks, crew: new Crew({ agents: [agent], tasks, ...(store ? { checkpoint: store } : {}) }) };
}

const answers = (from: number, to: number): ScriptedReply[] =>
  Array.from({ length: to - from }, (_, i) => `answer ${from + i}`);
const expectedRaws = (n: number) => Array.from({ length: n }, (_, i) => `answer ${i}`);

describe('a crew of 150 tasks (batched)', () => {
  const N = 150;
  let restoreTerminal: () => void;
  beforeEach(() => (restoreTerminal = withoutTerminal()));
  afterEach(() => restoreTerminal());
  const runIds: string[] = [];
  afterEach(() => {
    for (const runId of runIds.splice(0)) unregisterRun(runId);
  });

  /** Runs until the model call of task `at` is in flight, which never answers. */
  function stallAt(at: number, options: Parameters<typeof bigCrew>[2] = {}) {
    const stalled = deferred<string>();
    const first = bigCrew(N, [...answers(0, at), () => stalled.promise], options);
    return { first, inFlight: () => first.llm.calls.length === at + 1 };
  }

  const lastWaits = (actor: CrewActor) => {
    const last = actor.system.get(`task:t${N - 1}`) as AnyActorRef | undefined;
    return (last?.getSnapshot() as { value?: unknown } | undefined)?.value === 'human-input';
  };

  it('persisted mid-run, restores in a rebuilt crew and finishes with every output', async () => {
    const runId = 'batched-mid-run';
    runIds.push(runId);
    const { first, inFlight } = stallAt(120, { humanLast: true });
    const actor = first.crew.createActor({}, { runId });
    actor.start();
    await until(inFlight, 2000);
    expect(actor.system.get('task:t120')).toBeDefined();

    const text = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();
    const saved = JSON.parse(text) as {
      context: CrewContext;
      children: Record<string, { src: string; snapshot: { children: Record<string, { systemId: string }> } }>;
    };
    expect(outcomeCount(saved.context)).toBe(120);
    const batches = Object.entries(saved.children).filter(([id]) => id.startsWith('batch:'));
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.every(([, child]) => child.src === 'taskBatch')).toBe(true);
    const tasks = batches.flatMap(([, batch]) => Object.values(batch.snapshot.children));
    expect(tasks.map((task) => task.systemId)).toEqual(first.tasks.map((t) => `task:${t.id}`));

    unregisterRun(runId);
    const second = bigCrew(N, answers(120, N), { humanLast: true });
    const registration = second.crew.createActor({}, { runId });
    const restored = createActor(second.crew.machine, {
      snapshot: saved as unknown as Snapshot<unknown>,
      input: registration.options.input!,
    }) as unknown as CrewActor;
    restored.start();
    await until(() => lastWaits(restored), 2000);
    // No task named: the crew passes the feedback to its unfinished tasks, which live in the batches.
    restored.send({ type: 'human.feedback', feedback: '' });
    const output = await toPromise(restored);

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(expectedRaws(N));
    expect(second.llm.calls).toHaveLength(N - 120);
  });

  it('fails with the error of a task in a batch, and stops every actor', async () => {
    const { crew, llm } = bigCrew(N, [...answers(0, 120), new Error('model down')], { retries: 0 });
    const actor = crew.createActor();
    actor.subscribe({ error: () => {} });
    actor.start();
    const error = await toPromise(actor).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as Error).message).toContain('model down');
    expect(llm.calls).toHaveLength(121);
    expect(actor.getSnapshot().status).toBe('error');
    expect(actor.system.get(`task:t${N - 1}`)).toBeUndefined();
  });

  it('resumes from its checkpoint after an abort', async () => {
    const store = new MemoryCheckpointStore();
    const { first, inFlight } = stallAt(130, { store });
    const controller = new AbortController();
    const actorRun = first.crew.kickoff({}, { runId: 'batched-resume', signal: controller.signal });
    await until(inFlight, 2000);
    controller.abort();
    await expect(actorRun).rejects.toBeInstanceOf(CrewAbortedError);

    const second = bigCrew(N, answers(130, N), { store });
    const output = await second.crew.resume('batched-resume');

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(expectedRaws(N));
    expect(second.llm.calls).toHaveLength(N - 130);
    expect(second.crew.tasks[0].output?.raw).toBe('answer 0');
  });
});
