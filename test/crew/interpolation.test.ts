import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toPromise } from 'xstate';
import { Agent, Crew, InterpolationError, Task, type Inputs } from '../../src/index.js';
import { replyingLLM, systemPrompt, taskPrompt } from '../helpers/crew-fixtures.js';
import { rejectionOf } from '../helpers/loop-fixtures.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function crewOf(
  texts: { role?: string; goal?: string; backstory?: string; description?: string; expectedOutput?: string },
  options: {
    outputFile?: string;
    beforeKickoff?: Array<(inputs: Inputs) => Inputs | void | Promise<Inputs | void>>;
  } = {},
) {
  const llm = replyingLLM(() => 'answer');
  const agent = new Agent({
    role: texts.role ?? 'Researcher',
    goal: texts.goal ?? 'Find facts',
    backstory: texts.backstory ?? 'Curious',
    llm,
  });
  const task = new Task({
    description: texts.description ?? 'Research',
    expectedOutput: texts.expectedOutput ?? 'Facts',
    agent,
    ...(options.outputFile ? { outputFile: options.outputFile } : {}),
  });
  const crew = new Crew({ agents: [agent], tasks: [task], beforeKickoff: options.beforeKickoff });
  return { crew, llm, agent, task };
}

describe('kickoff inputs', () => {
  it('fill all six fields: role, goal, backstory, description, expected output and output file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statecrew-interp-'));
    dirs.push(dir);
    const { crew, llm, task } = crewOf(
      {
        role: '{field} researcher',
        goal: 'Find facts on {topic}',
        backstory: 'Has studied {field} since {year}',
        description: 'Research {topic} for {audience}',
        expectedOutput: '{count} bullet points',
      },
      { outputFile: join(dir, '{topic}', 'report.md') },
    );

    const output = await crew.kickoff({
      field: 'AI',
      topic: 'agents',
      year: 2020,
      audience: 'CTOs',
      count: 5,
    });

    const system = systemPrompt(llm.calls[0]);
    expect(system).toContain('AI researcher');
    expect(system).toContain('Find facts on agents');
    expect(system).toContain('Has studied AI since 2020');
    const prompt = taskPrompt(llm.calls[0]);
    expect(prompt).toContain('Research agents for CTOs');
    expect(prompt).toContain('5 bullet points');
    expect(await readFile(join(dir, 'agents', 'report.md'), 'utf8')).toBe('answer');
    expect(task.output).toMatchObject({
      description: 'Research agents for CTOs',
      expectedOutput: '5 bullet points',
      agent: 'AI researcher',
    });
    expect(output.tasksOutput[0].name).toBe('Research agents for CTOs');
  });

  it('render numbers, booleans, null, arrays and objects', async () => {
    const { crew, llm } = crewOf({ description: 'n={n} b={b} z=[{z}] a={a} o={o}' });

    await crew.kickoff({ n: 3.5, b: false, z: null, a: [1, 'two'], o: { k: { deep: true } } });

    expect(taskPrompt(llm.calls[0])).toContain('n=3.5 b=false z=[] a=[1,"two"] o={"k":{"deep":true}}');
  });

  it('leave JSON braces and other non-placeholders alone', async () => {
    const { crew, llm } = crewOf({
      description: 'Answer as {"topic": "{topic}", "n": 1} or { topic } or {1x}',
    });

    await crew.kickoff({ topic: 'AI' });

    expect(taskPrompt(llm.calls[0])).toContain('Answer as {"topic": "AI", "n": 1} or { topic } or {1x}');
  });

  it('reject the kickoff before any model call when a placeholder has no input, naming variable and field', async () => {
    const { crew, llm } = crewOf({ description: 'Research {topic}', expectedOutput: 'A {format}' });

    const error = await crew.kickoff({ topic: 'AI' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InterpolationError);
    expect(error).toMatchObject({ code: 'missing_input', key: 'format' });
    expect((error as Error).message).toContain('format');
    expect((error as Error).message).toContain('expectedOutput');
    expect(llm.calls).toHaveLength(0);
  });

  it('name the agent field when the missing placeholder is in an agent', async () => {
    const { crew, llm } = crewOf({ description: 'Research {topic}', backstory: 'Born in {city}' });

    const error = await crew.kickoff({ topic: 'AI' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InterpolationError);
    expect((error as Error).message).toContain('city');
    expect((error as Error).message).toContain('backstory');
    expect(llm.calls).toHaveLength(0);
  });

  it('reject values that have no text form, naming the key', async () => {
    const { crew, llm } = crewOf({ description: 'Research {topic}' });

    const fn = await crew.kickoff({ topic: (() => 'x') as unknown as string }).catch((e: unknown) => e);
    const date = await crew.kickoff({ topic: new Date() as unknown as string }).catch((e: unknown) => e);

    for (const error of [fn, date]) {
      expect(error).toBeInstanceOf(InterpolationError);
      expect(error).toMatchObject({ code: 'invalid_input', key: 'topic' });
    }
    expect(llm.calls).toHaveLength(0);
  });

  it.each([
    ['no inputs', undefined],
    ['{}', {}],
  ])('leave placeholders as written with %s', async (_label, inputs) => {
    const { crew, llm } = crewOf({ role: '{field} expert', description: 'Research {topic}' });

    await crew.kickoff(inputs);

    expect(systemPrompt(llm.calls[0])).toContain('{field} expert');
    expect(taskPrompt(llm.calls[0])).toContain('Research {topic}');
  });

  it('run beforeKickoff callbacks first, in order, from {} when no inputs were given; they may change the inputs', async () => {
    const received: Inputs[] = [];
    const { crew, llm } = crewOf(
      { description: 'Research {topic} for {audience}' },
      {
        beforeKickoff: [
          (inputs) => {
            received.push({ ...inputs });
            return { ...inputs, topic: 'bees' };
          },
          async (inputs) => {
            received.push({ ...inputs });
            return { ...inputs, audience: 'kids' };
          },
        ],
      },
    );

    await crew.kickoff();

    expect(received).toEqual([{}, { topic: 'bees' }]);
    expect(taskPrompt(llm.calls[0])).toContain('Research bees for kids');
  });

  it('keep the inputs when a beforeKickoff callback returns nothing (it only looked, or changed them in place)', async () => {
    const { crew, llm } = crewOf(
      { description: 'Research {topic} for {audience}' },
      {
        beforeKickoff: [
          (inputs) => {
            inputs.audience = 'kids';
          },
        ],
      },
    );
    await crew.kickoff({ topic: 'bees' });
    expect(taskPrompt(llm.calls[0])).toContain('Research bees for kids');
    const actor = crew.createActor({ topic: 'ants' });
    actor.start();
    await toPromise(actor);
    expect(taskPrompt(llm.calls[1])).toContain('Research ants for kids');
  });

  it('never change the agent and task objects, so another kickoff with other inputs works', async () => {
    const { crew, llm, agent, task } = crewOf({ role: '{topic} expert', description: 'Research {topic}' });

    await crew.kickoff({ topic: 'AI' });
    await crew.kickoff({ topic: 'bees' });

    expect(agent.role).toBe('{topic} expert');
    expect(task.description).toBe('Research {topic}');
    expect(taskPrompt(llm.calls[1])).toContain('Research bees');
    expect(systemPrompt(llm.calls[1])).toContain('bees expert');
    expect(task.output?.description).toBe('Research bees');
  });

  it('do not mutate the inputs object given to kickoff', async () => {
    const inputs = { topic: 'AI', nested: { list: [1, 2] } };
    const frozen = JSON.stringify(inputs);
    const { crew } = crewOf({ description: 'Research {topic}' });

    await crew.kickoff(inputs);

    expect(JSON.stringify(inputs)).toBe(frozen);
  });
});

describe("a failed run's errors", () => {
  it('name the task as the run saw it, its inputs filled in', async () => {
    const agent = new Agent({
      role: 'Writer',
      goal: 'g',
      backstory: 'b',
      llm: { model: 'down', call: () => Promise.reject(new Error('model down')) },
      maxRetryLimit: 0,
    });
    const task = new Task({
      description: 'Write about {topic}',
      expectedOutput: 'x',
      agent,
      callback: () => {},
    });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    const error = (await rejectionOf(crew.kickoff({ topic: 'tides' }))) as Error;

    expect(error.message).toContain("Task 'Write about tides' failed: ");
    expect(error.message).not.toContain('{topic}');
  });

  it("name it in a failed callback's error too", async () => {
    const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm: replyingLLM(() => 'ok') });
    const callback = () => {
      throw new Error('disk full');
    };
    const task = new Task({ description: 'Write about {topic}', expectedOutput: 'x', agent, callback });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    const error = (await rejectionOf(crew.kickoff({ topic: 'tides' }))) as Error;

    expect(error.message).toContain("The callback of task 'Write about tides'");
    expect(error.message).not.toContain('{topic}');
  });
});
