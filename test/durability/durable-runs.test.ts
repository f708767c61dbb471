import { checkpointOutcomes } from '../../src/runtime/durable.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Agent,
  Crew,
  CrewAbortedError,
  MemoryCheckpointStore,
  StatecrewError,
  Task,
  type Checkpoint,
  type CheckpointStore,
  type CrewEvent,
} from '../../src/index.js';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import type { LLMRequest } from '../../src/llm/types.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';
import { toPromise } from 'xstate';
import { deferred } from '../helpers/crew-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'statecrew-durable-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function threeTaskCrew(replies: ScriptedReply[], store: CheckpointStore, extraTask = false) {
  const llm = new ScriptedLLM(replies);
  const agent = new Agent({
    id: 'analyst',
    role: 'Analyst',
    goal: 'Analyse {topic}',
    backstory: 'Sharp.',
    llm,
  });
  const tasks = [
    new Task({ id: 'gather', description: 'Gather facts on {topic}', expectedOutput: 'facts', agent }),
    new Task({ id: 'analyse', description: 'Analyse the facts', expectedOutput: 'analysis', agent }),
    new Task({ id: 'report', description: 'Report on {topic}', expectedOutput: 'report', agent }),
  ];
  if (extraTask) tasks.push(new Task({ id: 'extra', description: 'More', expectedOutput: 'more', agent }));
  return { llm, crew: new Crew({ agents: [agent], tasks, checkpoint: store }) };
}

/**
 * Runs the crew `build` makes (given its model's replies) under `runId` until its second model call,
 * which never answers, and aborts it there: the first task's checkpoint is in the store. Returns the
 * signal that call was given.
 */
async function abortedAtSecondCall(
  runId: string,
  build: (replies: ScriptedReply[]) => { crew: Crew },
): Promise<AbortSignal> {
  const seen: AbortSignal[] = [];
  const stalled = (request: LLMRequest) => {
    seen.push(request.signal!);
    return new Promise<string>(() => {});
  };
  const controller = new AbortController();
  const running = build(['facts', stalled]).crew.kickoff(
    { topic: 'tides' },
    { runId, signal: controller.signal },
  );
  await expect.poll(() => seen.length).toBe(1);
  controller.abort();
  await expect(running).rejects.toBeInstanceOf(CrewAbortedError);
  return seen[0];
}

/** Two tasks (gather, analyse) of an agent with `maxExecutionTime`, checkpointed into `store`. */
function timedCrew(replies: ScriptedReply[], store: CheckpointStore, maxExecutionTime: number) {
  const llm = new ScriptedLLM(replies);
  const agent = new Agent({ id: 'a', role: 'Analyst', goal: 'g', backstory: 'b', llm, maxExecutionTime });
  const tasks = [
    new Task({ id: 'gather', description: 'Gather', expectedOutput: 'facts', agent }),
    new Task({ id: 'analyse', description: 'Analyse', expectedOutput: 'analysis', agent }),
  ];
  return { llm, crew: new Crew({ agents: [agent], tasks, checkpoint: store }) };
}

/** A run of another crew (named 'theirs', one task with `description`) into `store`. */
async function otherCrewRun(store: CheckpointStore, description: string, inputs: Record<string, string>) {
  const llm = new ScriptedLLM(['x']);
  const agent = new Agent({ id: 'analyst', role: 'Analyst', goal: 'g', backstory: 'b', llm });
  const tasks = [new Task({ id: 'elsewhere', description, expectedOutput: 'x', agent })];
  await new Crew({ name: 'theirs', agents: [agent], tasks, checkpoint: store }).kickoff(inputs);
}

describe('checkpoints', () => {
  it('saves the crew snapshot after every task and when the run ends', async () => {
    const saves: Array<[string, string[]]> = [];
    const file = new FileCheckpointStore(dir);
    const store: CheckpointStore = {
      save: async (runId, checkpoint) => {
        saves.push([checkpoint.reason, Object.keys(checkpointOutcomes(checkpoint))]);
        await file.save(runId, checkpoint);
      },
      load: (runId) => file.load(runId),
      list: () => file.list(),
      delete: (runId) => file.delete(runId),
    };
    const { crew } = threeTaskCrew(['facts', 'analysis', 'report'], store);
    await crew.kickoff({ topic: 'tides' }, { runId: 'run-1' });
    // The last task's completion ends the run in the same step: the final checkpoint records it. The
    // second task's save may wait while the first is written and then be replaced by the final one
    // (test/durability/coalesced-saves.test.ts); every write holds all the completions before it.
    const all = ['gather', 'analyse', 'report'];
    expect(saves[0]).toEqual(['task.completed', ['gather']]);
    expect(saves.at(-1)).toEqual(['crew.completed', all]);
    expect(saves.slice(1, -1)).toEqual(saves.length === 3 ? [['task.completed', all.slice(0, 2)]] : []);
    const checkpoint = await file.load('run-1');
    expect(checkpoint).toMatchObject({
      runId: 'run-1',
      inputs: { topic: 'tides' },
      taskIds: ['gather', 'analyse', 'report'],
    });
    expect(Object.keys(checkpointOutcomes(checkpoint!))).toEqual(['gather', 'analyse', 'report']);
  });
});

describe('crew.replay', () => {
  it('re-runs from a task with the earlier outputs taken from the store', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff(
      { topic: 'tides' },
      { runId: 'first' },
    );

    const { crew, llm } = threeTaskCrew(['analysis 2', 'report 2'], store);
    const output = await crew.replay('analyse');

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis 2', 'report 2']);
    expect(llm.calls).toHaveLength(2);
    expect(llm.calls[0].messages[1].content).toContain('facts');
    expect(llm.calls[1].messages[1].content).toContain('Report on tides');
    expect(output.runId).not.toBe('first');
    // Its usage is its own model calls' (the reused output's calls were the first run's).
    expect(output.tokenUsage.successfulRequests).toBe(2);
    expect(crew.usageMetrics?.successfulRequests).toBe(2);
  });

  it('replays a given run with new inputs', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff(
      { topic: 'tides' },
      { runId: 'first' },
    );
    await threeTaskCrew(['f', 'a', 'r'], store).crew.kickoff({ topic: 'waves' }, { runId: 'second' });

    const { crew, llm } = threeTaskCrew(['report 3'], store);
    const output = await crew.replay('report', { runId: 'first', inputs: { topic: 'currents' } });

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report 3']);
    expect(llm.calls[0].messages[1].content).toContain('Report on currents');
  });

  it("replays this crew's newest run when the store's newest run belongs to another crew", async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff(
      { topic: 'tides' },
      { runId: 'ours' },
    );
    await threeTaskCrew(['f', 'a', 'r', 'e'], store, true).crew.kickoff({ topic: 'x' }, { runId: 'theirs' });

    const { crew } = threeTaskCrew(['report 2'], store);
    const output = await crew.replay('report');

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report 2']);
    // Earlier tasks hold the outputs they were replayed with, as after a resume.
    expect(crew.tasks.map((t) => t.output?.raw)).toEqual(['facts', 'analysis', 'report 2']);
  });

  it('replays from a task edited since the run: only the tasks before it must match', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff(
      { topic: 'tides' },
      { runId: 'first' },
    );
    // The last task's prompt was fixed (a new description, so a new id) and a task added after it.
    const base = threeTaskCrew(['better report', 'summary', 'again', 'summary'], store).crew;
    const agent = base.agents[0];
    const tasks = [
      ...base.tasks.slice(0, 2),
      new Task({ description: 'Report on {topic} in depth', expectedOutput: 'report', agent }),
      new Task({ id: 'sum', description: 'Sum it up', expectedOutput: 'summary', agent }),
    ];
    const crew = new Crew({ agents: [agent], tasks, checkpoint: store });

    const output = await crew.replay(tasks[2].id);
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'better report', 'summary']);
    expect((await crew.replay(tasks[2].id, { runId: 'first' })).raw).toBe('summary');
    // An edited earlier task still refuses the run: its output would not be the one asked for.
    const edited = new Crew({
      agents: [agent],
      tasks: [
        new Task({ description: 'Gather other facts', expectedOutput: 'facts', agent }),
        ...tasks.slice(1),
      ],
      checkpoint: store,
    });
    await expect(edited.replay('analyse', { runId: 'first' })).rejects.toMatchObject({
      code: 'checkpoint_mismatch',
      message: expect.stringContaining('before the replayed task'),
    });
  });

  it("never replays from another crew's run (and its inputs) when this crew has none", async () => {
    const store = new MemoryCheckpointStore();
    await otherCrewRun(store, 'About {who}', { who: 'bob' });
    const { crew, llm } = threeTaskCrew([], store);
    await expect(crew.replay('gather')).rejects.toMatchObject({ code: 'unknown_run' });
    expect(llm.calls).toHaveLength(0);
  });

  it('says so when the store holds no run of this crew', async () => {
    const store = new FileCheckpointStore(dir);
    await otherCrewRun(store, 'Other work', {});
    const { crew, llm } = threeTaskCrew([], store);
    await expect(crew.replay('report')).rejects.toMatchObject({
      code: 'unknown_run',
      message: expect.stringContaining('no earlier run of this crew'),
    });
    expect(llm.calls).toHaveLength(0);
  });

  it('names an unknown task', async () => {
    const store = new FileCheckpointStore(dir);
    const { crew } = threeTaskCrew([], store);
    const error = await crew.replay('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatecrewError);
    expect(error).toMatchObject({ code: 'unknown_task', message: expect.stringContaining("'nope'") });
    expect((error as Error).message).toContain('replay takes a task id: gather, analyse, report');
  });
});

describe('crew.resume', () => {
  it('finishes an aborted run from its last checkpoint without running finished tasks again', async () => {
    const store = new FileCheckpointStore(dir);
    const signal = await abortedAtSecondCall('r', (replies) => threeTaskCrew(replies, store));
    expect(signal.aborted).toBe(true);

    const second = threeTaskCrew(['analysis', 'report'], store);
    const output = await second.crew.resume('r');
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'analysis', 'report']);
    expect(second.llm.calls).toHaveLength(2);
    expect(second.crew.tasks[0].output?.raw).toBe('facts');
  });

  it('does not write the checkpoint it resumed from again before anything changed', async () => {
    const store = new MemoryCheckpointStore();
    await abortedAtSecondCall('r', (replies) => threeTaskCrew(replies, store));
    const saved: number[] = [];
    const counting: CheckpointStore = {
      save: (runId, checkpoint) => {
        saved.push(Object.keys(checkpointOutcomes(checkpoint)).length);
        return store.save(runId, checkpoint);
      },
      load: (runId) => store.load(runId),
      list: () => store.list(),
      delete: (runId) => store.delete(runId),
    };

    await threeTaskCrew(['analysis', 'report'], counting).crew.resume('r');

    expect(saved[0]).toBe(2);
  });

  it('gives the task that was at work its whole maxExecutionTime again, however long the process was down', async () => {
    const store = new FileCheckpointStore(dir);
    const crewWith = (replies: ScriptedReply[]) => timedCrew(replies, store, 60_000);
    await abortedAtSecondCall('down', crewWith);

    // Two minutes later (the clock only): twice the agent's maxExecutionTime.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 120_000);
      const second = crewWith(['analysis']);
      const output = await second.crew.resume('down');
      expect(output.raw).toBe('analysis');
      expect(second.llm.calls).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives the task that was at work the limits its agent has now (a raised maxExecutionTime applies)', async () => {
    const store = new FileCheckpointStore(dir);
    const crewWith = (replies: ScriptedReply[], limit: number) => timedCrew(replies, store, limit);
    await abortedAtSecondCall('raised', (replies) => crewWith(replies, 1_000));
    // The analysis takes 1.2 s: too long for the old limit, well within the new one.
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('analysis'), 1_200));
    const output = await crewWith([slow], 60_000).crew.resume('raised');
    expect(output.raw).toBe('analysis');
  });

  it('runs the work not done yet to the crew as it is now: a guardrail and a callback added since apply', async () => {
    const store = new FileCheckpointStore(dir);
    await abortedAtSecondCall('edited', (replies) => threeTaskCrew(replies, store));

    // The report task (not started when the run stopped) got a guardrail and a callback since.
    const second = threeTaskCrew(['analysis', 'short', 'a longer report'], store);
    const report = second.crew.tasks[2];
    const called: string[] = [];
    const edited = new Crew({
      agents: second.crew.agents,
      tasks: [
        ...second.crew.tasks.slice(0, 2),
        new Task({
          id: report.id,
          description: report.description,
          expectedOutput: report.expectedOutput,
          agent: report.agent,
          guardrail: (o) => (o.raw.length > 5 ? [true, o.raw] : [false, 'too short']),
          callback: (o) => void called.push(o.raw),
        }),
      ],
      checkpoint: store,
    });
    const output = await edited.resume('edited');
    expect(output.raw).toBe('a longer report');
    expect(second.llm.calls).toHaveLength(3);
    expect(called).toEqual(['a longer report']);
  });

  it("refuses a run id the store already holds, so a new run never overwrites another run's checkpoint", async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff(
      { topic: 'tides' },
      { runId: 'taken' },
    );
    const { crew, llm } = threeTaskCrew(['other'], store);
    await expect(crew.kickoff({ topic: 'waves' }, { runId: 'taken' })).rejects.toMatchObject({
      code: 'run_id_in_use',
      message: expect.stringContaining("already holds run 'taken'"),
    });
    expect(llm.calls).toHaveLength(0);
    expect((await store.load('taken'))?.inputs).toEqual({ topic: 'tides' });
  });

  it('refuses, at its first checkpoint, a run id another process took meanwhile, leaving that run as it was', async () => {
    const store = new FileCheckpointStore(dir);
    const firstCall = deferred<string>();
    const { crew } = threeTaskCrew([() => firstCall.promise, 'analysis', 'report'], store);
    const run = crew.kickoff({ topic: 'waves' }, { runId: 'shared' });
    // Another process's run takes the id while this one's first task runs (it passed the check at kickoff).
    await threeTaskCrew(['facts', 'analysis', 'report'], new FileCheckpointStore(dir)).crew.kickoff(
      { topic: 'tides' },
      { runId: 'other' },
    );
    await writeFile(join(dir, 'shared.json'), await readFile(join(dir, 'other.json')));
    const taken = await store.load('shared');
    firstCall.resolve('facts');

    await expect(run).rejects.toMatchObject({ code: 'run_id_in_use' });
    expect(await store.load('shared')).toEqual(taken);
  });

  /** A store holding run 'taken' whose reads go as `read` says (by count), writes counted. */
  async function takenStore(read: (count: number, load: () => Promise<Checkpoint | undefined>) => unknown) {
    const held = new MemoryCheckpointStore();
    await threeTaskCrew(['facts', 'analysis', 'report'], held).crew.kickoff(
      { topic: 'x' },
      { runId: 'taken' },
    );
    const taken = await held.load('taken');
    let loads = 0;
    const writes: string[] = [];
    const store: CheckpointStore = {
      load: async (runId) => (await read(++loads, () => held.load(runId))) as Checkpoint | undefined,
      save: async (runId, checkpoint) => {
        writes.push(checkpoint.reason);
        await held.save(runId, checkpoint);
      },
      list: () => held.list(),
      delete: (runId) => held.delete(runId),
    };
    return { store, writes, unchanged: async () => expect(await held.load('taken')).toEqual(taken) };
  }

  it('stops a run at once when its first checkpoint finds the id taken (another process took it)', async () => {
    // The kickoff's check finds nothing; the first checkpoint's look finds the other process's run.
    const { store, writes, unchanged } = await takenStore((n, load) => (n === 1 ? undefined : load()));
    const seen: AbortSignal[] = [];
    const stalled = (request: LLMRequest) => {
      seen.push(request.signal!);
      return new Promise<string>(() => {});
    };
    const { crew, llm } = threeTaskCrew(['facts', stalled, 'report'], store);

    await expect(crew.kickoff({ topic: 'y' }, { runId: 'taken' })).rejects.toMatchObject({
      code: 'run_id_in_use',
    });

    expect(llm.calls).toHaveLength(2);
    expect(seen[0].aborted).toBe(true);
    expect(writes).toEqual([]);
    await unchanged();
  });

  it('looks again at the next checkpoint when the look fails, and still never writes over the run', async () => {
    const flaky = async (n: number, load: () => Promise<Checkpoint | undefined>) => {
      if (n === 1) return undefined;
      if (n === 2) throw new Error('ECONNRESET');
      return load();
    };
    const { store, writes, unchanged } = await takenStore(flaky);
    const { crew } = threeTaskCrew(['facts', 'analysis', 'report'], store);

    await expect(crew.kickoff({ topic: 'y' }, { runId: 'taken' })).rejects.toBeInstanceOf(StatecrewError);

    expect(writes).toEqual([]);
    await unchanged();
  });

  it('never lets createActor overwrite a run the store holds: its first checkpoint refuses, and the store keeps the run', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff(
      { topic: 'tides' },
      { runId: 'taken' },
    );
    const { crew } = threeTaskCrew(['other facts', 'other analysis', 'other report'], store);
    const actor = crew.createActor({ topic: 'waves' }, { runId: 'taken' });
    actor.start();
    await toPromise(actor);

    await expect(crew.flushCheckpoints(actor)).rejects.toMatchObject({ code: 'run_id_in_use' });
    expect((await store.load('taken'))?.inputs).toEqual({ topic: 'tides' });
  });

  it('refuses a run id its checkpoints cannot be saved under before the run, not after it', async () => {
    const { crew, llm } = threeTaskCrew(['facts', 'analysis', 'report'], new FileCheckpointStore(dir));
    await expect(crew.kickoff({ topic: 'tides' }, { runId: 'bad/id' })).rejects.toMatchObject({
      code: 'invalid_run_id',
    });
    expect(() => crew.createActor({ topic: 'tides' }, { runId: '../up' })).toThrow(/Invalid run id/);
    expect(llm.calls).toHaveLength(0);
  });

  it('refuses an unknown run id', async () => {
    const { crew } = threeTaskCrew([], new FileCheckpointStore(dir));
    await expect(crew.resume('missing')).rejects.toMatchObject({
      code: 'unknown_run',
      message: expect.stringContaining("'missing'"),
    });
  });

  it('refuses a checkpoint whose tasks do not match the crew', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff({ topic: 'x' }, { runId: 'r' });
    const { crew, llm } = threeTaskCrew([], store, true);
    await expect(crew.resume('r')).rejects.toMatchObject({
      code: 'checkpoint_mismatch',
      message: expect.stringContaining('extra'),
    });
    expect(llm.calls).toHaveLength(0);
  });

  it('refuses a checkpoint whose agents changed since the run, naming them', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff({ topic: 'x' }, { runId: 'r' });
    const llm = new ScriptedLLM([]);
    // Same task ids, but the agent's derived id changes with its goal.
    const agent = new Agent({ role: 'Analyst', goal: 'Something else', backstory: 'Sharp.', llm });
    const tasks = ['gather', 'analyse', 'report'].map(
      (id) => new Task({ id, description: id, expectedOutput: id, agent }),
    );
    const crew = new Crew({ agents: [agent], tasks, checkpoint: store });

    const error = await crew.resume('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatecrewError);
    expect(error).toMatchObject({ code: 'checkpoint_mismatch' });
    expect((error as Error).message).toContain('agents in the checkpoint but not in the crew: analyst');
    expect((error as Error).message).toContain(agent.id);
    expect((error as Error).message).toContain('comes from its role, goal and backstory');
    expect(llm.calls).toHaveLength(0);
  });

  it('refuses a corrupted checkpoint file clearly and leaves it as it was', async () => {
    const store = new FileCheckpointStore(dir);
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"formatVersion": 1, "runId": "broken", "snap');
    const { crew } = threeTaskCrew([], store);
    await expect(crew.resume('broken')).rejects.toMatchObject({
      code: 'corrupt_checkpoint',
      message: expect.stringContaining(path),
    });
    expect(await readFile(path, 'utf8')).toBe('{"formatVersion": 1, "runId": "broken", "snap');
  });

  it('returns the output of a run that had already finished', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff({}, { runId: 'done' });
    const { crew, llm } = threeTaskCrew([], store);
    const output = await crew.resume('done');
    expect(output.raw).toBe('report');
    expect(llm.calls).toHaveLength(0);
  });

  it('needs a checkpoint store', async () => {
    const agent = new Agent({ role: 'A', goal: 'g', backstory: 'b', llm: new ScriptedLLM([]) });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'd', expectedOutput: 'e', agent })],
    });
    await expect(crew.resume('x')).rejects.toMatchObject({ code: 'no_checkpoint_store' });
  });
});

describe('crew.replay of a corrupt newest checkpoint', () => {
  it('fails naming the file rather than replaying an older run', async () => {
    const store = new FileCheckpointStore(dir);
    await threeTaskCrew(['facts', 'analysis', 'report'], store).crew.kickoff(
      { topic: 'tides' },
      { runId: 'older' },
    );
    await threeTaskCrew(['f', 'a', 'r'], store).crew.kickoff({ topic: 'waves' }, { runId: 'newer' });
    const newer = join(dir, 'newer.json');
    const text = await readFile(newer, 'utf8');
    await writeFile(newer, text.slice(0, Math.floor(text.length / 2)));

    const { crew, llm } = threeTaskCrew(['analysis 2', 'report 2'], store);
    await expect(crew.replay('analyse')).rejects.toMatchObject({
      code: 'corrupt_checkpoint',
      message: expect.stringContaining(newer),
    });
    expect(llm.calls).toHaveLength(0);
  });
});

describe('the events of a restored run', () => {
  it("start with crew.started (resumed) and task.started for the task at work, as a fresh run's do", async () => {
    const store = new MemoryCheckpointStore();
    await abortedAtSecondCall('heard', (replies) => threeTaskCrew(replies, store));
    const events: CrewEvent[] = [];
    const { crew } = threeTaskCrew(['analysis', 'report'], store);
    await crew.resume('heard', { onEvent: (e) => events.push(e) });

    expect(events[0]).toMatchObject({ type: 'crew.started', resumed: true, inputs: { topic: 'tides' } });
    expect(events[1]).toMatchObject({ type: 'task.started', taskId: 'analyse', agentId: 'analyst' });
    const started = events.filter((e) => e.type === 'task.started').map((e) => e.taskId);
    const ended = events.filter((e) => e.type === 'task.completed').map((e) => e.taskId);
    expect(started).toEqual(['analyse', 'report']);
    expect(ended).toEqual(['analyse', 'report']);

    // The same for an actor restored from the store.
    await abortedAtSecondCall('heard-2', (replies) => threeTaskCrew(replies, store));
    const byActor: CrewEvent[] = [];
    const actor = await threeTaskCrew(['analysis', 'report'], store).crew.resumeActor('heard-2', {
      onEvent: (e) => byActor.push(e),
    });
    await toPromise(actor.start());
    expect(byActor.slice(0, 2).map((e) => e.type)).toEqual(['crew.started', 'task.started']);
    // Said once the run's last checkpoint is written, a moment after the actor is done.
    await expect.poll(() => byActor.at(-1)?.type).toBe('crew.completed');
  });
});

describe('a restored run waiting for a person', () => {
  it('asks again: human.input.requested follows its task.started, with the same round and draft', async () => {
    const store = new MemoryCheckpointStore();
    const make = () => {
      const agent = new Agent({
        id: 'w',
        role: 'Writer',
        goal: 'g',
        backstory: 'b',
        llm: new ScriptedLLM(['draft']),
      });
      const task = new Task({
        id: 'review',
        description: 'Write',
        expectedOutput: 'x',
        agent,
        humanInput: true,
      });
      return new Crew({ agents: [agent], tasks: [task], checkpoint: store });
    };
    const crew = make();
    const first = crew.createActor({}, { runId: 'waiting' }).start();
    await expect.poll(() => first.system.get('task:review')?.getSnapshot().value).toBe('human-input');
    await crew.flushCheckpoints(first);
    first.stop();

    const events: CrewEvent[] = [];
    const actor = await make().resumeActor('waiting', { onEvent: (e) => events.push(e) });
    actor.start();
    expect(events.map((e) => e.type)).toEqual(['crew.started', 'task.started', 'human.input.requested']);
    expect(events[2]).toMatchObject({ taskId: 'review', round: 1, output: { raw: 'draft' } });
    actor.send({ type: 'human.feedback', taskId: 'review', feedback: '' });
    expect((await toPromise(actor)).raw).toBe('draft');
  });
});
