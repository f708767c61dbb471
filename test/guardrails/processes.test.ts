import { describe, expect, it } from 'vitest';
import { Crew, Task, type Guardrail } from '../../src/index.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';
import { contents, lastMessage, taskStateRecorder, writer } from '../helpers/human-fixtures.js';

const atMost =
  (max: number): Guardrail =>
  (output) =>
    output.raw.length <= max ? [true, output.raw] : [false, `longer than ${max} characters`];

const verdict = (valid: boolean, feedback = '') => JSON.stringify({ valid, feedback });

describe('guardrails in async tasks', () => {
  it('retry an async task while the crew moves on, and join it with the final answer', async () => {
    const slow = writer(['a much too long first answer', 'short'], 'slow');
    const other = writer(['other work'], 'other');
    const states = taskStateRecorder();
    const background = new Task({
      id: 'background',
      description: 'Background work',
      expectedOutput: 'short text',
      agent: slow.agent,
      asyncExecution: true,
      guardrail: atMost(10),
    });
    const next = new Task({
      id: 'next',
      description: 'Other work',
      expectedOutput: 'text',
      agent: other.agent,
      context: [],
    });
    const crew = new Crew({ agents: [slow.agent, other.agent], tasks: [background, next] });
    const output = await crew.kickoff(undefined, { inspect: states.inspect });

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['short', 'other work']);
    expect(states.statesOf('background')).toContain('guardrail-retry');
    expect(lastMessage(slow.llm.calls[1])).toContain('longer than 10 characters');
  });
});

describe('guardrails in a hierarchical crew', () => {
  function hierarchical(managerScript: ScriptedReply[], writerScript: ScriptedReply[], guardrail: Guardrail) {
    const managerLlm = new ScriptedLLM(managerScript, { model: 'manager-model' });
    const w = writer(writerScript);
    const task = new Task({
      id: 'slogan',
      description: 'Write a slogan',
      expectedOutput: 'one slogan',
      agent: w.agent,
      guardrail,
    });
    const crew = new Crew({ agents: [w.agent], tasks: [task], process: 'hierarchical', managerLlm });
    return { crew, managerLlm, writerLlm: w.llm };
  }

  it('send the manager back to work with the error and its rejected answer', async () => {
    const states = taskStateRecorder();
    const { crew, managerLlm } = hierarchical(['The manager wrote a long one', 'Short'], [], atMost(10));
    const output = await crew.kickoff(undefined, { inspect: states.inspect });

    expect(output.raw).toBe('Short');
    expect(output.tasksOutput[0].agent).toBe('Crew Manager');
    expect(states.statesOf('slogan')).toContain('guardrail-retry');
    expect(managerLlm.calls).toHaveLength(2);
    expect(lastMessage(managerLlm.calls[1])).toContain('longer than 10 characters');
    expect(contents(managerLlm.calls[1], 'assistant')).toEqual(['The manager wrote a long one']);
  });

  it("take a coworker's reply in the retry too (the loop of guardrail-retry delegates)", async () => {
    const states = taskStateRecorder();
    const delegate = (id: string) => ({
      toolCalls: [
        {
          id,
          name: 'delegate_work',
          arguments: { task: 'Write it', context: 'a slogan', coworker: 'Writer' },
        },
      ],
    });
    const { crew, managerLlm, writerLlm } = hierarchical(
      [
        delegate('c1'),
        (r) => `${r.messages.at(-1)?.content}`,
        delegate('c2'),
        (r) => `${r.messages.at(-1)?.content}`,
      ],
      ['A very long slogan indeed', 'Short'],
      atMost(10),
    );
    const output = await crew.kickoff(undefined, { inspect: states.inspect });

    expect(output.raw).toBe('Short');
    expect(states.statesOf('slogan')).toContain('guardrail-retry');
    expect(writerLlm.calls).toHaveLength(2);
    expect(managerLlm.calls).toHaveLength(4);
    // The retry's tool round got the writer's second answer as the delegate_work result.
    expect(managerLlm.calls[3].messages.at(-1)).toMatchObject({ role: 'tool', content: 'Short' });
  });

  it('judge a string guardrail with the model of the task’s agent, not the manager’s', async () => {
    const { crew, managerLlm, writerLlm } = hierarchical(
      ['no bread here', 'bread at last'],
      [verdict(false, 'Mention bread.'), verdict(true)],
      'The slogan must mention bread.',
    );
    const output = await crew.kickoff();

    expect(output.raw).toBe('bread at last');
    expect(managerLlm.calls).toHaveLength(2);
    expect(writerLlm.calls.map((c) => c.responseFormat?.name)).toEqual([
      'guardrail_result',
      'guardrail_result',
    ]);
    expect(lastMessage(managerLlm.calls[1])).toContain('Mention bread.');
    expect(output.tokenUsage.successfulRequests).toBe(4);
  });

  it('judge with the manager’s model when the task has no agent', async () => {
    const managerLlm = new ScriptedLLM(['bread', verdict(true)], { model: 'manager-model' });
    const w = writer([]);
    const crew = new Crew({
      agents: [w.agent],
      tasks: [
        new Task({ description: 'Write a slogan', expectedOutput: 'one', guardrail: 'Must mention bread.' }),
      ],
      process: 'hierarchical',
      managerLlm,
    });

    expect((await crew.kickoff()).raw).toBe('bread');
    expect(managerLlm.calls[1].responseFormat?.name).toBe('guardrail_result');
  });
});
