// Runs driven by events (crew.createActor / crew.resumeActor) are as durable as kickoff runs: the same
// checkpoints, the signal stops them, and a run waiting for a person is restored into a new actor.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import {
  Agent,
  Crew,
  CrewAbortedError,
  FileCheckpointStore,
  MemoryCheckpointStore,
  Task,
  type Checkpoint,
  type CheckpointStore,
  type CrewActor,
} from '../../src/index.js';
import type { LLMRequest } from '../../src/llm/types.js';
import { checkpointOutcomes } from '../../src/runtime/durable.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';
import { until, withoutTerminal } from '../helpers/human-fixtures.js';
import { researchWriteCrew } from '../helpers/research-write-crew.js';

let dir: string;
let restoreTerminal: () => void;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'statecrew-events-'));
  restoreTerminal = withoutTerminal();
});
const running: CrewActor[] = [];
afterEach(async () => {
  for (const actor of running.splice(0)) actor.stop();
  restoreTerminal();
  await rm(dir, { recursive: true, force: true });
});

function start(actor: CrewActor): CrewActor {
  running.push(actor);
  actor.start();
  return actor;
}

/** The same crew every time it is built (as in another process): research, then a reviewed write. */
function buildCrew(research: ScriptedReply[], writing: ScriptedReply[], store?: CheckpointStore) {
  const researchLlm = new ScriptedLLM(research, { model: 'research' });
  const writingLlm = new ScriptedLLM(writing, { model: 'writing' });
  const crew = researchWriteCrew(
    { research: researchLlm, writing: writingLlm },
    { reviewed: true, ...(store ? { checkpoint: store } : {}) },
  );
  return { crew, researchLlm, writingLlm };
}

interface Save {
  reason: Checkpoint['reason'];
  done: string[];
  /** The write task's state in the saved snapshot. */
  write: unknown;
}

/** A MemoryCheckpointStore that records what every write held. */
function recordingStore() {
  const inner = new MemoryCheckpointStore();
  const saves: Save[] = [];
  const store: CheckpointStore = {
    save: async (runId, checkpoint) => {
      const children = (checkpoint.snapshot as { children: Record<string, { snapshot: { value: unknown } }> })
        .children;
      saves.push({
        reason: checkpoint.reason,
        done: Object.entries(checkpointOutcomes(checkpoint))
          .filter(([, outcome]) => outcome.status === 'done')
          .map(([id]) => id),
        write: children['task:write']?.snapshot.value,
      });
      await inner.save(runId, checkpoint);
    },
    load: (runId) => inner.load(runId),
    list: () => inner.list(),
    delete: (runId) => inner.delete(runId),
  };
  return { store, saves };
}

const taskState = (actor: CrewActor, taskId: string) =>
  (actor.system.get(`task:${taskId}`) as AnyActorRef | undefined)?.getSnapshot().value as unknown;
const waiting = (actor: CrewActor) => taskState(actor, 'write') === 'human-input';
const stalled = (seen: AbortSignal[]) => (request: LLMRequest) => {
  seen.push(request.signal!);
  return new Promise<string>(() => {});
};

describe('crew.createActor() with a checkpoint store', () => {
  it('saves after a task completes, when a task waits for a person, and when the run is done', async () => {
    const { store, saves } = recordingStore();
    const { crew } = buildCrew(['facts'], ['an article'], store);
    const actor = start(crew.createActor({ topic: 'tides' }, { runId: 'events-1' }));

    await until(() => waiting(actor), 'the write task to wait for a person');
    await crew.flushCheckpoints(actor);
    expect(saves).toEqual([
      { reason: 'task.completed', done: ['research'], write: expect.anything() },
      { reason: 'human.input.requested', done: ['research'], write: 'human-input' },
    ]);
    expect(await store.load('events-1')).toMatchObject({
      runId: 'events-1',
      inputs: { topic: 'tides' },
      taskIds: ['research', 'write'],
      agentIds: ['researcher', 'writer'],
    });

    actor.send({ type: 'human.feedback', taskId: 'write', feedback: '' });
    await until(() => actor.getSnapshot().status === 'done', 'the run to finish');
    await crew.flushCheckpoints(actor);
    expect(saves.at(-1)).toEqual({ reason: 'crew.completed', done: ['research', 'write'], write: 'done' });
    expect(actor.getSnapshot().output?.raw).toBe('an article');
    expect(crew.usageMetrics.successfulRequests).toBe(2);
    // The finished run released its id: it may be used again in this process.
    expect(() => crew.createActor({ topic: 'tides' }, { runId: 'events-1' })).not.toThrow();
  });

  it('saves nothing after the actor is stopped: the last checkpoint stays', async () => {
    const { store, saves } = recordingStore();
    const seen: AbortSignal[] = [];
    const { crew } = buildCrew(['facts'], [stalled(seen)], store);
    const actor = start(crew.createActor({ topic: 'tides' }, { runId: 'events-stop' }));
    await until(() => seen.length === 1, 'the write call');
    actor.stop();
    expect(seen[0].aborted).toBe(true);
    await crew.flushCheckpoints(actor);
    expect(saves.map((s) => s.reason)).toEqual(['task.completed']);
  });
});

describe('crew.createActor() with a signal', () => {
  it('aborting stops the actor and its model call; the last checkpoint resumes the run', async () => {
    const store = new FileCheckpointStore(dir);
    const seen: AbortSignal[] = [];
    const controller = new AbortController();
    const first = buildCrew(['facts'], [stalled(seen)], store);
    const actor = start(
      first.crew.createActor({ topic: 'tides' }, { runId: 'events-abort', signal: controller.signal }),
    );
    const completions: string[] = [];
    actor.subscribe({ complete: () => completions.push('complete') });
    await until(() => seen.length === 1, 'the write call');

    controller.abort();
    expect(seen[0].aborted).toBe(true);
    expect(actor.getSnapshot().status).toBe('stopped');
    expect(completions).toEqual(['complete']);
    await first.crew.flushCheckpoints(actor);
    expect((await store.load('events-abort'))?.reason).toBe('task.completed');

    const second = buildCrew([], ['an article'], store);
    const restored = start(await second.crew.resumeActor('events-abort'));
    await until(() => waiting(restored), 'the write task to wait for a person');
    restored.send({ type: 'human.feedback', taskId: 'write', feedback: '' });
    await until(() => restored.getSnapshot().status === 'done', 'the run to finish');
    expect(restored.getSnapshot().output?.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'an article']);
    expect(second.researchLlm.calls).toHaveLength(0);
    await second.crew.flushCheckpoints(restored);
  });

  it('refuses an already aborted signal, and never starts an actor whose signal aborted before start', async () => {
    const { crew, researchLlm } = buildCrew(['facts'], ['an article']);
    expect(() => crew.createActor({ topic: 'tides' }, { signal: AbortSignal.abort() })).toThrow(
      CrewAbortedError,
    );

    const controller = new AbortController();
    const actor = crew.createActor({ topic: 'tides' }, { runId: 'events-early', signal: controller.signal });
    controller.abort();
    actor.start();
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(researchLlm.calls).toHaveLength(0);
    // Its run was released when the signal aborted.
    expect(() => crew.createActor({ topic: 'tides' }, { runId: 'events-early' })).not.toThrow();
  });
});

describe('crew.resumeActor()', () => {
  it('restores a run that waited for a person in a rebuilt crew; feedback by events finishes it', async () => {
    const store = new FileCheckpointStore(dir);
    const first = buildCrew(['facts about tides'], ['a long article'], store);
    const actor = start(first.crew.createActor({ topic: 'tides' }, { runId: 'events-restore' }));
    await until(() => waiting(actor), 'the write task to wait for a person');
    await first.crew.flushCheckpoints(actor);
    // The process goes away while the task waits.
    actor.stop();

    const second = buildCrew([], ['a short article'], store);
    const restored = await second.crew.resumeActor('events-restore');
    const states: unknown[] = [];
    restored.subscribe({ next: (snapshot) => states.push(snapshot.status), error: () => {} });
    start(restored);
    await until(() => waiting(restored), 'the restored write task to wait for a person');
    expect(second.writingLlm.calls).toHaveLength(0);

    restored.send({ type: 'human.feedback', taskId: 'write', feedback: 'Shorter, please' });
    await until(() => second.writingLlm.calls.length === 1 && waiting(restored), 'the second round');
    // The writer sees its draft from the first process and the feedback.
    const messages = second.writingLlm.calls[0].messages.map((m) => m.content ?? '');
    expect(messages).toContain('a long article');
    expect(messages.at(-1)).toContain('Shorter, please');

    restored.send({ type: 'human.feedback', taskId: 'write', feedback: '' });
    await until(() => restored.getSnapshot().status === 'done', 'the run to finish');
    const output = restored.getSnapshot().output!;
    expect(output.runId).toBe('events-restore');
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts about tides', 'a short article']);
    expect(second.researchLlm.calls).toHaveLength(0);
    expect(second.crew.tasks[0].output?.raw).toBe('facts about tides');
    expect(states.at(-1)).toBe('done');
    await second.crew.flushCheckpoints(restored);
    expect((await store.load('events-restore'))?.reason).toBe('crew.completed');
  });

  it('refuses unknown runs, checkpoints of another crew, and a crew without a store', async () => {
    const store = new MemoryCheckpointStore();
    const { crew } = buildCrew(['facts'], ['article'], store);
    await expect(crew.resumeActor('missing')).rejects.toMatchObject({ code: 'unknown_run' });

    const actor = start(crew.createActor({ topic: 'tides' }, { runId: 'events-other' }));
    await until(() => waiting(actor), 'the write task to wait for a person');
    await crew.flushCheckpoints(actor);
    const agent = new Agent({
      id: 'solo',
      role: 'Solo',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM([]),
    });
    const other = new Crew({
      agents: [agent],
      tasks: [new Task({ id: 'other', description: 'Other', expectedOutput: 'x', agent })],
      checkpoint: store,
    });
    await expect(other.resumeActor('events-other')).rejects.toMatchObject({ code: 'checkpoint_mismatch' });

    await expect(buildCrew([], []).crew.resumeActor('events-other')).rejects.toMatchObject({
      code: 'no_checkpoint_store',
      message: expect.stringContaining('crew.resumeActor()'),
    });
  });
});
