import { describe, expect, it } from 'vitest';
import { Agent, CrewValidationError, OpenAILLM, type LLM } from '../src/index.js';
import { ScriptedLLM } from '../src/testing/index.js';

const texts = { role: 'Researcher', goal: 'Find facts', backstory: 'Curious.' };

function rejection(llm: unknown): CrewValidationError {
  try {
    new Agent({ ...texts, llm: llm as LLM });
  } catch (error) {
    expect(error).toBeInstanceOf(CrewValidationError);
    return error as CrewValidationError;
  }
  throw new Error('new Agent accepted the llm');
}

describe('new Agent: llm', () => {
  it.each([
    ['an empty model name', '', /got ""/],
    ['a blank model name', '   ', /got " {3}"/],
    ['a number', 42, /got 42/],
    ['null', null, /got null/],
    ['an object without call()', { model: 'x' }, /got an object without call\(\)/],
    ['an object without a model name', { call: async () => ({ content: '' }) }, /without a model name/],
    ['a function', () => 'x', /got a function/],
  ])('rejects %s with invalid_option, naming the agent', (_name, llm, got) => {
    const error = rejection(llm);
    expect(error.code).toBe('invalid_option');
    expect(error.message).toContain("Agent 'Researcher'");
    expect(error.message).toMatch(/llm must be a model name or an object with model and call\(\)/);
    expect(error.message).toMatch(got);
  });

  it('accepts no llm, a model name, an OpenAILLM and any object with model and call()', () => {
    expect(new Agent(texts).llm).toBeUndefined();
    expect(new Agent({ ...texts, llm: 'gpt-4o-mini' }).llm).toBe('gpt-4o-mini');
    const openai = new OpenAILLM({ model: 'm' });
    expect(new Agent({ ...texts, llm: openai }).llm).toBe(openai);
    const scripted = new ScriptedLLM('done');
    expect(new Agent({ ...texts, llm: scripted }).llm).toBe(scripted);
  });
});
