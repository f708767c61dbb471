import { afterEach, describe, expect, it, vi } from 'vitest';
import { CrewValidationError } from '../../src/errors.js';
import { OpenAILLM } from '../../src/llm/openai.js';
import { isLLM, resolveLLM } from '../../src/llm/resolve.js';
import type { LLM } from '../../src/llm/types.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

const custom: LLM = { model: 'mine', call: async () => ({ content: 'x' }) };

describe('resolveLLM', () => {
  it('should pass an LLM object through unchanged', () => {
    expect(resolveLLM(custom)).toBe(custom);
  });

  it('should turn a model name into an OpenAILLM without needing a key', () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    const llm = resolveLLM('gpt-4.1-mini');
    expect(llm).toBeInstanceOf(OpenAILLM);
    expect(llm.model).toBe('gpt-4.1-mini');
  });

  it('should default to STATECREW_MODEL, then gpt-4o-mini', () => {
    vi.stubEnv('STATECREW_MODEL', 'llama3.1');
    expect(resolveLLM().model).toBe('llama3.1');
    vi.stubEnv('STATECREW_MODEL', '');
    expect(resolveLLM().model).toBe('gpt-4o-mini');
  });

  it('should reject values that are neither a model name nor an LLM', () => {
    expect(() => resolveLLM({ model: 'no call' } as unknown as LLM)).toThrow(CrewValidationError);
    expect(() => resolveLLM('  ')).toThrow(/model name/);
  });
});

describe('isLLM', () => {
  it('should recognise objects with a model name and a call method', () => {
    expect(isLLM(custom)).toBe(true);
    expect(isLLM(new OpenAILLM({ model: 'm' }))).toBe(true);
    expect(isLLM({ model: 'm' })).toBe(false);
    expect(isLLM('gpt-4o-mini')).toBe(false);
    expect(isLLM(null)).toBe(false);
  });
});
