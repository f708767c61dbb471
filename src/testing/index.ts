// statecrew/testing: deterministic models and servers for tests of crews.
export {
  ScriptedLLM,
  type ScriptedAnswer,
  type ScriptedLLMOptions,
  type ScriptedReply,
  type ScriptedToolCall,
} from './scripted-llm.js';
export { startFakeOpenAI } from './fake-openai.js';
export type * from './fake-openai-types.js';
export * from './model-based/index.js';
