import { describe, expect, it } from 'vitest';
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
});
