import { describe, expect, it } from 'vitest';
import { ConditionalTask, Crew, Task } from '../../src/index.js';
import {
  contextOf,
  deferred,
  replyingLLM,
  scriptedAgent,
  taskPrompt,
  until,
} from '../helpers/crew-fixtures.js';

const DIVIDER = '\n\n----------\n\n';

/** An agent whose model answers each task with `<description> output`, recording every request. */
function echoingAgent() {
  const llm = replyingLLM((request) => `${/Current Task: (\w+)/.exec(taskPrompt(request))?.[1]} output`);
  const { agent } = scriptedAgent('Worker', llm);
  const promptOf = (description: string) => {
    const request = llm.calls.find((r) => taskPrompt(r).includes(`Current Task: ${description}`));
    if (!request) throw new Error(`no request for ${description}`);
    return request;
  };
  return { agent, llm, promptOf };
}

describe('task context', () => {
  it('gives the first task no context section', async () => {
    const { agent, promptOf } = echoingAgent();
    await new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'A', expectedOutput: 'x', agent })],
    }).kickoff();

    expect(contextOf(promptOf('A'))).toBeUndefined();
  });

  it('gives a sync task every earlier output by default, in crew order, with the divider', async () => {
    const { agent, promptOf } = echoingAgent();
    const tasks = ['A', 'B', 'C'].map((description) => new Task({ description, expectedOutput: 'x', agent }));
    await new Crew({ agents: [agent], tasks }).kickoff();

    expect(contextOf(promptOf('B'))).toBe('A output');
    expect(contextOf(promptOf('C'))).toBe(`A output${DIVIDER}B output`);
  });

  it('leaves skipped tasks out of the default context', async () => {
    const { agent, promptOf } = echoingAgent();
    const a = new Task({ description: 'A', expectedOutput: 'x', agent });
    const skipped = new ConditionalTask({
      description: 'Skipped',
      expectedOutput: 'x',
      agent,
      condition: () => false,
    });
    const c = new Task({ description: 'C', expectedOutput: 'x', agent });
    await new Crew({ agents: [agent], tasks: [a, skipped, c] }).kickoff();

    expect(contextOf(promptOf('C'))).toBe('A output');
  });

  it('gives an async task the outputs finished when it starts', async () => {
    const gate = deferred<string>();
    const llm = replyingLLM((request) => {
      const name = /Current Task: (\w+)/.exec(taskPrompt(request))?.[1] ?? '';
      return name === 'B' ? gate.promise : `${name} output`;
    });
    const { agent } = scriptedAgent('Worker', llm);
    const tasks = [
      new Task({ description: 'A', expectedOutput: 'x', agent }),
      new Task({ description: 'B', expectedOutput: 'x', agent, asyncExecution: true }),
      new Task({ description: 'C', expectedOutput: 'x', agent, asyncExecution: true }),
      new Task({ description: 'D', expectedOutput: 'x', agent }),
    ];
    const run = new Crew({ agents: [agent], tasks }).kickoff();
    await until(() => llm.calls.length === 3);
    gate.resolve('B output');
    await run;

    const promptOf = (name: string) =>
      llm.calls.find((r) => taskPrompt(r).includes(`Current Task: ${name}`))!;
    expect(contextOf(promptOf('B'))).toBe('A output');
    // B had not finished when C started.
    expect(contextOf(promptOf('C'))).toBe('A output');
    expect(contextOf(promptOf('D'))).toBe(['A output', 'B output', 'C output'].join(DIVIDER));
  });

  it('gives a task with context [a, b] exactly those outputs, in that order', async () => {
    const { agent, promptOf } = echoingAgent();
    const a = new Task({ description: 'A', expectedOutput: 'x', agent });
    const b = new Task({ description: 'B', expectedOutput: 'x', agent });
    const c = new Task({ description: 'C', expectedOutput: 'x', agent });
    const d = new Task({ description: 'D', expectedOutput: 'x', agent, context: [c, a] });
    await new Crew({ agents: [agent], tasks: [a, b, c, d] }).kickoff();

    expect(contextOf(promptOf('D'))).toBe(`C output${DIVIDER}A output`);
    expect(taskPrompt(promptOf('D'))).not.toContain('B output');
  });

  it('gives a task with context [] no context section at all', async () => {
    const { agent, promptOf } = echoingAgent();
    const a = new Task({ description: 'A', expectedOutput: 'x', agent });
    const b = new Task({ description: 'B', expectedOutput: 'x', agent, context: [] });
    await new Crew({ agents: [agent], tasks: [a, b] }).kickoff();

    expect(contextOf(promptOf('B'))).toBeUndefined();
    expect(taskPrompt(promptOf('B'))).not.toContain('A output');
  });

  it('leaves a skipped task named in an explicit context out', async () => {
    const { agent, promptOf } = echoingAgent();
    const a = new Task({ description: 'A', expectedOutput: 'x', agent });
    const skipped = new ConditionalTask({
      description: 'Skipped',
      expectedOutput: 'x',
      agent,
      condition: () => false,
    });
    const c = new Task({ description: 'C', expectedOutput: 'x', agent, context: [skipped, a] });
    await new Crew({ agents: [agent], tasks: [a, skipped, c] }).kickoff();

    expect(contextOf(promptOf('C'))).toBe('A output');
  });
});
