import { describe, expect, it } from 'vitest';
import { toPromise } from 'xstate';
import { z } from 'zod';
import {
  Agent,
  ConditionalTask,
  Crew,
  CrewOutput,
  StatecrewError,
  Task,
  TaskOutput,
} from '../../src/index.js';
import { REPLY_USAGE, scriptedAgent } from '../helpers/crew-fixtures.js';

describe('TaskOutput after a run', () => {
  it('describes the task and the agent that produced it', async () => {
    const { agent } = scriptedAgent('Analyst of {topic}', ['The answer']);
    const task = new Task({
      description: 'Analyse the market for {topic} and write one two three four five six seven',
      expectedOutput: 'A summary of {topic}',
      agent,
    });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    const { tasksOutput } = await crew.kickoff({ topic: 'tea' });
    const output = tasksOutput[0];

    expect(output).toBeInstanceOf(TaskOutput);
    expect(output).toBe(task.output);
    expect(output).toMatchObject({
      taskId: task.id,
      name: 'Analyse the market for tea and write one two three four five six seven',
      description: 'Analyse the market for tea and write one two three four five six seven',
      expectedOutput: 'A summary of tea',
      summary: 'Analyse the market for tea and write one two three...',
      raw: 'The answer',
      agent: 'Analyst of tea',
      outputFormat: 'raw',
      skipped: false,
    });
    expect(output.parsed).toBeUndefined();
    expect(output.json).toBeUndefined();
    expect(output.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(output.messages.at(-1)).toMatchObject({ content: 'The answer' });
  });

  it('takes its name from task.name when there is one, and summarises short descriptions whole', async () => {
    const { agent } = scriptedAgent('Writer', ['done']);
    const task = new Task({ name: 'draft', description: 'Write a draft', expectedOutput: 'x', agent });
    await new Crew({ agents: [agent], tasks: [task] }).kickoff();

    expect(task.output?.name).toBe('draft');
    expect(task.output?.description).toBe('Write a draft');
    expect(task.output?.summary).toBe('Write a draft...');
  });

  it('prints raw text, or the JSON of a structured output, and serialises to plain data', async () => {
    const { agent } = scriptedAgent('Writer', ['plain text', '{"title":"Tea","score":3}']);
    const plain = new Task({ description: 'Plain', expectedOutput: 'x', agent });
    const structured = new Task({
      description: 'Structured',
      expectedOutput: 'a title and a score',
      agent,
      outputSchema: z.object({ title: z.string(), score: z.number() }),
    });
    await new Crew({ agents: [agent], tasks: [plain, structured] }).kickoff();

    expect(String(plain.output)).toBe('plain text');
    expect(structured.output?.outputFormat).toBe('json');
    expect(structured.output?.parsed).toEqual({ title: 'Tea', score: 3 });
    expect(structured.output?.json).toEqual({ title: 'Tea', score: 3 });
    expect(String(structured.output)).toBe('{"title":"Tea","score":3}');

    const data = JSON.parse(JSON.stringify(structured.output)) as Record<string, unknown>;
    expect(data).toMatchObject({
      taskId: structured.id,
      name: 'Structured',
      summary: 'Structured...',
      raw: '{"title":"Tea","score":3}',
      json: { title: 'Tea', score: 3 },
      agent: 'Writer',
      outputFormat: 'json',
      skipped: false,
    });
  });
});

describe('CrewOutput', () => {
  it('takes raw from the last task that was not skipped and lists every task in crew order', async () => {
    const { agent } = scriptedAgent('Solo', ['first', 'second']);
    const first = new Task({ description: 'First', expectedOutput: 'x', agent });
    const second = new Task({ description: 'Second', expectedOutput: 'x', agent });
    const never = new ConditionalTask({
      description: 'Never',
      expectedOutput: 'x',
      agent,
      condition: () => false,
    });
    const crew = new Crew({ agents: [agent], tasks: [first, second, never] });

    const output = await crew.kickoff({}, { runId: 'outputs-run' });

    expect(output).toBeInstanceOf(CrewOutput);
    expect(output.runId).toBe('outputs-run');
    expect(output.raw).toBe('second');
    expect(output.tasksOutput.map((t) => [t.taskId, t.raw, t.skipped])).toEqual([
      [first.id, 'first', false],
      [second.id, 'second', false],
      [never.id, '', true],
    ]);
    expect(String(output)).toBe('second');
  });

  it('sums the usage of every model call of the run', async () => {
    const { agent } = scriptedAgent('Solo', [
      { content: 'a', usage: { promptTokens: 100, completionTokens: 20, cachedPromptTokens: 40 } },
      { content: 'b', usage: { promptTokens: 7, completionTokens: 3, totalTokens: 10, reasoningTokens: 2 } },
      'c',
    ]);
    const tasks = ['One', 'Two', 'Three'].map(
      (description) => new Task({ description, expectedOutput: 'x', agent }),
    );

    const output = await new Crew({ agents: [agent], tasks }).kickoff();

    expect(output.tokenUsage).toEqual({
      promptTokens: 100 + 7 + REPLY_USAGE.promptTokens,
      completionTokens: 20 + 3 + REPLY_USAGE.completionTokens,
      totalTokens: 120 + 10 + REPLY_USAGE.totalTokens,
      cachedPromptTokens: 40,
      reasoningTokens: 2,
      successfulRequests: 3,
    });
  });

  it('carries parsed and json from the last task that produced output, and serialises to plain data', async () => {
    const { agent } = scriptedAgent('Solo', ['{"n":1}']);
    const task = new Task({
      description: 'Count',
      expectedOutput: 'n',
      agent,
      outputSchema: z.object({ n: z.number() }),
    });
    const skipped = new ConditionalTask({
      description: 'Skipped',
      expectedOutput: 'x',
      agent,
      condition: () => false,
    });

    const output = await new Crew({ agents: [agent], tasks: [task, skipped] }).kickoff();

    expect(output.parsed).toEqual({ n: 1 });
    expect(output.json).toEqual({ n: 1 });
    expect(String(output)).toBe('{"n":1}');
    const data = JSON.parse(JSON.stringify(output)) as { tasksOutput: unknown[]; raw: string };
    expect(data.raw).toBe('{"n":1}');
    expect(data.tasksOutput).toHaveLength(2);
    expect(CrewOutput.fromData(output.toJSON()).raw).toBe(output.raw);
  });

  it('goes through the afterKickoff callbacks, in order, each of which may replace it', async () => {
    const { agent } = scriptedAgent('Solo', ['draft']);
    const seen: string[] = [];
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write', expectedOutput: 'x', agent })],
      afterKickoff: [
        (output) => {
          seen.push(output.raw);
          output.raw = output.raw.toUpperCase();
          return output;
        },
        async (output) => {
          seen.push(output.raw);
          const replaced = new CrewOutput({ runId: output.runId, tasksOutput: output.tasksOutput });
          replaced.raw = `${output.raw}!`;
          return replaced;
        },
      ],
    });

    const output = await crew.kickoff();

    expect(seen).toEqual(['draft', 'DRAFT']);
    expect(output.raw).toBe('DRAFT!');
  });

  it('keeps the output when an afterKickoff callback returns nothing, on kickoff and on an actor', async () => {
    const tasks = (agent: Agent) => [new Task({ description: 'Write', expectedOutput: 'x', agent })];
    const looked: string[] = [];
    // A callback that only looks (or forgot its return).
    const look = (output: CrewOutput) => void looked.push(output.raw);
    const first = scriptedAgent('Solo', ['draft']).agent;
    expect(
      (await new Crew({ agents: [first], tasks: tasks(first), afterKickoff: [look] }).kickoff()).raw,
    ).toBe('draft');

    const second = scriptedAgent('Solo', ['again']).agent;
    const crew = new Crew({ agents: [second], tasks: tasks(second), afterKickoff: [look] });
    const actor = crew.createActor();
    actor.start();
    const output = (await toPromise(actor)) as CrewOutput;
    expect(output.raw).toBe('again');
    expect(crew.usageMetrics.successfulRequests).toBe(1);
    expect(looked).toEqual(['draft', 'again']);
  });

  it('rejects with callback_failed when an afterKickoff callback returns something else', async () => {
    const { agent } = scriptedAgent('Solo', ['draft']);
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write', expectedOutput: 'x', agent })],
      afterKickoff: [(output) => output.raw as unknown as CrewOutput],
    });
    await expect(crew.kickoff()).rejects.toMatchObject({
      code: 'callback_failed',
      message: expect.stringContaining('must return the CrewOutput or nothing (it returned a string)'),
    });
  });

  it('rejects with callback_failed, naming the callback, when a beforeKickoff or afterKickoff callback throws', async () => {
    const { agent } = scriptedAgent('Solo', ['draft']);
    const boom = new Error('after boom');
    const tasks = [new Task({ description: 'Write', expectedOutput: 'x', agent })];
    const after = new Crew({
      agents: [agent],
      tasks,
      afterKickoff: [
        () => {
          throw boom;
        },
      ],
    });
    const before = new Crew({
      agents: [agent],
      tasks,
      beforeKickoff: [
        async () => {
          throw new Error('before boom');
        },
      ],
    });

    const afterError = await after.kickoff().catch((e: unknown) => e);
    expect(afterError).toBeInstanceOf(StatecrewError);
    expect(afterError).toMatchObject({ code: 'callback_failed', cause: boom });
    expect((afterError as Error).message).toContain('afterKickoff');
    const beforeError = await before.kickoff().catch((e: unknown) => e);
    expect(beforeError).toMatchObject({
      code: 'callback_failed',
      message: expect.stringContaining('beforeKickoff'),
    });
    expect((beforeError as Error).message).toContain('before boom');
  });
});
