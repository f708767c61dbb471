import { CrewValidationError } from '../errors.js';
import { OpenAILLM } from './openai.js';
import type { LLM } from './types.js';

const DEFAULT_MODEL = 'gpt-4o-mini';

/** True for any object with a `model` name and a `call` method: users may write their own models. */
export function isLLM(x: unknown): x is LLM {
  if (typeof x !== 'object' || x === null) return false;
  const candidate = x as { model?: unknown; call?: unknown };
  return typeof candidate.model === 'string' && typeof candidate.call === 'function';
}

/**
 * An agent's model: an `LLM` passes through, a model name becomes an `OpenAILLM`, and nothing means
 * `process.env.STATECREW_MODEL` or `'gpt-4o-mini'`. No key is needed until the first call.
 */
export function resolveLLM(llm?: LLM | string): LLM {
  if (typeof llm === 'string' && llm.trim()) return new OpenAILLM({ model: llm.trim() });
  if (isLLM(llm)) return llm;
  if (llm !== undefined) {
    throw new CrewValidationError(
      'invalid_option',
      'llm must be a model name or an object with model and call()',
    );
  }
  return new OpenAILLM({ model: process.env.STATECREW_MODEL || DEFAULT_MODEL });
}
