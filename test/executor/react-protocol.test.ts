// SPEC §4.3: the ReAct text protocol, for models with `supportsFunctionCalling: false`, through `Crew.kickoff()`.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tool, type AgentStep } from '../../src/index.js';
import { lastMessage, recordingTool, soloCrew, textOf } from '../helpers/loop-fixtures.js';
import type { ScriptedReply } from '../../src/testing/index.js';

const REACT = { supportsFunctionCalling: false };

function reactCrew(script: ScriptedReply[], extra: { maxIter?: number } = {}) {
  const search = recordingTool('search');
  const lookup = recordingTool('lookup');
  const solo = soloCrew({
    script,
    llmOptions: REACT,
    agent: { tools: [search.tool, lookup.tool], ...extra },
  });
  return { ...solo, search, lookup };
}

const action = (tool: string, input: string, thought = 'I should look this up') =>
  `Thought: ${thought}\nAction: ${tool}\nAction Input: ${input}`;

describe('the ReAct text protocol', () => {
  it('describes the tools, their JSON Schema arguments and the format in the system prompt', async () => {
    const { crew, llm } = reactCrew(['Final Answer: done']);
    await crew.kickoff();

    const system = llm.calls[0].messages[0];
    expect(system.role).toBe('system');
    expect(system.content).toContain('Tool Name: search');
    expect(system.content).toContain('Tool Description: The search tool');
    expect(system.content).toContain('Tool Name: lookup');
    // The search tool's arguments, as the JSON Schema written on its line (key order is zod's to choose).
    const line = /Tool Name: search\nTool Arguments: (.*)\n/.exec(system.content ?? '')?.[1] ?? '';
    expect(JSON.parse(line)).toMatchObject({
      type: 'object',
      properties: { q: { type: 'string', description: 'What to look for' } },
    });
    for (const label of ['Thought:', 'Action:', 'Action Input:', 'Observation:', 'Final Answer:'])
      expect(system.content).toContain(label);
  });

  it('writes the output schema into the task prompt, since an acting ReAct request carries no response format', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: ['Final Answer: {"headline": "Tea", "score": 3}'],
      llmOptions: REACT,
      agent: { tools: [search.tool] },
      task: { outputSchema: z.object({ headline: z.string(), score: z.number() }) },
    });
    const output = await crew.kickoff();

    expect(llm.calls[0]).not.toHaveProperty('responseFormat');
    const prompt = textOf(llm.calls[0].messages[1]);
    expect(prompt).toContain('The JSON Schema your answer must match:');
    expect(prompt).toContain('"headline":{"type":"string"}');
    expect(prompt).toContain('"score":{"type":"number"}');
    expect(output.json).toEqual({ headline: 'Tea', score: 3 });
  });

  it('never sends a tools field to the model', async () => {
    const { crew, llm } = reactCrew([action('search', '{"q": "octopus"}'), 'Final Answer: done']);
    await crew.kickoff();
    expect(llm.calls).toHaveLength(2);
    for (const request of llm.calls) expect(request).not.toHaveProperty('tools');
  });

  it('runs the tool named by Action: with Action Input:, and returns the observation in a user message', async () => {
    const reply = action('search', '{"q": "octopus"}');
    const { crew, llm, search } = reactCrew([reply, 'Thought: I know\nFinal Answer: eight arms']);
    const output = await crew.kickoff();

    expect(search.seen).toEqual(['octopus']);
    const second = llm.calls[1].messages;
    expect(second).toHaveLength(4);
    expect(second[2]).toEqual({ role: 'assistant', content: reply });
    expect(second[3].role).toBe('user');
    expect(second[3].content).toMatch(/^Observation: search:octopus/);
    expect(second.some((m) => m.role === 'tool')).toBe(false);
    expect(output.raw).toBe('eight arms');
  });

  it('lets Final Answer: win when a reply also has an action', async () => {
    const { crew, llm, search } = reactCrew([
      `${action('search', '{"q": "octopus"}')}\nObservation: made up\nThought: done\nFinal Answer: 42`,
    ]);
    const output = await crew.kickoff();

    expect(output.raw).toBe('42');
    expect(search.seen).toEqual([]);
    expect(llm.calls).toHaveLength(1);
  });

  it('takes a reply with neither a final answer nor an action as the final answer verbatim', async () => {
    const reply = 'Octopuses have three hearts.\nThey also have blue blood.';
    const { crew, llm } = reactCrew([reply]);
    const output = await crew.kickoff();
    expect(output.raw).toBe(reply);
    expect(llm.calls).toHaveLength(1);
  });

  it('finds a tool named as crewAI would find it: case and spaces aside (Action: Search)', async () => {
    const { crew, search } = reactCrew([action(' Search ', '{"q": "octopus"}'), 'Final Answer: ok']);
    await crew.kickoff();
    expect(search.seen).toEqual(['octopus']);
  });

  it('takes a repeat of the call just before under another case of its name for a repeat', async () => {
    const { crew, search, llm } = reactCrew([
      action('search', '{"q": "octopus"}'),
      action('Search', '{"q": "octopus"}'),
      'Final Answer: ok',
    ]);
    await crew.kickoff();
    expect(search.seen).toEqual(['octopus']);
    expect(textOf(lastMessage(llm.calls[2]))).toContain('I tried reusing the same input');
  });

  it('reads an Action Input written as a Python dict, with bare keys or a trailing comma, as crewAI does', async () => {
    for (const input of ["{'q': 'octopus'}", '{q: "octopus"}', '{"q": "octopus",}']) {
      const { crew, search } = reactCrew([action('search', input), 'Final Answer: ok']);
      await crew.kickoff();
      expect(search.seen).toEqual(['octopus']);
    }
  });

  it('tells the model in the observation when the action names no known tool', async () => {
    const { crew, llm } = reactCrew([action('browse', '{"q": "x"}'), 'Final Answer: ok']);
    await crew.kickoff();
    const observation = textOf(lastMessage(llm.calls[1]));
    expect(observation).toContain("'browse'");
    expect(observation).toMatch(/does not exist/);
    expect(observation).toContain('search');
    expect(observation).toContain('lookup');
  });

  it('carries an argument validation error back in the observation', async () => {
    const { crew, llm, search } = reactCrew([action('search', '{"q": 7}'), 'Final Answer: ok']);
    await crew.kickoff();
    expect(search.seen).toEqual([]);
    expect(textOf(lastMessage(llm.calls[1]))).toMatch(/invalid arguments/i);
  });

  it('carries the error of a throwing tool back in the observation', async () => {
    const broken = tool({
      name: 'broken',
      description: 'broken',
      schema: z.object({}),
      execute: () => {
        throw new Error('disk full');
      },
    });
    const { crew, llm } = soloCrew({
      script: [action('broken', '{}'), 'Final Answer: ok'],
      llmOptions: REACT,
      agent: { tools: [broken] },
    });
    await crew.kickoff();
    expect(textOf(lastMessage(llm.calls[1]))).toContain('disk full');
  });

  it('does not run an action repeated with the same input, and says so in the observation', async () => {
    const { crew, llm, search } = reactCrew([
      action('search', '{"q": "x"}'),
      action('search', '{"q": "x"}'),
      'Final Answer: ok',
    ]);
    await crew.kickoff();
    expect(search.seen).toEqual(['x']);
    expect(textOf(lastMessage(llm.calls[2]))).toMatch(/same input/i);
  });

  it('forces a final answer after maxIter actions, reading Final Answer: from that reply', async () => {
    const { crew, llm, search } = reactCrew(
      [action('search', '{"q": "1"}'), 'Thought: fine\nFinal Answer: forced'],
      { maxIter: 1 },
    );
    const output = await crew.kickoff();

    expect(llm.calls).toHaveLength(2);
    expect(search.seen).toEqual(['1']);
    expect(textOf(lastMessage(llm.calls[1]))).toMatch(/final answer/i);
    expect(output.raw).toBe('forced');
  });

  it('takes the whole forced reply as the answer when it still asks for an action', async () => {
    const again = action('search', '{"q": "2"}');
    const { crew, search } = reactCrew([action('search', '{"q": "1"}'), again], { maxIter: 1 });
    const output = await crew.kickoff();
    expect(search.seen).toEqual(['1']);
    expect(output.raw).toBe(again);
  });

  it('reports the action as a tool call step with its parsed input', async () => {
    const steps: AgentStep[] = [];
    const { crew } = soloCrew({
      script: [action('search', '{"q": "octopus"}'), 'Final Answer: done'],
      llmOptions: REACT,
      agent: { tools: [recordingTool('search').tool], stepCallback: (s) => void steps.push(s) },
    });
    await crew.kickoff();

    expect(steps.map((s) => s.kind)).toEqual(['answer', 'tool_call', 'tool_result', 'answer']);
    expect(steps[1]).toMatchObject({ call: { name: 'search', arguments: '{"q": "octopus"}' } });
    expect(steps[2]).toMatchObject({ result: 'search:octopus', isError: false });
  });

  it('teaches only the final answer format when the agent has no tools', async () => {
    const { crew, llm } = soloCrew({ script: ['Final Answer: plain'], llmOptions: REACT });
    const output = await crew.kickoff();
    expect(output.raw).toBe('plain');
    expect(llm.calls[0].messages[0].content).not.toContain('Tool Name:');
    expect(llm.calls[0]).not.toHaveProperty('tools');
  });
});
