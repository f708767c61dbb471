import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Crew,
  CrewAbortedError,
  CrewValidationError,
  Task,
  TaskExecutionError,
  tool,
  type AgentStep,
  type CrewEvent,
  type TaskOutput,
} from '../../src/index.js';
import { deferred, flush, scriptedAgent, taskPrompt } from '../helpers/crew-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'statecrew-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('after a task is done', () => {
  it('takes callbacks that return something (collecting into an array or map), and ignores what they return', async () => {
    const outputs: TaskOutput[] = [];
    const byTask = new Map<string, string>();
    const steps: AgentStep[] = [];
    const { agent } = scriptedAgent('Writer', ['draft'], { stepCallback: (step) => steps.push(step) });
    const task = new Task({
      description: 'Draft',
      expectedOutput: 'x',
      agent,
      callback: (o) => outputs.push(o),
    });
    const crew = new Crew({
      agents: [agent],
      tasks: [task],
      taskCallback: (o) => byTask.set(o.taskId, o.raw),
      stepCallback: async () => steps.length,
    });

    expect((await crew.kickoff()).raw).toBe('draft');
    expect(outputs.map((o) => o.raw)).toEqual(['draft']);
    expect(byTask.get(task.id)).toBe('draft');
    expect(steps.length).toBeGreaterThan(0);
  });

  it('runs task.callback, then the crew taskCallback, then writes the file, then emits task.completed', async () => {
    const file = join(dir, 'out.md');
    const order: string[] = [];
    const { agent } = scriptedAgent('Writer', ['the text']);
    const task = new Task({
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputFile: file,
      callback: async (output) => {
        await flush(1);
        order.push(`task.callback(${output.raw}) file=${existsSync(file)}`);
      },
    });
    const crew = new Crew({
      agents: [agent],
      tasks: [task],
      taskCallback: async (output) => {
        await flush(1);
        order.push(`crew.taskCallback(${output.raw}) file=${existsSync(file)}`);
      },
    });

    const events = await new Promise<CrewEvent[]>((resolve) => {
      const seen: CrewEvent[] = [];
      crew.stream().subscribe({
        next: (event) => {
          seen.push(event);
          if (event.type === 'task.completed') order.push(`task.completed file=${existsSync(file)}`);
        },
        complete: () => resolve(seen),
      });
    });

    expect(order).toEqual([
      'task.callback(the text) file=false',
      'crew.taskCallback(the text) file=false',
      'task.completed file=true',
    ]);
    expect(events.at(-1)?.type).toBe('crew.completed');
  });

  it('starts none of the rest once the run is aborted during task.callback: no taskCallback, no file', async () => {
    const file = join(dir, 'out.md');
    const calls: string[] = [];
    const inCallback = deferred<void>();
    const { agent } = scriptedAgent('Writer', ['the text']);
    const controller = new AbortController();
    const task = new Task({
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputFile: file,
      callback: async () => {
        calls.push('task.callback');
        inCallback.resolve();
        await new Promise((resolve) => setTimeout(resolve, 30));
      },
    });
    const crew = new Crew({
      agents: [agent],
      tasks: [task],
      taskCallback: () => void calls.push('taskCallback'),
    });
    const run = crew.kickoff({}, { signal: controller.signal });
    await inCallback.promise;
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CrewAbortedError);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toEqual(['task.callback']);
    expect(existsSync(file)).toBe(false);
  });

  it('fails a task whose callback throws with callback_failed, and leaves it without an output', async () => {
    const { agent } = scriptedAgent('Writer', ['the text']);
    const task = new Task({
      description: 'Write',
      expectedOutput: 'x',
      agent,
      callback: () => {
        throw new Error('callback broke');
      },
    });
    const error = await new Crew({ agents: [agent], tasks: [task] }).kickoff().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect(task.output).toBeUndefined();
    // Like a throwing stepCallback: callback_failed, naming the task, the callback's error as its cause.
    expect((error as TaskExecutionError).cause).toMatchObject({
      code: 'callback_failed',
      message: "The callback of task 'Write' failed: callback broke",
      cause: { message: 'callback broke' },
    });
  });

  it("passes on what a callback made of the output: the next task's context and the crew's output see it", async () => {
    const { agent, llm } = scriptedAgent('Writer', ['draft text', 'final']);
    const first = new Task({
      description: 'Draft',
      expectedOutput: 'x',
      agent,
      callback: (output) => {
        output.raw = output.raw.toUpperCase();
      },
    });
    const second = new Task({ description: 'Finish', expectedOutput: 'x', agent });
    const output = await new Crew({ agents: [agent], tasks: [first, second] }).kickoff();
    expect(output.tasksOutput[0].raw).toBe('DRAFT TEXT');
    expect(taskPrompt(llm.calls[1])).toContain('DRAFT TEXT');
  });

  it('calls a function given as both task.callback and taskCallback once per task', async () => {
    const calls: string[] = [];
    const callback = (output: TaskOutput) => void calls.push(output.raw);
    const { agent } = scriptedAgent('Writer', ['one', 'two']);
    const crew = new Crew({
      agents: [agent],
      tasks: [
        new Task({ description: 'One', expectedOutput: 'x', agent, callback }),
        new Task({ description: 'Two', expectedOutput: 'x', agent }),
      ],
      taskCallback: callback,
    });

    await crew.kickoff();

    expect(calls).toEqual(['one', 'two']);
  });

  it('gives stepCallback every agent step; the crew one goes to agents that have none', async () => {
    const search = tool({
      name: 'search',
      description: 'search',
      schema: z.object({ q: z.string() }),
      execute: ({ q }) => `results for ${q}`,
    });
    const crewSteps: AgentStep[] = [];
    const ownSteps: AgentStep[] = [];
    const { agent: researcherAgent } = scriptedAgent(
      'Researcher',
      [{ toolCalls: [{ id: 'c1', name: 'search', arguments: { q: 'ai' } }] }, 'found'],
      { tools: [search] },
    );
    const { agent: writer } = scriptedAgent('Writer', ['written'], {
      stepCallback: (step) => void ownSteps.push(step),
    });
    const crew = new Crew({
      agents: [researcherAgent, writer],
      tasks: [
        new Task({ description: 'Research', expectedOutput: 'x', agent: researcherAgent }),
        new Task({ description: 'Write', expectedOutput: 'x', agent: writer }),
      ],
      stepCallback: (step) => void crewSteps.push(step),
    });

    await crew.kickoff();

    expect(crewSteps.map((s) => s.kind)).toEqual(['answer', 'tool_call', 'tool_result', 'answer']);
    expect(crewSteps.every((s) => s.agentId === researcherAgent.id && s.role === 'Researcher')).toBe(true);
    expect(crewSteps[2]).toMatchObject({ kind: 'tool_result', result: 'results for ai', isError: false });
    expect(crewSteps[3]).toMatchObject({ kind: 'answer', content: 'found' });
    expect(ownSteps.map((s) => [s.kind, s.agentId])).toEqual([['answer', writer.id]]);
  });
});

describe('output files', () => {
  it('hold the raw output, in directories created as needed, with placeholders filled', async () => {
    const { agent } = scriptedAgent('Writer', ['# Report\nraw text']);
    const task = new Task({
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputFile: join(dir, '{topic}', 'nested', '{topic}.md'),
    });

    await new Crew({ agents: [agent], tasks: [task] }).kickoff({ topic: 'bees' });

    expect(await readFile(join(dir, 'bees', 'nested', 'bees.md'), 'utf8')).toBe('# Report\nraw text');
  });

  it('hold pretty JSON when the task has a structured output', async () => {
    const { agent } = scriptedAgent('Writer', ['Here: {"title":"Bees","tags":["a","b"]}']);
    const task = new Task({
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputSchema: z.object({ title: z.string(), tags: z.array(z.string()) }),
      outputFile: join(dir, 'out.json'),
    });

    await new Crew({ agents: [agent], tasks: [task] }).kickoff();

    expect(await readFile(join(dir, 'out.json'), 'utf8')).toBe(
      JSON.stringify({ title: 'Bees', tags: ['a', 'b'] }, null, 2),
    );
  });

  it('fail the task clearly with createDirectory: false and a missing directory', async () => {
    const { agent } = scriptedAgent('Writer', ['text', 'never']);
    const path = join(dir, 'missing', 'out.md');
    const task = new Task({
      name: 'report',
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputFile: path,
      createDirectory: false,
    });
    const after = new Task({ description: 'After', expectedOutput: 'x', agent });

    const error = await new Crew({ agents: [agent], tasks: [task, after] })
      .kickoff()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).taskId).toBe(task.id);
    expect((error as Error).message).toContain('report');
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('createDirectory');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    expect(after.output).toBeUndefined();
  });

  it('reject, before any model call, inputs that would take the path out of its directory', async () => {
    const { agent, llm } = scriptedAgent('Writer', ['text']);
    const task = new Task({
      name: 'report',
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputFile: join(dir, 'reports', '{topic}.md'),
    });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    for (const topic of ['../../escaped', 'a;rm -rf x']) {
      const error = await crew.kickoff({ topic }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CrewValidationError);
      expect(error).toMatchObject({ code: 'invalid_output_file' });
      expect((error as Error).message).toContain('report');
    }
    expect(llm.calls).toHaveLength(0);
  });

  it('reject, before any model call, an input that makes a relative path absolute or holds a NUL', async () => {
    const { agent, llm } = scriptedAgent('Writer', ['text']);
    const task = new Task({
      name: 'report',
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputFile: '{name}.md',
    });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    await expect(crew.kickoff({ name: join(dir, 'escaped') })).rejects.toMatchObject({
      code: 'invalid_output_file',
      message: expect.stringContaining("an input made the relative path '{name}.md' absolute") as string,
    });
    await expect(crew.kickoff({ name: 'a\0b' })).rejects.toMatchObject({
      code: 'invalid_output_file',
      message: expect.stringContaining('NUL') as string,
    });
    expect(llm.calls).toHaveLength(0);
    expect(existsSync(join(dir, 'escaped.md'))).toBe(false);
  });

  it('are written into an existing directory with createDirectory: false', async () => {
    const { agent } = scriptedAgent('Writer', ['text']);
    const task = new Task({
      description: 'Write',
      expectedOutput: 'x',
      agent,
      outputFile: join(dir, 'out.md'),
      createDirectory: false,
    });

    await new Crew({ agents: [agent], tasks: [task] }).kickoff();

    expect(await readFile(join(dir, 'out.md'), 'utf8')).toBe('text');
  });
});
