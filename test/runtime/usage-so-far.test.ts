// The usage a run reports when it does not finish: what its model calls used up to the end, including the
// work still going on (a task's loop, a coworker's job), not only the tasks that finished.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, Crew, Task, tool } from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import { deferred } from '../helpers/crew-fixtures.js';

const never = () => new Promise<string>(() => {});

describe('usage of a run that does not finish', () => {
  it('counts the model calls of a task still at work when the run is aborted', async () => {
    const reached = deferred<void>();
    const stall = tool({
      name: 'stall',
      description: 'Never ends',
      schema: z.object({}),
      execute: () => (reached.resolve(), new Promise(() => {})),
    });
    const llm = new ScriptedLLM(['first done', { toolCalls: [{ name: 'stall', arguments: {} }] }]);
    const agent = new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm, tools: [stall] });
    const crew = new Crew({
      agents: [agent],
      tasks: [
        new Task({ description: 'First', expectedOutput: 'x', agent }),
        new Task({ description: 'Second', expectedOutput: 'x', agent }),
      ],
    });
    const controller = new AbortController();
    const run = crew.kickoff({}, { signal: controller.signal });
    await reached.promise;
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
    expect(crew.usageMetrics).toMatchObject({ successfulRequests: 2, totalTokens: 30 });
  });

  it("counts a coworker's job still at work in a hierarchical crew", async () => {
    const worker = new Agent({
      id: 'w',
      role: 'Worker',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }] }, never]),
      tools: [
        tool({
          name: 'lookup',
          description: 'Look up',
          schema: z.object({ q: z.string() }),
          execute: () => 'found',
        }),
      ],
    });
    const manager = new ScriptedLLM([
      { toolCalls: [{ name: 'delegate_work', arguments: { task: 't', context: 'c', coworker: 'Worker' } }] },
    ]);
    const crew = new Crew({
      agents: [worker],
      tasks: [new Task({ description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: manager,
    });
    const controller = new AbortController();
    const run = crew.kickoff({}, { signal: controller.signal });
    await expect.poll(() => (worker.llm as ScriptedLLM).calls.length).toBe(2);
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
    // The manager's call and the worker's first (its second never answered).
    expect(crew.usageMetrics).toMatchObject({ successfulRequests: 2, totalTokens: 30 });
  });
});
