import { describe, expect, it } from 'vitest';
import { Agent, Crew, CrewAbortedError, MemoryCheckpointStore, Task } from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';

describe('a run aborted by its review handler as it is asked', () => {
  it('keeps the checkpoint of the task waiting for the review: resume asks again, without a new model call', async () => {
    const store = new MemoryCheckpointStore();
    const llm = new ScriptedLLM(['facts', 'draft', 'report']);
    const agent = new Agent({ id: 'writer', role: 'Writer', goal: 'g', backstory: 'b', llm });
    const tasks = [
      new Task({ id: 'gather', description: 'Gather', expectedOutput: 'facts', agent }),
      new Task({ id: 'draft', description: 'Draft', expectedOutput: 'a draft', agent, humanInput: true }),
      new Task({ id: 'report', description: 'Report', expectedOutput: 'a report', agent }),
    ];
    const controller = new AbortController();
    // Aborts in the same turn as the request, and never answers.
    const abortAtOnce = () => {
      controller.abort();
      return new Promise<string>(() => {});
    };
    const crew = new Crew({ agents: [agent], tasks, checkpoint: store, humanInput: abortAtOnce });

    const run = crew.kickoff({}, { runId: 'review', signal: controller.signal });

    await expect(run).rejects.toBeInstanceOf(CrewAbortedError);
    expect((await store.load('review'))?.reason).toBe('human.input.requested');
    const reviewed: string[] = [];
    const approving = crew.with({
      humanInput: ({ output }) => {
        reviewed.push(output.raw);
        return Promise.resolve('');
      },
    });
    const output = await approving.resume('review');
    expect(reviewed).toEqual(['draft']);
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['facts', 'draft', 'report']);
    expect(llm.calls).toHaveLength(3);
  });

  it('saves a run that finished right after a review as completed, not as waiting for it', async () => {
    const store = new MemoryCheckpointStore();
    const llm = new ScriptedLLM(['draft', 'report']);
    const agent = new Agent({ id: 'writer', role: 'Writer', goal: 'g', backstory: 'b', llm });
    const tasks = [
      new Task({ id: 'draft', description: 'Draft', expectedOutput: 'a draft', agent, humanInput: true }),
      new Task({ id: 'report', description: 'Report', expectedOutput: 'a report', agent }),
    ];
    const crew = new Crew({ agents: [agent], tasks, checkpoint: store, humanInput: async () => '' });

    await crew.kickoff({}, { runId: 'quick' });
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect((await store.load('quick'))?.reason).toBe('crew.completed');
  });
});
