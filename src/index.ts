// The public API of statecrew: everything a user imports comes from here.
export { Agent, type AgentOptions } from './agent.js';
export { Task, ConditionalTask, type TaskOptions, type ConditionalTaskOptions } from './task.js';
export { Crew, type CrewOptions, type KickoffOptions } from './crew.js';
export { Process } from './process.js';
export { tool, toToolDefinition, type Tool, type ToolContext, type ToolOptions } from './tool.js';
export { TaskOutput, CrewOutput, type TaskOutputData, type CrewOutputData } from './outputs.js';
export { type UsageMetrics } from './usage.js';
export { type CrewEvent, type CrewEventType, type AgentStep } from './events.js';
export { type Guardrail, type GuardrailResult } from './guardrail.js';
export { type HumanInputHandler, type HumanInputRequest } from './human-input.js';
export type { AfterKickoffCallback } from './runtime/run-env.js';
export { type Inputs, type InputsOf } from './interpolation.js';
export { OpenAILLM, type OpenAILLMOptions } from './llm/openai.js';
export { resolveLLM, isLLM } from './llm/resolve.js';
export type {
  LLM,
  LLMRequest,
  LLMResponse,
  LLMUsage,
  ChatMessage,
  ToolCall,
  ToolDefinition,
} from './llm/types.js';
export {
  StatecrewError,
  CrewValidationError,
  InterpolationError,
  GuardrailError,
  OutputParsingError,
  TaskExecutionError,
  CrewAbortedError,
  ExecutionTimeoutError,
  LLMError,
  type CrewValidationCode,
} from './errors.js';
export { CHECKPOINT_FORMAT_VERSION, type Checkpoint, type CheckpointStore } from './checkpoint/types.js';
export { FileCheckpointStore } from './checkpoint/file-store.js';
export { MemoryCheckpointStore } from './checkpoint/memory-store.js';
export {
  toMermaid,
  toDot,
  toStudioJSON,
  type DiagramTarget,
  type MermaidOptions,
} from './visualize/index.js';
export type { CrewActor, Inspector } from './runtime/run-driver.js';
export {
  createCrewInspector,
  filterInspection,
  type CrewInspector,
  type CrewInspectorOptions,
  type FilteredInspector,
  type InspectionFilterOptions,
  type InspectorMessage,
} from './inspect/index.js';
export {
  taskMachine,
  sequentialCrewMachine,
  hierarchicalCrewMachine,
  agentMachine,
  managerMachine,
  agentJobMachine,
} from '../machines/index.js';
