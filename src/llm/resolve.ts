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
 * Throws `CrewValidationError` (`invalid_option`) unless `llm` is absent, a non-empty model name, or an
 * `LLM`. `owner` starts the message, e.g. `Agent 'Researcher'`.
 */
export function checkLLM(llm: unknown, owner?: string): asserts llm is LLM | string | undefined {
  if (llm === undefined || isLLM(llm) || (typeof llm === 'string' && llm.trim())) return;
  throw new CrewValidationError(
    'invalid_option',
    `${owner ? `${owner}: ` : ''}llm must be a model name or an object with model and call() (got ${shown(llm)})`,
  );
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object' || value === null) return String(value);
  const { model, call } = value as { model?: unknown; call?: unknown };
  const missing = [
    ...(typeof model === 'string' ? [] : ['a model name']),
    ...(typeof call === 'function' ? [] : ['call()']),
  ];
  return `an object without ${missing.join(' or ')}`;
}

/**
 * An agent's model: an `LLM` passes through, a model name becomes an `OpenAILLM`, and nothing means
 * `process.env.STATECREW_MODEL` or `'gpt-4o-mini'`. No key is needed until the first call.
 */
export function resolveLLM(llm?: LLM | string): LLM {
  checkLLM(llm);
  if (typeof llm === 'string') return new OpenAILLM({ model: llm.trim() });
  return llm ?? new OpenAILLM({ model: process.env.STATECREW_MODEL || DEFAULT_MODEL });
}
