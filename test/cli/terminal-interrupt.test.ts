// Ctrl-C at the terminal review prompt (human input), in-process, where no pseudo-terminal is needed
// (interrupt-at-prompt.test.ts runs the CLI in one): readline is replaced by a fake whose SIGINT stands for
// Ctrl-C in raw mode, and process.kill by what the CLI's SIGINT handler does a moment later: abort the run.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Agent, Crew, CrewAbortedError, MemoryCheckpointStore, Task } from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';

const terminal = vi.hoisted(() => ({ prompts: [] as Array<{ emit(event: string): boolean }> }));

vi.mock('node:readline', async () => {
  const { EventEmitter } = await import('node:events');
  class FakeInterface extends EventEmitter {
    #closed = false;
    question(): void {
      terminal.prompts.push(this);
    }
    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      this.emit('close');
    }
  }
  return { createInterface: () => new FakeInterface() };
});

let wasTTY: boolean;
beforeEach(() => {
  wasTTY = process.stdin.isTTY;
  process.stdin.isTTY = true;
  terminal.prompts.length = 0;
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // the review prompt
});
afterEach(() => {
  process.stdin.isTTY = wasTTY;
  vi.restoreAllMocks();
});

function reviewedCrew(store: MemoryCheckpointStore): Crew {
  const agent = new Agent({
    id: 'writer',
    role: 'Writer',
    goal: 'g',
    backstory: 'b',
    llm: new ScriptedLLM(['DRAFT', 'DRAFT']),
  });
  const task = new Task({ id: 'write', description: 'Write.', expectedOutput: 'x', agent, humanInput: true });
  return new Crew({ agents: [agent], tasks: [task], checkpoint: store });
}

it('Ctrl-C at the review prompt stops the run (CrewAbortedError) and fails no task: it resumes', async () => {
  const controller = new AbortController();
  const kill = vi.spyOn(process, 'kill').mockImplementation(() => {
    setTimeout(() => controller.abort(), 20);
    return true;
  });
  const store = new MemoryCheckpointStore();
  const crew = reviewedCrew(store);
  const run = crew.kickoff({}, { signal: controller.signal, runId: 'reviewed' });
  run.catch(() => {});
  await vi.waitFor(() => expect(terminal.prompts).toHaveLength(1));

  terminal.prompts[0].emit('SIGINT');

  await expect(run).rejects.toBeInstanceOf(CrewAbortedError);
  expect(kill).toHaveBeenCalledWith(process.pid, 'SIGINT');
  expect((await store.load('reviewed'))?.reason).toBe('human.input.requested');
  const resumed = await crew.with({ humanInput: () => '' }).resume('reviewed');
  expect(resumed.raw).toBe('DRAFT');
});

it("fails the task after a moment when the process's own SIGINT handling does not stop the run", async () => {
  vi.spyOn(process, 'kill').mockImplementation(() => true); // a program that catches SIGINT and goes on
  const crew = reviewedCrew(new MemoryCheckpointStore());
  const run = crew.kickoff({}, { runId: 'caught' });
  run.catch(() => {});
  await vi.waitFor(() => expect(terminal.prompts.length).toBeGreaterThan(0));
  terminal.prompts.at(-1)!.emit('SIGINT');
  await expect(run).rejects.toMatchObject({
    message: expect.stringContaining('Interrupted while waiting for feedback'),
  });
});
