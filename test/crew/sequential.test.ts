import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Agent, Crew, Process, Task } from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import {
  deferred,
  replyingLLM,
  REPLY_USAGE,
  scriptedAgent,
  systemPrompt,
  taskPrompt,
  until,
} from '../helpers/crew-fixtures.js';

const root = join(import.meta.dirname, '..', '..');

describe('a sequential crew', () => {
  it('runs its tasks in list order, each by its own agent', async () => {
    const order: string[] = [];
    const researcher = scriptedAgent('Researcher', [
      () => {
        order.push('research');
        return 'facts';
      },
    ]);
    const writer = scriptedAgent('Writer', [
      () => {
        order.push('write');
        return 'article';
      },
    ]);
    const research = new Task({
      description: 'Research octopuses',
      expectedOutput: 'facts',
      agent: researcher.agent,
    });
    const write = new Task({ description: 'Write it up', expectedOutput: 'article', agent: writer.agent });
    const crew = new Crew({ agents: [researcher.agent, writer.agent], tasks: [research, write] });

    const output = await crew.kickoff();

    expect(order).toEqual(['research', 'write']);
    expect(systemPrompt(researcher.llm.calls[0])).toContain('Researcher');
    expect(taskPrompt(researcher.llm.calls[0])).toContain('Research octopuses');
    expect(systemPrompt(writer.llm.calls[0])).toContain('Writer');
    expect(taskPrompt(writer.llm.calls[0])).toContain('Write it up');
    expect(output.raw).toBe('article');
  });

  it('sets task.output after a run (undefined before)', async () => {
    const { agent } = scriptedAgent('Solo', ['one', 'two']);
    const first = new Task({ description: 'First', expectedOutput: 'x', agent });
    const second = new Task({ description: 'Second', expectedOutput: 'y', agent });
    const crew = new Crew({ agents: [agent], tasks: [first, second] });
    expect(first.output).toBeUndefined();

    await crew.kickoff();

    expect(first.output?.raw).toBe('one');
    expect(second.output?.raw).toBe('two');
  });

  it('can be kicked off again: a fresh run that calls the models again and updates the outputs', async () => {
    const { agent, llm } = scriptedAgent('Solo', ['first run', 'second run']);
    const task = new Task({ description: 'Say {what}', expectedOutput: 'x', agent });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    const a = await crew.kickoff({ what: 'hello' });
    const b = await crew.kickoff({ what: 'goodbye' });

    expect([a.raw, b.raw]).toEqual(['first run', 'second run']);
    expect(a.runId).not.toBe(b.runId);
    expect(task.output?.raw).toBe('second run');
    expect(taskPrompt(llm.calls[0])).toContain('Say hello');
    expect(taskPrompt(llm.calls[1])).toContain('Say goodbye');
    expect(task.description).toBe('Say {what}');
  });

  it('runs two kickoffs of one crew at the same time, each with its own inputs', async () => {
    const gates = { AI: deferred<string>(), bees: deferred<string>() };
    const script = replyingLLM((request) => {
      const topic = taskPrompt(request).includes('AI') ? 'AI' : 'bees';
      return taskPrompt(request).includes('Write') ? `article on ${topic}` : gates[topic].promise;
    });
    const agent = new Agent({ role: 'Expert on {topic}', goal: 'know {topic}', backstory: 'b', llm: script });
    const research = new Task({ description: 'Research {topic}', expectedOutput: 'facts', agent });
    const write = new Task({ description: 'Write about {topic}', expectedOutput: 'text', agent });
    const crew = new Crew({ agents: [agent], tasks: [research, write] });

    const ai = crew.kickoff({ topic: 'AI' });
    const bees = crew.kickoff({ topic: 'bees' });
    await until(() => script.calls.length === 2);
    gates.bees.resolve('facts on bees');
    gates.AI.resolve('facts on AI');
    const [aiOut, beesOut] = await Promise.all([ai, bees]);

    expect(aiOut.tasksOutput.map((t) => t.raw)).toEqual(['facts on AI', 'article on AI']);
    expect(beesOut.tasksOutput.map((t) => t.raw)).toEqual(['facts on bees', 'article on bees']);
    const prompts = script.calls.map((r) => `${systemPrompt(r)}\n${taskPrompt(r)}`);
    for (const prompt of prompts) {
      const topic = prompt.includes('Expert on AI') ? 'AI' : 'bees';
      const other = topic === 'AI' ? 'bees' : 'AI';
      expect(prompt).not.toContain(other);
      expect(prompt).not.toContain('{topic}');
    }
    expect(prompts.filter((p) => p.includes('Expert on AI'))).toHaveLength(2);
    expect(aiOut.tasksOutput[1].description).toBe('Write about AI');
    expect(beesOut.tasksOutput[1].description).toBe('Write about bees');
  });

  it('reports the usage of the last kickoff in usageMetrics', async () => {
    const { agent } = scriptedAgent('Solo', ['a', 'b', 'c']);
    const crew = new Crew({
      agents: [agent],
      tasks: [
        new Task({ description: 'One', expectedOutput: 'x', agent }),
        new Task({ description: 'Two', expectedOutput: 'x', agent }),
      ],
    });
    const one = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Solo', expectedOutput: 'x', agent })],
    });

    const output = await crew.kickoff();
    expect(crew.usageMetrics).toEqual(output.tokenUsage);
    expect(crew.usageMetrics).toMatchObject({
      promptTokens: 2 * REPLY_USAGE.promptTokens,
      completionTokens: 2 * REPLY_USAGE.completionTokens,
      totalTokens: 2 * REPLY_USAGE.totalTokens,
      successfulRequests: 2,
    });
    await one.kickoff();
    expect(one.usageMetrics.successfulRequests).toBe(1);
  });

  it('lists every placeholder of its tasks and agents in fetchInputs()', () => {
    const agent = new Agent({
      role: '{field} researcher',
      goal: 'Find {topic}',
      backstory: 'Knows {era} and JSON like {"a": 1}',
      llm: new ScriptedLLM([]),
    });
    const task = new Task({
      description: 'Research {topic} in {year}',
      expectedOutput: '{count} bullet points',
      outputFile: 'out/{topic}.md',
      agent,
    });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    expect(crew.fetchInputs()).toEqual(new Set(['topic', 'year', 'count', 'field', 'era']));
  });

  it("includes a manager agent's placeholders in fetchInputs()", () => {
    const manager = new Agent({
      role: '{dept} lead',
      goal: 'Ship {product}',
      backstory: 'b',
      llm: new ScriptedLLM([]),
    });
    const crew = new Crew({
      agents: [new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm: new ScriptedLLM([]) })],
      tasks: [new Task({ description: 'Plan {topic}', expectedOutput: 'x' })],
      process: Process.hierarchical,
      managerAgent: manager,
    });

    expect(crew.fetchInputs()).toEqual(new Set(['topic', 'dept', 'product']));
  });

  it('exposes its statechart as crew.machine, by process', () => {
    const { agent } = scriptedAgent('Solo', []);
    const task = new Task({ description: 'T', expectedOutput: 'x', agent });
    const sequential = new Crew({ agents: [agent], tasks: [task] });
    const hierarchical = new Crew({
      agents: [agent],
      tasks: [task],
      process: Process.hierarchical,
      managerLlm: new ScriptedLLM([]),
    });

    expect(sequential.machine.id).toBe('crew.sequential');
    expect(hierarchical.machine.id).toBe('crew.hierarchical');
  });
});

describe('stable ids', () => {
  const define = () => {
    const agent = new Agent({ role: 'Researcher', goal: 'Find facts', backstory: 'Curious' });
    const task = new Task({ description: 'Research {topic}', expectedOutput: 'facts', agent });
    return { agent: agent.id, task: task.id };
  };

  it('gives the same definition the same id, and another definition another id', () => {
    expect(define()).toEqual(define());
    const other = new Agent({ role: 'Researcher', goal: 'Find facts', backstory: 'Bored' });
    const otherTask = new Task({ description: 'Research {topic}', expectedOutput: 'a list' });
    expect(other.id).not.toBe(define().agent);
    expect(otherTask.id).not.toBe(define().task);
  });

  it('uses the id option when given', () => {
    const agent = new Agent({ id: 'my-agent', role: 'R', goal: 'g', backstory: 'b' });
    expect(agent.id).toBe('my-agent');
    expect(new Task({ id: 'my-task', description: 'd', expectedOutput: 'e' }).id).toBe('my-task');
  });

  it('gives the same ids in another process', async () => {
    const entry = pathToFileURL(join(root, 'src', 'index.ts')).href;
    const script = `
      import { Agent, Task } from ${JSON.stringify(entry)};
      const agent = new Agent({ role: 'Researcher', goal: 'Find facts', backstory: 'Curious' });
      const task = new Task({ description: 'Research {topic}', expectedOutput: 'facts', agent });
      process.stdout.write(JSON.stringify({ agent: agent.id, task: task.id }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root },
    );

    expect(JSON.parse(stdout)).toEqual(define());
  });
});
