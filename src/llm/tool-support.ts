import { LLMError } from '../errors.js';

/**
 * How OpenAI-compatible servers refuse a request with `tools` for a model that cannot call them, e.g.
 * Ollama's `registry.ollama.ai/library/gemma2:2b does not support tools`, or vLLM started without
 * `--enable-auto-tool-choice`.
 */
const REFUSALS = [
  /\bdoes not support (?:tools|tool[ _-]?(?:use|calls?|calling)|function[ _-]?call(?:s|ing)?)\b/i,
  /\b(?:tools|tool[ _-]?(?:use|calls?|calling|choice)|function[ _-]?calling) (?:is |are )?(?:not supported|unsupported)\b/i,
  /"auto" tool choice requires --enable-auto-tool-choice/i,
];

/**
 * True when `error` is a provider's HTTP 400 saying the model cannot use tools: the agent may then fall
 * back to the ReAct text protocol (crewAI does the same). Any other error, even a 400, is false.
 */
export function isToolsUnsupportedError(error: unknown): boolean {
  return (
    error instanceof LLMError &&
    error.status === 400 &&
    REFUSALS.some((refusal) => refusal.test(error.message))
  );
}
