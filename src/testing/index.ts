// statecrew/testing: deterministic models and servers for tests of crews.
export {
  ScriptedLLM,
  type ScriptedLLMOptions,
  type ScriptedReply,
  type ScriptedToolCall,
} from './scripted-llm.js';
