// The checkpointer writes at most one checkpoint at a time and keeps only the newest waiting one: saves
// made while a write is in flight become one write, which holds all of them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Agent,
  Crew,
  CrewAbortedError,
  FileCheckpointStore,
  MemoryCheckpointStore,
  StatecrewError,
  Task,
  type Checkpoint,
  type CheckpointStore,
  type CrewEvent,
  type HumanInputHandler,
  type TaskOptions,
} from '../../src/index.js';
import { checkpointOutcomes } from '../../src/runtime/durable.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';
import { deferred, flush, until } from '../helpers/crew-fixtures.js';
import { withoutTerminal } from '../helpers/human-fixtures.js';

let dir: string;
let restoreTerminal: () => void;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'statecrew-coalesce-'));
  restoreTerminal = withoutTerminal();
});
afterEach(async () => {
  restoreTerminal();
  await rm(dir, { recursive: true, force: true });
});

interface Write {
  reason: Checkpoint['reason'];
  /** Tasks done in the written snapshot, in crew order. */
  done: string[];
  release(): void;
  /** Settles once the write has reached the store. */
  written: Promise<void>;
}

const doneTasks = (checkpoint: Checkpoint) =>
  Object.entries(checkpointOutcomes(checkpoint))
    .filter(([, outcome]) => outcome.status === 'done')
    .map(([id]) => id);

/** A FileCheckpointStore whose every write waits until the test releases it; `writes` in start order. */
function heldStore(inner: CheckpointStore = new FileCheckpointStore(dir)) {
  const writes: Write[] = [];
  const store: CheckpointStore = {
    save(runId, checkpoint) {
      const gate = deferred<void>();
      const written = gate.promise.then(() => inner.save(runId, checkpoint));
      const release = () => gate.resolve();
      writes.push({ reason: checkpoint.reason, done: doneTasks(checkpoint), release, written });
      return written;
    },
    load: (runId) => inner.load(runId),
    list: () => inner.list(),
    delete: (runId) => inner.delete(runId),
  };
  return { store, writes, inner };
}

/** A store whose writes never finish (each one is recorded). */
function hungStore() {
  const saves: Checkpoint[] = [];
  const store: CheckpointStore = {
    save: (_runId, checkpoint) => (saves.push(checkpoint), new Promise<void>(() => {})),
    load: async () => undefined,
    list: async () => [],
    delete: async () => {},
  };
  return { store, saves };
}

/** Aborts the run: it rejects with CrewAbortedError once 5 s have passed (fake timers), not before. */
async function abortAnsweredAfter5s(run: Promise<unknown>, controller: AbortController): Promise<void> {
  let settled = false;
  void run.catch(() => (settled = true));
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  try {
    controller.abort();
    await flush();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(run).rejects.toBeInstanceOf(CrewAbortedError);
  } finally {
    vi.useRealTimers();
  }
}

type TaskSpec = Partial<TaskOptions> & { id: string };

/** A sequential crew of one agent whose replies are scripted, one task per spec (the id is the description). */
function crewOf(
  specs: TaskSpec[],
  replies: ScriptedReply[],
  store: CheckpointStore,
  humanInput?: HumanInputHandler,
) {
  const llm = new ScriptedLLM(replies);
  const agent = new Agent({ id: 'worker', role: 'Worker', goal: 'g', backstory: 'b', llm });
  const tasks = specs.map((spec) => new Task({ description: spec.id, expectedOutput: 'x', agent, ...spec }));
  const crew = new Crew({ agents: [agent], tasks, checkpoint: store, ...(humanInput ? { humanInput } : {}) });
  return { crew, llm };
}

const never = () => new Promise<string>(() => {});

describe('coalesced checkpoint saves', () => {
  it('makes exactly one more write for the completions made while a write is in flight, holding all of them', async () => {
    const { store, writes, inner } = heldStore();
    const last = deferred<string>();
    const ids = ['t1', 't2', 't3', 't4', 't5'];
    const { crew, llm } = crewOf(
      ids.map((id) => ({ id })),
      ['1', '2', '3', '4', () => last.promise],
      store,
    );
    let settled = false;
    const run = crew.kickoff({}, { runId: 'burst' }).finally(() => (settled = true));

    // t1's checkpoint is being written while t2, t3 and t4 complete and t5 runs (its store read first).
    await until(() => llm.calls.length === 5);
    await until(() => writes.length === 1);
    await flush();
    expect(writes.map((w) => w.done)).toEqual([['t1']]);

    writes[0].release();
    await writes[0].written;
    await until(() => writes.length === 2);
    expect(writes[1]).toMatchObject({ reason: 'task.completed', done: ['t1', 't2', 't3', 't4'] });
    // The file holds the last completed write until the next one lands.
    expect(doneTasks((await inner.load('burst'))!)).toEqual(['t1']);
    writes[1].release();
    await writes[1].written;
    await flush();
    expect(writes).toHaveLength(2);
    expect(doneTasks((await inner.load('burst'))!)).toEqual(['t1', 't2', 't3', 't4']);

    // The run ends; kickoff settles only once the final checkpoint is written.
    last.resolve('5');
    await until(() => writes.length === 3);
    await flush();
    expect(settled).toBe(false);
    expect(writes[2]).toMatchObject({ reason: 'crew.completed', done: ids });
    writes[2].release();
    await writes[2].written;
    expect((await run).raw).toBe('5');
    const final = (await inner.load('burst'))!;
    expect(final.reason).toBe('crew.completed');
    expect(doneTasks(final)).toEqual(ids);
  });

  it('still writes the completions made while a write was in flight when a later task fails', async () => {
    const { store, writes, inner } = heldStore();
    const failing = deferred<string>();
    const { crew, llm } = crewOf(
      ['t1', 't2', 't3'].map((id) => ({ id })),
      ['1', '2', () => failing.promise],
      store,
    );
    const run = crew.kickoff({}, { runId: 'fails' }).catch((error: unknown) => error);

    // t1's checkpoint is being written while t2 completes; then t3's model fails.
    await until(() => llm.calls.length === 3);
    failing.reject(new Error('model down'));
    // The first write of a run id its caller chose looks in the store first (file I/O: many turns).
    await until(() => writes.length === 1);
    await flush(20);
    expect(writes).toHaveLength(1);
    writes[0].release();
    await writes[0].written;
    await until(() => writes.length === 2);
    writes[1].release();
    expect(await run).toBeInstanceOf(Error);
    expect(writes.map((w) => w.done)).toEqual([['t1'], ['t1', 't2']]);
    expect(doneTasks((await inner.load('fails'))!)).toEqual(['t1', 't2']);
  });

  it('labels a save human.input.requested only while someone waits (a handler that answered at once)', async () => {
    const store = new MemoryCheckpointStore();
    const saved: Array<{ reason: string; done: string[] }> = [];
    const watched: CheckpointStore = {
      save: async (runId, checkpoint) => {
        saved.push({ reason: checkpoint.reason, done: doneTasks(checkpoint) });
        await store.save(runId, checkpoint);
      },
      load: (runId) => store.load(runId),
      list: () => store.list(),
      delete: (runId) => store.delete(runId),
    };
    const agent = new Agent({
      id: 'worker',
      role: 'Worker',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM(['facts', 'draft']),
    });
    const tasks = [
      new Task({ id: 'gather', description: 'gather', expectedOutput: 'x', agent }),
      new Task({ id: 'review', description: 'review', expectedOutput: 'x', agent, humanInput: true }),
    ];
    const afterKickoffStarted = deferred<void>();
    const crew = new Crew({
      agents: [agent],
      tasks,
      checkpoint: watched,
      humanInput: async () => '',
      afterKickoff: [() => (afterKickoffStarted.resolve(), new Promise<never>(() => {}))],
    });
    const controller = new AbortController();
    const run = crew.kickoff({}, { runId: 'quick', signal: controller.signal });
    await afterKickoffStarted.promise;
    await flush();
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CrewAbortedError);

    for (const save of saved.filter((s) => s.reason === 'human.input.requested')) {
      expect(save.done, 'a save labelled as waiting for a person').not.toContain('review');
    }
    expect((await store.load('quick'))?.reason).toBe('task.completed');
  });

  it('writes a wait for a person that came while a write was in flight, and resume asks again', async () => {
    const { store, writes } = heldStore();
    const first = crewOf(
      [{ id: 'gather' }, { id: 'review', humanInput: true }],
      ['facts', 'draft'],
      store,
      never,
    );
    const controller = new AbortController();
    const run = first.crew.kickoff({}, { runId: 'wait', signal: controller.signal });
    await until(() => first.llm.calls.length === 2);
    await until(() => writes.length === 1);
    await flush();
    expect(writes).toHaveLength(1);

    writes[0].release();
    await writes[0].written;
    await until(() => writes.length === 2);
    expect(writes[1]).toMatchObject({ reason: 'human.input.requested', done: ['gather'] });
    writes[1].release();
    await writes[1].written;
    await flush();
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CrewAbortedError);

    const asked: string[] = [];
    const second = crewOf(
      [{ id: 'gather' }, { id: 'review', humanInput: true }],
      [],
      new FileCheckpointStore(dir),
      ({ taskId }) => {
        asked.push(taskId);
        return '';
      },
    );
    const output = await second.crew.resume('wait');
    expect(asked).toEqual(['review']);
    expect(second.llm.calls).toHaveLength(0);
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'draft']);
  });

  it('replaces a waiting human-input save with a later completion whose snapshot still has the task waiting', async () => {
    const { store, writes } = heldStore();
    const count = deferred<string>();
    const specs: TaskSpec[] = [
      { id: 'gather' },
      { id: 'review', humanInput: true, asyncExecution: true },
      { id: 'count', asyncExecution: true },
      { id: 'report' },
    ];
    let asked = 0;
    const first = crewOf(specs, ['facts', 'draft', () => count.promise], store, () => {
      asked++;
      return never();
    });
    const controller = new AbortController();
    const run = first.crew.kickoff({}, { runId: 'replaced', signal: controller.signal });
    await until(() => asked === 1);
    await flush(); // the human-input save is taken and waits behind gather's write
    count.resolve('42'); // count completes meanwhile
    await until(() => writes.length === 1);
    await flush();
    expect(writes).toHaveLength(1);

    writes[0].release();
    await writes[0].written;
    await until(() => writes.length === 2);
    // One write for both: the newer snapshot, and the reason of the save that took it.
    expect(writes[1]).toMatchObject({ reason: 'task.completed', done: ['gather', 'count'] });
    writes[1].release();
    await writes[1].written;
    await flush();
    expect(writes).toHaveLength(2);
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CrewAbortedError);

    const reviewed: string[] = [];
    const second = crewOf(specs, ['the report'], new FileCheckpointStore(dir), ({ taskId }) => {
      reviewed.push(taskId);
      return '';
    });
    const output = await second.crew.resume('replaced');
    // The task that waited asks again (its draft kept), no finished task runs again, the rest runs.
    expect(reviewed).toEqual(['review']);
    expect(second.llm.calls).toHaveLength(1);
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'draft', '42', 'the report']);
  });
});

describe('a store that cannot write', () => {
  it('makes the run fail with its error once the run has ended', async () => {
    await writeFile(join(dir, 'not-a-dir'), 'x');
    const runs = join(dir, 'not-a-dir', 'runs');
    const { crew, llm } = crewOf([{ id: 'a' }, { id: 'b' }], ['1', '2'], new FileCheckpointStore(runs));
    const error = await crew.kickoff({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatecrewError);
    expect(error).toMatchObject({ code: 'checkpoint_io', message: expect.stringContaining(runs) });
    expect(llm.calls).toHaveLength(2);
    // Given a run id, the kickoff first makes sure no run has it: a store it cannot read fails it at once.
    const early = await crew.kickoff({}, { runId: 'unwritable' }).catch((e: unknown) => e);
    expect(early).toMatchObject({ code: 'checkpoint_io' });
    expect(llm.calls).toHaveLength(2);
  });

  it('answers an abort within 5 s when the store hangs (a write that never ends cannot hold it)', async () => {
    const { store: hung, saves } = hungStore();
    const { crew } = crewOf([{ id: 'a' }, { id: 'b' }], ['1', never], hung);
    const controller = new AbortController();
    const run = crew.kickoff({}, { signal: controller.signal });
    await until(() => saves.length === 1);
    await abortAnsweredAfter5s(run, controller);
  });

  it('answers within 5 s an abort that comes after the last task, while the last checkpoint hangs', async () => {
    const { store: hung } = hungStore();
    const { crew } = crewOf([{ id: 'a' }, { id: 'b' }], ['1', '2'], hung);
    const controller = new AbortController();
    const events: CrewEvent[] = [];
    const run = crew.kickoff({}, { signal: controller.signal, onEvent: (e) => events.push(e) });
    await until(() => events.filter((e) => e.type === 'task.completed').length === 2);
    await abortAnsweredAfter5s(run, controller);
    expect(events.at(-1)).toMatchObject({ type: 'crew.failed' });
  });

  it("tells a stopped actor's listener within 5 s though a checkpoint write hangs", async () => {
    const { store: hung } = hungStore();
    const { crew } = crewOf([{ id: 'a' }, { id: 'b' }], ['1', never], hung);
    const events: CrewEvent[] = [];
    const actor = crew.createActor({}, { onEvent: (e) => events.push(e) }).start();
    await until(() => events.some((e) => e.type === 'task.completed'));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      actor.stop();
      await flush();
      await vi.advanceTimersByTimeAsync(5_000);
      await flush();
    } finally {
      vi.useRealTimers();
    }
    expect(events.slice(-2).map((e) => e.type)).toEqual(['task.failed', 'crew.failed']);
  });

  it('fails the run with the first write error, and still writes the later checkpoints', async () => {
    const inner = new FileCheckpointStore(dir);
    const refused = new Error('disk full');
    let saves = 0;
    const store: CheckpointStore = {
      save: async (runId, checkpoint) => {
        if (saves++ === 0) throw refused;
        await inner.save(runId, checkpoint);
      },
      load: (runId) => inner.load(runId),
      list: () => inner.list(),
      delete: (runId) => inner.delete(runId),
    };
    const { crew } = crewOf([{ id: 'a' }, { id: 'b' }, { id: 'c' }], ['1', '2', '3'], store);
    // A custom store's error comes with the file store's code, itself as the cause.
    await expect(crew.kickoff({}, { runId: 'refused' })).rejects.toMatchObject({
      code: 'checkpoint_io',
      message: "Could not save the checkpoint of run 'refused': disk full",
      cause: refused,
    });
    const final = (await inner.load('refused'))!;
    expect(final.reason).toBe('crew.completed');
    expect(doneTasks(final)).toEqual(['a', 'b', 'c']);
  });
});
