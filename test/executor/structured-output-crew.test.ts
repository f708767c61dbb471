// SPEC §5.6: structured output through a real crew — responseFormat, parsing, re-asking, OutputParsingError.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { Agent, Crew, OutputParsingError, Task, TaskExecutionError } from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import { call, lastMessage, recordingTool, rejectionOf, soloCrew, textOf } from '../helpers/loop-fixtures.js';

const Animal = z.object({ name: z.string(), legs: z.number().int() });
const octopus = { name: 'octopus', legs: 8 };

describe('structured output', () => {
  it('sends the task schema as responseFormat with every request', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'x' })] }, JSON.stringify(octopus)],
      agent: { tools: [search.tool] },
      task: { outputSchema: Animal },
    });
    await crew.kickoff();

    expect(llm.calls).toHaveLength(2);
    for (const request of llm.calls) {
      expect(request.responseFormat?.schema).toBe(Animal);
      expect(request.responseFormat?.name).toEqual(expect.any(String));
    }
  });

  it('sends no responseFormat without an outputSchema', async () => {
    const { crew, llm } = soloCrew({ script: ['plain'] });
    await crew.kickoff();
    expect(llm.calls[0]).not.toHaveProperty('responseFormat');
  });

  it.each([
    ['plain JSON', JSON.stringify(octopus)],
    [
      'a fenced block',
      `Here it is:\n\`\`\`json\n${JSON.stringify(octopus, null, 2)}\n\`\`\`\nHope that helps.`,
    ],
    ['an embedded object', `The answer is ${JSON.stringify(octopus)} as requested.`],
  ])('parses %s into parsed and json', async (_label, answer) => {
    const { crew, task } = soloCrew({ script: [answer], task: { outputSchema: Animal } });
    const output = await crew.kickoff();

    const taskOutput = output.tasksOutput[0];
    expect(taskOutput.parsed).toEqual(octopus);
    expect(taskOutput.json).toEqual(octopus);
    expect(taskOutput.raw).toBe(answer);
    expect(taskOutput.outputFormat).toBe('json');
    expect(taskOutput.toString()).toBe(JSON.stringify(octopus));
    expect(task.output?.parsed).toEqual(octopus);
    expect(output.parsed).toEqual(octopus);
    expect(output.json).toEqual(octopus);
  });

  it('types task.output.parsed by the schema', () => {
    const task = new Task({ description: 'd', expectedOutput: 'e', outputSchema: Animal });
    expectTypeOf(task.output?.parsed).toEqualTypeOf<{ name: string; legs: number } | undefined>();
  });

  it('keeps the values the schema produced (defaults and transforms), not the raw JSON', async () => {
    const Schema = z.object({
      name: z.string().transform((s) => s.toUpperCase()),
      kind: z.string().default('animal'),
    });
    const { crew } = soloCrew({ script: ['{"name":"octopus"}'], task: { outputSchema: Schema } });
    const output = await crew.kickoff();
    expect(output.tasksOutput[0].parsed).toEqual({ name: 'OCTOPUS', kind: 'animal' });
  });

  it('takes parsed and json for the crew output from the last task', async () => {
    const llm = new ScriptedLLM([JSON.stringify(octopus), '{"name":"squid","legs":10}']);
    const agent = new Agent({ role: 'R', goal: 'g', backstory: 'b', llm });
    const crew = new Crew({
      agents: [agent],
      tasks: [
        new Task({ description: 'one', expectedOutput: 'x', agent, outputSchema: Animal }),
        new Task({ description: 'two', expectedOutput: 'x', agent, outputSchema: Animal }),
      ],
    });
    const output = await crew.kickoff();
    expect(output.parsed).toEqual({ name: 'squid', legs: 10 });
    expect(output.json).toEqual({ name: 'squid', legs: 10 });
    expect(output.tasksOutput[0].parsed).toEqual(octopus);
  });

  it('has no crew-level parsed or json when the last task is not structured', async () => {
    const llm = new ScriptedLLM([JSON.stringify(octopus), 'prose']);
    const agent = new Agent({ role: 'R', goal: 'g', backstory: 'b', llm });
    const crew = new Crew({
      agents: [agent],
      tasks: [
        new Task({ description: 'one', expectedOutput: 'x', agent, outputSchema: Animal }),
        new Task({ description: 'two', expectedOutput: 'x', agent }),
      ],
    });
    const output = await crew.kickoff();
    expect(output.raw).toBe('prose');
    expect(output.parsed).toBeUndefined();
    expect(output.json).toBeUndefined();
  });

  it('asks the model again with the validation error when the answer does not match', async () => {
    const { crew, llm } = soloCrew({
      script: ['{"name":"octopus","legs":"eight"}', JSON.stringify(octopus)],
      task: { outputSchema: Animal },
    });
    const output = await crew.kickoff();

    expect(llm.calls).toHaveLength(2);
    const retry = llm.calls[1];
    expect(retry.messages.at(-2)).toEqual({
      role: 'assistant',
      content: '{"name":"octopus","legs":"eight"}',
    });
    expect(lastMessage(retry).role).toBe('user');
    expect(textOf(lastMessage(retry))).toContain('legs');
    expect(textOf(lastMessage(retry))).toMatch(/expected number/i);
    expect(retry.responseFormat?.schema).toBe(Animal);
    expect(output.parsed).toEqual(octopus);
  });

  it('asks again when the answer holds no JSON at all', async () => {
    const { crew, llm } = soloCrew({
      script: ['An octopus has eight legs.', JSON.stringify(octopus)],
      task: { outputSchema: Animal },
    });
    await crew.kickoff();
    expect(llm.calls).toHaveLength(2);
    expect(textOf(lastMessage(llm.calls[1]))).toMatch(/JSON/);
  });

  it('fails with OutputParsingError after 3 re-asks (4 calls), without whole-task retries', async () => {
    const { crew, llm } = soloCrew({
      script: ['nope 1', 'nope 2', 'nope 3', '{"name":1}', 'never asked'],
      agent: { maxRetryLimit: 2 },
      task: { outputSchema: Animal },
    });
    const error = await rejectionOf(crew.kickoff());

    expect(llm.calls).toHaveLength(4);
    expect(error).toBeInstanceOf(OutputParsingError);
    expect(error).not.toBeInstanceOf(TaskExecutionError);
    expect((error as OutputParsingError).code).toBe('output_parsing_failed');
    expect((error as Error).message).toContain('name');
    // It names its task, like every task failure.
    expect((error as OutputParsingError).taskId).toBe(crew.tasks[0].id);
    expect((error as Error).message).toContain(`Task '${crew.tasks[0].label}'`);
  });

  it('parses the answer a resultAsAnswer tool gave', async () => {
    const report = recordingTool('report', { answer: () => octopus, resultAsAnswer: true });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('report', { q: 'x' })] }],
      agent: { tools: [report.tool] },
      task: { outputSchema: Animal },
    });
    const output = await crew.kickoff();
    expect(output.parsed).toEqual(octopus);
    expect(llm.calls).toHaveLength(1);
  });

  it('does not hold a ReAct model with tools to JSON while it may still act, only on the forced last call', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: ['Thought: look\nAction: search\nAction Input: {"q": "x"}', JSON.stringify(octopus)],
      llmOptions: { supportsFunctionCalling: false },
      agent: { tools: [search.tool], maxIter: 1 },
      task: { outputSchema: Animal },
    });
    const output = await crew.kickoff();

    expect(search.seen).toEqual(['x']);
    expect(llm.calls[0]).not.toHaveProperty('responseFormat');
    expect(llm.calls[1].responseFormat?.schema).toBe(Animal);
    expect(output.parsed).toEqual(octopus);
  });

  it('parses a ReAct final answer, asking a ReAct model without tools for the format', async () => {
    const { crew, llm } = soloCrew({
      script: [`Thought: done\nFinal Answer: ${JSON.stringify(octopus)}`],
      llmOptions: { supportsFunctionCalling: false },
      task: { outputSchema: Animal },
    });
    const output = await crew.kickoff();
    expect(output.parsed).toEqual(octopus);
    expect(llm.calls[0].responseFormat?.schema).toBe(Animal);
  });
});
