import { describe, expect, it } from 'vitest';
import { parseReAct, reactObservation, reactToolInstructions } from '../../src/executor/react.js';
import type { ToolDefinition } from '../../src/llm/types.js';

const search: ToolDefinition = {
  name: 'search',
  description: 'Search the web',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};
const calculator: ToolDefinition = {
  name: 'calculator',
  description: 'Evaluate arithmetic',
  parameters: { type: 'object', properties: { expression: { type: 'string' } } },
};

describe('reactToolInstructions', () => {
  const text = reactToolInstructions([search, calculator]);

  it('should describe every tool with its name, JSON Schema arguments and description', () => {
    expect(text).toContain(
      `Tool Name: search\nTool Arguments: ${JSON.stringify(search.parameters)}\nTool Description: Search the web`,
    );
    expect(text).toContain(
      `Tool Name: calculator\nTool Arguments: ${JSON.stringify(calculator.parameters)}\nTool Description: Evaluate arithmetic`,
    );
  });

  it('should teach the Thought / Action / Action Input / Observation format with the tool names', () => {
    for (const label of ['Thought:', 'Action:', 'Action Input:', 'Observation:'])
      expect(text).toContain(label);
    expect(text).toContain('[search, calculator]');
  });

  it('should teach the Final Answer format', () => {
    expect(text).toContain('Final Answer:');
  });

  it('should produce instructions the parser understands when followed literally', () => {
    expect(parseReAct('Thought: look it up\nAction: search\nAction Input: {"query": "x"}')).toMatchObject({
      kind: 'action',
      tool: 'search',
    });
  });
});

describe('reactObservation', () => {
  it('should carry the tool result after "Observation:" and ask to continue', () => {
    const text = reactObservation('42 results');
    expect(text.startsWith('Observation: 42 results')).toBe(true);
    expect(text).toContain('Final Answer');
  });
});

describe('parseReAct', () => {
  it('should read a final answer and its thought', () => {
    expect(parseReAct('Thought: I now know the final answer\nFinal Answer: Paris is the capital.')).toEqual({
      kind: 'final',
      answer: 'Paris is the capital.',
      thought: 'I now know the final answer',
    });
  });

  it('should let Final Answer win over an Action in the same reply', () => {
    const step = parseReAct('Thought: x\nAction: search\nAction Input: {"query": "a"}\nFinal Answer: done');
    expect(step).toMatchObject({ kind: 'final', answer: 'done' });
  });

  it("should not take a Final Answer inside an Action Input for the reply's answer", () => {
    const input = '{"text": "Checklist\\nFinal Answer: must be reviewed", \'tag\': \'a } b\'}';
    expect(parseReAct(`Thought: save it\nAction: save_note\nAction Input: ${input}`)).toMatchObject({
      kind: 'action',
      tool: 'save_note',
      input,
    });
    // One after the input is the answer, as usual.
    expect(
      parseReAct(`Action: save_note\nAction Input: ${input}\nObservation: saved\nFinal Answer: all saved`),
    ).toMatchObject({ kind: 'final', answer: 'all saved' });
    expect(
      parseReAct('Action: save_note\nAction Input: ```json\n{"t": "Final Answer: x"}\n```'),
    ).toMatchObject({
      kind: 'action',
      input: '{"t": "Final Answer: x"}',
    });
  });

  it('should let a Final Answer after an Action Input that never closes win, and protect one in a list input', () => {
    expect(
      parseReAct('Action: search\nAction Input: {"q": "a"\nObservation: found\nFinal Answer: 42'),
    ).toMatchObject({ kind: 'final', answer: '42' });
    expect(parseReAct("Action: search\nAction Input: it's {broken\nFinal Answer: 43")).toMatchObject({
      kind: 'final',
      answer: '43',
    });
    expect(parseReAct('Action: batch\nAction Input: [{"q": "Final Answer: x"}]')).toMatchObject({
      kind: 'action',
      input: '[{"q": "Final Answer: x"}]',
    });
  });

  it('should read replies with long runs of spaces or newlines after a label in linear time', () => {
    // A label pattern whose parts could share characters made these take minutes (cubic in the run).
    const run = ' '.repeat(20_000);
    expect(parseReAct(`Action${run}`)).toEqual({ kind: 'final', answer: 'Action' });
    expect(parseReAct(`Action 1${run}`)).toEqual({ kind: 'final', answer: 'Action 1' });
    expect(
      parseReAct(`Action: search\nAction Input: {"q": 1}${'\n'.repeat(20_000)}Observation: x`),
    ).toMatchObject({
      kind: 'action',
      input: '{"q": 1}',
    });
  });

  it('should take the text after the last Final Answer, trimmed and multi-line', () => {
    const step = parseReAct('Final Answer: draft\nThought: better\nFinal Answer:\n  line 1\nline 2  \n');
    expect(step).toMatchObject({ kind: 'final', answer: 'line 1\nline 2' });
  });

  it('should drop a dangling closing fence, but keep a complete code block', () => {
    expect(parseReAct('```\nThought: t\nFinal Answer: the answer\n```')).toMatchObject({
      answer: 'the answer',
    });
    const code = 'Final Answer: Use this:\n```js\nrun();\n```';
    expect(parseReAct(code)).toMatchObject({ answer: 'Use this:\n```js\nrun();\n```' });
  });

  it('should accept a bolded Final Answer label', () => {
    expect(parseReAct('**Thought:** done\n**Final Answer:** Paris')).toMatchObject({
      kind: 'final',
      answer: 'Paris',
    });
    expect(parseReAct('**Final Answer**: Paris')).toMatchObject({ kind: 'final', answer: 'Paris' });
  });

  it('should read an action, its input as written, and its thought', () => {
    expect(
      parseReAct('Thought: I should search\nAction: search\nAction Input: {"query": "AI news"}'),
    ).toEqual({
      kind: 'action',
      tool: 'search',
      input: '{"query": "AI news"}',
      thought: 'I should search',
    });
  });

  it('should strip * and spaces around the tool name', () => {
    expect(parseReAct('Action: **search** \nAction Input: {"query": "x"}')).toMatchObject({ tool: 'search' });
    expect(parseReAct('**Action:** search\n**Action Input:** {"query": "x"}')).toMatchObject({
      tool: 'search',
      input: '{"query": "x"}',
    });
  });

  it('should accept numbered labels as crewAI does', () => {
    expect(parseReAct('Action 1: search\nAction 1 Input 1: {"query": "x"}')).toMatchObject({
      kind: 'action',
      tool: 'search',
      input: '{"query": "x"}',
    });
  });

  it('should remove a ```json fence around the input', () => {
    const step = parseReAct('Action: search\nAction Input: ```json\n{"query": "x"}\n```');
    expect(step).toMatchObject({ kind: 'action', input: '{"query": "x"}' });
  });

  it('should keep a multi-line input whole', () => {
    const step = parseReAct('Action: search\nAction Input: {\n  "query": "x"\n}');
    expect(step).toMatchObject({ input: '{\n  "query": "x"\n}' });
  });

  it('should drop what a model writes after its input (an invented Observation, a second action)', () => {
    expect(parseReAct('Action: search\nAction Input: {"query": "x"}\nObservation: made up')).toMatchObject({
      input: '{"query": "x"}',
    });
    const two =
      'Action: search\nAction Input: {"query": "x"}\nThought: then\nAction: calculator\nAction Input: {}';
    expect(parseReAct(two)).toMatchObject({ tool: 'search', input: '{"query": "x"}' });
  });

  it('should keep the reply verbatim (trimmed) as the final answer when it has neither format', () => {
    expect(parseReAct('  Just a plain answer.\nWith two lines.  ')).toEqual({
      kind: 'final',
      answer: 'Just a plain answer.\nWith two lines.',
    });
  });

  it('should treat an Action without an Action Input as a plain answer', () => {
    expect(parseReAct('Thought: hmm\nAction: search')).toEqual({
      kind: 'final',
      answer: 'Thought: hmm\nAction: search',
    });
  });
});
