import { describe, expect, it } from 'vitest';
import {
  Agent,
  Crew,
  CrewAbortedError,
  MemoryCheckpointStore,
  Task,
  type CheckpointStore,
} from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';

const never = () => new Promise<never>(() => {});

function crewWith(options: { beforeKickoff?: () => Promise<void>; checkpoint?: CheckpointStore } = {}) {
  const llm = new ScriptedLLM(['done']);
  const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm });
  const tasks = [new Task({ description: 'Write', expectedOutput: 'x', agent })];
  const crew = new Crew({
    agents: [agent],
    tasks,
    ...(options.beforeKickoff ? { beforeKickoff: [options.beforeKickoff] } : {}),
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
  });
  return { crew, llm };
}

/** A store whose reads never answer (a database that hangs). */
function hangingStore(): CheckpointStore {
  const store = new MemoryCheckpointStore();
  return {
    save: (id, c) => store.save(id, c),
    load: never,
    list: () => store.list(),
    delete: (id) => store.delete(id),
  };
}

describe('an abort before the run starts', () => {
  it.each([
    ['a beforeKickoff callback that never returns', () => crewWith({ beforeKickoff: never })],
    ['reading the store for a chosen run id', () => crewWith({ checkpoint: hangingStore() })],
  ])('ends the kickoff at once, during %s', async (_label, build) => {
    const { crew, llm } = build();
    const controller = new AbortController();
    const run = crew.kickoff({}, { runId: 'chosen', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutdown')), 10);

    const error = await run.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CrewAbortedError);
    expect((error as CrewAbortedError).cause).toMatchObject({ message: 'shutdown' });
    expect(llm.calls).toHaveLength(0);
  });

  it('ends a resume at once while its checkpoint is read', async () => {
    const { crew } = crewWith({ checkpoint: hangingStore() });
    const controller = new AbortController();
    const resuming = crew.resume('r', { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(resuming).rejects.toBeInstanceOf(CrewAbortedError);
  });
});
