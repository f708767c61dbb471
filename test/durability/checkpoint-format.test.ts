import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toPromise, type AnyStateNode, type Snapshot } from 'xstate';
import { recordedOutcomes, type OutcomeChunks } from '../../machines/crew-outcomes.js';
import {
  Agent,
  CHECKPOINT_FORMAT_VERSION,
  Crew,
  CrewAbortedError,
  MemoryCheckpointStore,
  StatecrewError,
  Task,
  type Checkpoint,
} from '../../src/index.js';
import { upgradeCheckpoint, withNamedInvokes } from '../../src/runtime/checkpoint-upgrade.js';
import {
  agentJobMachine,
  hierarchicalCrewMachine,
  sequentialCrewMachine,
  taskMachine,
} from '../../machines/index.js';
import { withFinishedOutcomes } from '../../src/runtime/finished-outcomes.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';
import { deferred, until } from '../helpers/crew-fixtures.js';

function threeTaskCrew(replies: ScriptedReply[], store: MemoryCheckpointStore) {
  const llm = new ScriptedLLM(replies);
  const agent = new Agent({ id: 'analyst', role: 'Analyst', goal: 'g', backstory: 'b', llm });
  const tasks = ['gather', 'analyse', 'report'].map(
    (id) => new Task({ id, description: `Do ${id}`, expectedOutput: id, agent }),
  );
  return { llm, crew: new Crew({ agents: [agent], tasks, checkpoint: store }) };
}

type CrewSnapshot = { context: { outcomes: unknown } };

/** A run stopped while its second task runs, its checkpoint rewritten as `rewrite` says. */
async function abortedRun(rewrite: (checkpoint: Checkpoint) => Checkpoint) {
  const store = new MemoryCheckpointStore();
  const stalled = deferred<string>();
  const { crew, llm } = threeTaskCrew(['facts', () => stalled.promise], store);
  const controller = new AbortController();
  const run = crew.kickoff({}, { runId: 'old', signal: controller.signal });
  await until(() => llm.calls.length === 2);
  controller.abort();
  await expect(run).rejects.toBeInstanceOf(CrewAbortedError);
  const checkpoint = (await store.load('old'))!;
  expect(checkpoint.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
  await store.save('old', rewrite(checkpoint));
  return store;
}

/** The same checkpoint as format 1 wrote it: the outcomes as one record by task id. */
function asFormat1(checkpoint: Checkpoint): Checkpoint {
  const snapshot = checkpoint.snapshot as CrewSnapshot;
  const outcomes = recordedOutcomes({ outcomes: snapshot.context.outcomes as OutcomeChunks });
  return {
    ...checkpoint,
    formatVersion: 1,
    snapshot: { ...snapshot, context: { ...snapshot.context, outcomes } },
  };
}

type TaskActorSnapshot = { status: string; output?: unknown; context: { outcome?: unknown } };

function taskActorIn(checkpoint: Checkpoint, taskId: string): TaskActorSnapshot {
  const crew = checkpoint.snapshot as { children: Record<string, { snapshot: TaskActorSnapshot }> };
  return crew.children[`task:${taskId}`].snapshot;
}

describe("a checkpoint keeps a finished task's outcome once", () => {
  it("in the crew's context, not in the task's actor", async () => {
    const store = await abortedRun((checkpoint) => checkpoint);
    const saved = (await store.load('old'))!;

    expect(JSON.stringify(saved).match(/"raw":"facts"/g)).toHaveLength(1);
    const outcomes = (saved.snapshot as CrewSnapshot).context.outcomes as OutcomeChunks;
    expect(recordedOutcomes({ outcomes }).gather).toMatchObject({ output: { raw: 'facts' } });
    const gather = taskActorIn(saved, 'gather');
    expect(gather.status).toBe('done');
    expect(gather).not.toHaveProperty('output');
    expect(gather.context).not.toHaveProperty('outcome');
  });

  it("gives a resumed run's finished task actors their outcomes back", async () => {
    const store = await abortedRun((checkpoint) => checkpoint);
    const { crew } = threeTaskCrew(['analysis', 'report'], store);

    const actor = await crew.resumeActor('old');
    // A finished task's actor is no longer in the system: its parent still holds it.
    const gather = actor.getSnapshot().children['task:gather']!.getSnapshot() as TaskActorSnapshot;

    expect(gather.output).toMatchObject({ status: 'done', output: { raw: 'facts' } });
    expect(gather.context.outcome).toEqual(gather.output);
    actor.start();
    const output = await toPromise(actor);
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report']);
  });

  it('resumes a format-3 checkpoint, which kept it in the task actor too', async () => {
    const store = await abortedRun((checkpoint) => ({
      ...checkpoint,
      formatVersion: 3,
      snapshot: withFinishedOutcomes(checkpoint.snapshot as Snapshot<unknown>),
    }));
    const saved = (await store.load('old'))!;
    expect(taskActorIn(saved, 'gather').output).toMatchObject({ output: { raw: 'facts' } });
    const { crew } = threeTaskCrew(['analysis', 'report'], store);

    const output = await crew.resume('old');

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report']);
    const latest = (await store.load('old'))!;
    expect(latest.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(taskActorIn(latest, 'gather')).not.toHaveProperty('output');
  });
});

type Rewrite = (checkpoint: Checkpoint) => Checkpoint;
type Crew3 = { status: string; context: Record<string, unknown>; children: Record<string, unknown> };
const inSnapshot =
  (change: (snapshot: Crew3) => unknown): Rewrite =>
  (checkpoint) => ({ ...checkpoint, snapshot: change(structuredClone(checkpoint.snapshot) as Crew3) });

describe('a checkpoint damaged by hand (valid JSON, not a crew snapshot)', () => {
  const damaged: Array<[string, Rewrite, RegExp]> = [
    ['without task actors', inSnapshot((s) => ({ ...s, children: {} })), /task 'analyse' has neither/],
    ['without its context', inSnapshot(({ context: _c, ...s }) => s), /no context/],
    [
      'with outcomes null',
      inSnapshot((s) => ({ ...s, context: { ...s.context, outcomes: null } })),
      /outcomes/,
    ],
    ['past its last task', inSnapshot((s) => ({ ...s, context: { ...s.context, index: 99 } })), /position/],
    ['with an error status', inSnapshot((s) => ({ ...s, status: 'error' })), /status is "error"/],
    ['of another run', inSnapshot((s) => ({ ...s, context: { ...s.context, runId: 'x' } })), /of run "x"/],
    ['with an empty snapshot', (c) => ({ ...c, snapshot: {} }), /status/],
    ['without inputs', ({ inputs: _i, ...c }) => c as Checkpoint, /inputs/],
    ['without taskIds', ({ taskIds: _t, ...c }) => c as Checkpoint, /taskIds/],
  ];

  it.each(damaged)(
    'is refused with corrupt_checkpoint when %s, and left as it was',
    async (_label, rewrite, problem) => {
      const store = await abortedRun(rewrite);
      const before = JSON.stringify(await store.load('old'));
      const { crew, llm } = threeTaskCrew(['analysis', 'report'], store);

      const error = await crew.resume('old').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(StatecrewError);
      expect(error).toMatchObject({ code: 'corrupt_checkpoint', message: expect.stringMatching(problem) });
      await expect(crew.replay('report', { runId: 'old' })).rejects.toMatchObject({
        code: 'corrupt_checkpoint',
      });
      expect(llm.calls).toHaveLength(0);
      expect(JSON.stringify(await store.load('old'))).toBe(before);
    },
  );
});

type ActorEntry = { src: string; snapshot: Record<string, unknown> & { context: Record<string, unknown> } };
/** Changes the persisted actor `id` (`task:analyse`, …) of the crew's snapshot. */
const inActor = (id: string, change: (actor: ActorEntry) => unknown): Rewrite =>
  inSnapshot((s) => ({ ...s, children: { ...s.children, [id]: change(s.children[id] as ActorEntry) } }));

describe('a checkpoint whose actors are damaged (each made resume hang, crash or throw a TypeError)', () => {
  const damaged: Array<[string, Rewrite, RegExp]> = [
    [
      'a running task without the model call it invokes',
      inActor('task:analyse', (a) => ({ ...a, snapshot: { ...a.snapshot, children: {} } })),
      /task:analyse is in task\.running\.working\.thinking without the actor it invokes there/,
    ],
    [
      'an actor snapshot that is a number',
      inActor('task:report', (a) => ({ ...a, snapshot: 7 })),
      /task 'report' has neither an outcome nor an actor/,
    ],
    [
      'a task in a state its chart does not have',
      inActor('task:analyse', (a) => ({ ...a, snapshot: { ...a.snapshot, value: { running: {} } } })),
      /not a state of its chart/,
    ],
    [
      'a task whose usage is gone',
      inActor('task:report', (a) => ({
        ...a,
        snapshot: { ...a.snapshot, context: { ...a.snapshot.context, usage: null } },
      })),
      /task:report's usage or agent loop is not one/,
    ],
    [
      'a task of another run',
      inActor('task:report', (a) => ({
        ...a,
        snapshot: { ...a.snapshot, context: { ...a.snapshot.context, runId: 'x' } },
      })),
      /task:report has no context of this run/,
    ],
    [
      'a running task without its agent loop',
      inActor('task:analyse', (a) => {
        const { loop: _gone, ...context } = a.snapshot.context;
        return { ...a, snapshot: { ...a.snapshot, context } };
      }),
      /task:analyse is in .* without its agent loop/,
    ],
    [
      'an actor of logic its chart does not have',
      inActor('task:report', (a) => ({ ...a, src: 'nope' })),
      /not an actor of its chart/,
    ],
  ];

  it.each(damaged)('is refused with corrupt_checkpoint: %s', async (_label, rewrite, problem) => {
    const store = await abortedRun(rewrite);
    const before = JSON.stringify(await store.load('old'));
    const { crew, llm } = threeTaskCrew(['analysis', 'report'], store);

    await expect(crew.resume('old')).rejects.toMatchObject({
      code: 'corrupt_checkpoint',
      message: expect.stringMatching(problem) as string,
    });
    await expect(crew.resumeActor('old')).rejects.toMatchObject({ code: 'corrupt_checkpoint' });
    expect(llm.calls).toHaveLength(0);
    expect(JSON.stringify(await store.load('old'))).toBe(before);
    // The refused run holds its id no longer: the same id runs again once its checkpoint is gone.
    await store.delete('old');
    await expect(
      threeTaskCrew(['a', 'b', 'c'], store).crew.kickoff({}, { runId: 'old' }),
    ).resolves.toMatchObject({ raw: 'c' });
  });

  it("refuses a finished task's damaged outcome, for a replay too", async () => {
    const store = await abortedRun(
      inSnapshot((s) => {
        const outcomes = s.context.outcomes as Array<Array<{ usage: unknown } | null>>;
        outcomes[0][0]!.usage = null;
        return s;
      }),
    );
    const { crew } = threeTaskCrew(['analysis', 'report'], store);
    await expect(crew.resume('old')).rejects.toMatchObject({
      message: expect.stringMatching(/outcome of task 'gather' is not one/) as string,
    });
    await expect(crew.replay('report', { runId: 'old' })).rejects.toMatchObject({
      code: 'corrupt_checkpoint',
    });
  });

  it('refuses, as damaged, a snapshot given to createActor that is not one of this crew', () => {
    const { crew } = threeTaskCrew(['a', 'b', 'c'], new MemoryCheckpointStore());
    const actor = crew.createActor({}, { runId: 'raw' }).start();
    const persisted = actor.getPersistedSnapshot() as unknown as Crew3;
    actor.stop();
    const damaged = {
      ...persisted,
      children: { ...persisted.children, 'task:gather': { src: 'task', snapshot: 7 } },
    };
    expect(() =>
      crew.createActor({}, { runId: 'raw', snapshot: damaged as unknown as Snapshot<unknown> }),
    ).toThrow(expect.objectContaining({ code: 'corrupt_checkpoint' }));
    // Refused before the run was registered: its id is free.
    expect(() => crew.createActor({}, { runId: 'raw' })).not.toThrow();
  });
});

describe('createActor with a persisted snapshot', () => {
  it("goes on under the snapshot's own run id, and refuses another one clearly", async () => {
    const { crew } = threeTaskCrew(['a', 'b', 'c'], new MemoryCheckpointStore());
    const first = crew.createActor({}, { runId: 'original' });
    first.start();
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as Snapshot<unknown>;
    first.stop();

    expect(() => crew.createActor({}, { runId: 'other', snapshot: persisted })).toThrow(
      expect.objectContaining({
        code: 'invalid_option',
        message: expect.stringContaining("the snapshot is of run 'original', not of run 'other'") as string,
      }),
    );
    const restored = crew.createActor({}, { snapshot: persisted }).start();
    const output = await toPromise(restored);
    expect(output.runId).toBe('original');
  });
});

describe('the format-5 renaming of invoked actors', () => {
  it('gives every invocation of every chart its name, also under a root id with a dot (crew.sequential)', () => {
    const charts = [sequentialCrewMachine, hierarchicalCrewMachine, taskMachine, agentJobMachine];
    let renamed = 0;
    for (const chart of charts) {
      const visit = (node: AnyStateNode): void => {
        node.invoke.forEach((invoke, index) => {
          const snapshot = { children: { [`${index}.${node.id}`]: { src: 'x', snapshot: {} } } };
          expect(Object.keys(withNamedInvokes(chart, snapshot).children), node.id).toEqual([invoke.id]);
          renamed++;
        });
        Object.values(node.states).forEach(visit);
      };
      visit(chart.root);
    }
    expect(renamed).toBeGreaterThanOrEqual(13);
    // A snapshot of this build (named keys, task and agent ids) comes back unchanged.
    const current = {
      children: { 'task:t1': { src: 'task', snapshot: {} }, callModel: { src: 'x', snapshot: {} } },
    };
    expect(withNamedInvokes(taskMachine, current)).toEqual(current);
  });
});

describe("an older build's persisted snapshot given to createActor", () => {
  it('has its invoked actors renamed from the ids XState made up, and runs on', async () => {
    const stalled = deferred<string>();
    const { crew, llm } = threeTaskCrew(
      ['facts', () => stalled.promise, 'report'],
      new MemoryCheckpointStore(),
    );
    const first = crew.createActor({}, { runId: 'older' }).start();
    await until(() => llm.calls.length === 2);
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as Crew3;
    first.stop();
    const task = persisted.children['task:analyse'] as ActorEntry;
    const { callModel, ...others } = task.snapshot.children as Record<string, unknown>;
    task.snapshot.children = { ...others, '0.task.running.working.thinking': callModel };

    const again = threeTaskCrew(['analysis', 'report'], new MemoryCheckpointStore());
    const output = await toPromise(
      again.crew.createActor({}, { snapshot: persisted as unknown as Snapshot<unknown> }).start(),
    );
    expect(output.tasksOutput.map((o) => o.raw)).toEqual(['facts', 'analysis', 'report']);
  });
});

describe('checkpoints of an older format', () => {
  it('resumes a format-1 checkpoint (outcomes kept as one record)', async () => {
    const store = await abortedRun(asFormat1);
    const saved = (await store.load('old'))!.snapshot as CrewSnapshot;
    expect(Object.keys(saved.context.outcomes as object)).toEqual(['gather']);

    const { crew, llm } = threeTaskCrew(['analysis', 'report'], store);
    const output = await crew.resume('old');

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report']);
    expect(llm.calls).toHaveLength(2);
    expect(crew.tasks[0].output?.raw).toBe('facts');
  });

  it('replays from a format-1 checkpoint', async () => {
    const store = await abortedRun(asFormat1);
    const { crew } = threeTaskCrew(['analysis', 'report'], store);
    const output = await crew.replay('analyse', { runId: 'old' });
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report']);
  });

  it('refuses a format it cannot read with checkpoint_mismatch, naming the format', async () => {
    const store = await abortedRun((checkpoint) => ({ ...checkpoint, formatVersion: 0 }));
    const { crew, llm } = threeTaskCrew([], store);
    const error = await crew.resume('old').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StatecrewError);
    expect(error).toMatchObject({
      code: 'checkpoint_mismatch',
      message: expect.stringContaining('format 0'),
    });
    expect(llm.calls).toHaveLength(0);
  });

  it('refuses a format-1 checkpoint whose outcomes are not a record', async () => {
    const store = await abortedRun((checkpoint) => ({ ...checkpoint, formatVersion: 1 }));
    const { crew } = threeTaskCrew([], store);
    await expect(crew.resume('old')).rejects.toMatchObject({
      code: 'checkpoint_mismatch',
      message: expect.stringContaining('format 1'),
    });
  });

  // Written by the previous build (format 2), each stopped while a model call was in flight: a task's
  // agent loop ran as its `job` child then; a format-3 task runs it in its own states.
  const fixture = (name: string) =>
    JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Checkpoint;

  /** The sequential crew the fixture runs were made with (tasks 'Do <id> on {topic}'), its store holding `saved`. */
  async function sequentialCrewFrom(saved: Checkpoint) {
    const store = new MemoryCheckpointStore();
    await store.save(saved.runId, saved);
    const llm = new ScriptedLLM(['analysis', 'report']);
    const agent = new Agent({ id: 'analyst', role: 'Analyst', goal: 'g', backstory: 'b', llm });
    const tasks = ['gather', 'analyse', 'report'].map(
      (id) => new Task({ id, description: `Do ${id} on {topic}`, expectedOutput: id, agent }),
    );
    return { store, llm, crew: new Crew({ agents: [agent], tasks, checkpoint: store }) };
  }

  it("refuses to resume a format-1 checkpoint taken while a task's loop ran in the agent's actor, and replays from it", async () => {
    // Written by the first build: the running task's loop was a job child of the agent actor.
    const saved = fixture('format1-sequential');
    expect(saved.formatVersion).toBe(1);
    const { llm, crew } = await sequentialCrewFrom(saved);

    await expect(crew.resume(saved.runId)).rejects.toMatchObject({
      code: 'checkpoint_mismatch',
      message: expect.stringContaining("task 'analyse'"),
    });
    await expect(crew.resumeActor(saved.runId)).rejects.toMatchObject({ code: 'checkpoint_mismatch' });
    expect(llm.calls).toHaveLength(0);

    const output = await crew.replay('analyse', { runId: saved.runId });
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report']);
  });

  it("resumes a format-2 checkpoint whose task's job waited for its model, calling it again", async () => {
    const saved = fixture('format2-sequential');
    expect(saved.formatVersion).toBe(2);
    const { store, llm, crew } = await sequentialCrewFrom(saved);

    const output = await crew.resume(saved.runId);

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts about {topic}', 'analysis', 'report']);
    expect(llm.calls).toHaveLength(2);
    // The call in flight is made again with the conversation the job had begun.
    expect(llm.calls[0].messages.at(-1)?.content).toContain('Do analyse on bees');
    expect(output.tasksOutput[1].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect((await store.load(saved.runId))?.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
  });

  it("resumes a format-2 checkpoint taken while the manager's job waited for a coworker", async () => {
    const saved = fixture('format2-hierarchical');
    const store = new MemoryCheckpointStore();
    await store.save(saved.runId, saved);
    const researcherLlm = new ScriptedLLM(['bees dance']);
    const managerLlm = new ScriptedLLM([
      (request) => `final, from: ${request.messages.at(-1)?.content ?? ''}`,
    ]);
    const researcher = new Agent({
      id: 'researcher',
      role: 'Researcher',
      goal: 'g',
      backstory: 'b',
      llm: researcherLlm,
    });
    const tasks = [
      new Task({ id: 'intro', description: 'Introduce {topic}', expectedOutput: 'notes' }),
      new Task({ id: 'study', description: 'Study {topic}', expectedOutput: 'a study' }),
    ];
    const crew = new Crew({
      agents: [researcher],
      tasks,
      process: 'hierarchical',
      managerLlm,
      checkpoint: store,
    });

    const output = await crew.resume(saved.runId);

    // The coworker's job made its model call again; its answer reached the task's loop as the tool result.
    expect(researcherLlm.calls).toHaveLength(1);
    expect(researcherLlm.calls[0].messages.at(-1)?.content).toContain('Find facts');
    expect(managerLlm.calls).toHaveLength(1);
    expect(output.raw).toBe('final, from: bees dance');
  });

  it('resumes a format-4 checkpoint, whose invoked actors had the ids XState made up', async () => {
    const store = await abortedRun((checkpoint) => {
      const snapshot = structuredClone(checkpoint.snapshot) as Crew3;
      const task = snapshot.children['task:analyse'] as ActorEntry;
      const { callModel, ...others } = task.snapshot.children as Record<string, unknown>;
      expect(callModel).toBeDefined();
      task.snapshot.children = { ...others, '0.task.running.working.thinking': callModel };
      return { ...checkpoint, formatVersion: 4, snapshot };
    });
    const { crew, llm } = threeTaskCrew(['analysis', 'report'], store);
    const output = await crew.resume('old');
    expect(output.tasksOutput.map((o) => o.raw)).toEqual(['facts', 'analysis', 'report']);
    expect(llm.calls).toHaveLength(2);
    expect((await store.load('old'))?.formatVersion).toBe(5);
  });

  it("moves a format-2 job in guardrail-retry into the task's own states, renaming its children", () => {
    const request = {
      requestId: 't#1',
      kind: 'task',
      replyTo: 'task:t',
      conversation: [],
      chain: ['agent:a'],
    };
    const job = {
      src: 'agentJob',
      snapshot: {
        value: { acting: 'tools' },
        status: 'active',
        context: { request, iterations: 1 },
        children: { '0.job.acting.tools': { src: 'runTools', snapshot: { status: 'active', input: {} } } },
      },
    };
    const task = {
      src: 'task',
      systemId: 'task:t',
      snapshot: { value: 'guardrail-retry', status: 'active', context: { attempt: 1 }, children: { job } },
    };
    const old = {
      formatVersion: 2,
      runId: 'r',
      snapshot: { value: { running: 'next' }, context: { tasks: [] }, children: { 'task:t': task } },
    } as unknown as Checkpoint;

    const upgraded = upgradeCheckpoint(old);

    const restored = (upgraded.snapshot as { children: Record<string, typeof task> }).children['task:t'];
    expect(upgraded.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(restored.snapshot.value).toEqual({ 'guardrail-retry': { acting: 'tools' } });
    expect(restored.snapshot.context).toEqual({ attempt: 1, loop: { request, iterations: 1 } });
    // Renamed twice: into the task's states (format 3), then by its name (format 5).
    expect(Object.keys(restored.snapshot.children)).toEqual(['runTools']);
    // The checkpoint as loaded is not changed.
    expect(task.snapshot.children.job).toBe(job);
  });
});
