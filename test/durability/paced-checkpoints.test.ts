// Checkpoints are paced by what they cost: a crew whose tasks finish faster than its (whole-snapshot)
// checkpoints can be taken does not take one per task — N checkpoints of O(N) each made large durable
// crews quadratic — yet the last one always holds every task, and one still waiting is never lost.
import { toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  Agent,
  Crew,
  MemoryCheckpointStore,
  Task,
  type Checkpoint,
  type CheckpointStore,
  type LLM,
  type LLMResponse,
} from '../../src/index.js';
import { checkpointOutcomes } from '../../src/runtime/durable.js';
import { deferred, gatedLLM, until } from '../helpers/crew-fixtures.js';

interface Save {
  reason: Checkpoint['reason'];
  done: number;
}

/** A memory store that records each save; `busyMs` makes every save hold the event loop that long. */
function recordingStore(busyMs = 0) {
  const inner = new MemoryCheckpointStore();
  const saves: Save[] = [];
  const store: CheckpointStore = {
    save(runId, checkpoint) {
      const end = performance.now() + busyMs;
      while (performance.now() < end); // serialising a large checkpoint blocks like this
      saves.push({ reason: checkpoint.reason, done: Object.keys(checkpointOutcomes(checkpoint)).length });
      return inner.save(runId, checkpoint);
    },
    load: (runId) => inner.load(runId),
    list: () => inner.list(),
    delete: (runId) => inner.delete(runId),
  };
  return { store, saves };
}

/** Answers on the next turn of the event loop, as a model doing I/O does. */
class NextTurnLLM implements LLM {
  readonly model = 'next-turn';
  call(): Promise<LLMResponse> {
    return new Promise((resolve) => setImmediate(() => resolve({ content: 'done' })));
  }
}

function crewOf(llms: LLM[], store: CheckpointStore) {
  const agents = llms.map(
    (llm, i) => new Agent({ id: `worker-${i}`, role: `Worker ${i}`, goal: 'g', backstory: 'b', llm }),
  );
  const tasks = agents.map(
    (agent, i) =>
      new Task({ id: `t${i}`, description: `Part ${i}`, expectedOutput: 'x', agent, context: [] }),
  );
  return new Crew({ agents, tasks, checkpoint: store });
}

describe('paced checkpoints', () => {
  it('a crew of many fast tasks takes a few checkpoints, the last holding every task', async () => {
    const { store, saves } = recordingStore();
    const model = new NextTurnLLM();
    await crewOf(
      Array.from({ length: 400 }, () => model),
      store,
    ).kickoff();
    expect(saves.length).toBeGreaterThan(1);
    expect(saves.length).toBeLessThan(100);
    expect(saves.at(-1)).toEqual({ reason: 'crew.completed', done: 400 });
    const done = saves.map((s) => s.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  /** A crew of 102 tasks (a crew of up to 100 takes every checkpoint at once): 101 quick, the last gated. */
  function largeCrew(store: CheckpointStore) {
    const last = gatedLLM();
    const quick = new NextTurnLLM();
    const crew = crewOf([...Array.from({ length: 101 }, () => quick), last.llm], store);
    return { crew, last };
  }

  it('a completion made while the pace holds its checkpoint back is written when the actor stops', async () => {
    // Each save holds the loop 40 ms, so the next may be taken 160 ms later; tasks 2–101 finish meanwhile.
    const { store, saves } = recordingStore(40);
    const { crew, last } = largeCrew(store);
    const actor = crew.createActor();
    actor.start();
    await until(() => last.pending.length === 1, 2000);
    expect(saves).toEqual([{ reason: 'task.completed', done: 1 }]);
    actor.stop();
    await crew.flushCheckpoints(actor);
    expect(saves).toEqual([
      { reason: 'task.completed', done: 1 },
      { reason: 'task.completed', done: 101 },
    ]);
  });

  it('a checkpoint held back by the pace is written once it has passed, while the run goes on', async () => {
    const { store, saves } = recordingStore(40);
    const { crew, last } = largeCrew(store);
    const run = crew.kickoff();
    await until(() => last.pending.length === 1, 2000);
    const written = deferred<void>();
    const poll = setInterval(() => saves.length === 2 && written.resolve(), 5);
    await written.promise;
    clearInterval(poll);
    expect(saves[1]).toEqual({ reason: 'task.completed', done: 101 });
    last.pending[0].resolve('last');
    await run;
    expect(saves.at(-1)).toEqual({ reason: 'crew.completed', done: 102 });
  });

  it('a flush in the middle of a large run is answered once what was asked is written, and pacing goes on', async () => {
    const inner = new MemoryCheckpointStore();
    let saves = 0;
    const store: CheckpointStore = {
      async save(runId, checkpoint) {
        saves++;
        await new Promise((resolve) => setTimeout(resolve, 1)); // a store that waits on I/O
        return inner.save(runId, checkpoint);
      },
      load: (runId) => inner.load(runId),
      list: () => inner.list(),
      delete: (runId) => inner.delete(runId),
    };
    // The model answers on the next turn, except that the 600th call waits for the test: the run is
    // surely still going when the flush is answered, however slow the machine.
    const next = new NextTurnLLM();
    let calls = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const model = {
      model: 'gated',
      call: async () => {
        if (++calls === 600) await held;
        return next.call();
      },
    };
    const agent = new Agent({ id: 'worker', role: 'Worker', goal: 'g', backstory: 'b', llm: model });
    const tasks = Array.from(
      { length: 1000 },
      (_, i) => new Task({ id: `t${i}`, description: `Part ${i}`, expectedOutput: 'x', agent, context: [] }),
    );
    const crew = new Crew({ agents: [agent], tasks, checkpoint: store });
    const actor = crew.createActor();
    const done = toPromise(actor);
    actor.start();
    await until(() => saves >= 1, 5000);
    await crew.flushCheckpoints(actor);
    expect(actor.getSnapshot().status).toBe('active');
    expect(calls).toBeLessThanOrEqual(600);
    release();
    await done;
    await crew.flushCheckpoints(actor);
    expect(saves).toBeLessThan(30);
  });

  it('a crew of 100 tasks takes a checkpoint per task; one of 101 paces them', async () => {
    const model = new NextTurnLLM();
    const savesOf = async (count: number) => {
      const { store, saves } = recordingStore();
      await crewOf(
        Array.from({ length: count }, () => model),
        store,
      ).kickoff();
      return saves.length;
    };
    expect(await savesOf(100)).toBe(100);
    expect(await savesOf(101)).toBeLessThan(60);
  });

  it('a snapshot that cannot be taken fails the run once it has ended, instead of crashing its step', async () => {
    const { store, saves } = recordingStore();
    const model = new NextTurnLLM();
    const crew = crewOf([model, model], store);
    const actor = crew.createActor();
    const refused = new Error('cannot persist');
    actor.getPersistedSnapshot = () => {
      throw refused;
    };
    const ended = toPromise(actor);
    actor.start();
    await ended;
    await expect(crew.flushCheckpoints(actor)).rejects.toBe(refused);
    expect(saves).toEqual([]);
  });

  it('a crew of up to 100 tasks takes each checkpoint at once, whatever it costs', async () => {
    const { store, saves } = recordingStore(20);
    const quick = new NextTurnLLM();
    await crewOf([quick, quick, quick], store).kickoff();
    expect(saves.map((s) => s.done)).toEqual([1, 2, 3]);
  });
});
