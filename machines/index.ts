export {
  taskMachine,
  type TaskContext,
  type TaskEvent,
  type TaskInput,
  type GuardrailVerdict,
} from './task.machine.js';
export {
  agentMachine,
  managerMachine,
  type AgentContext,
  type AgentEvent,
  type AgentInput,
} from './agent.machine.js';
export {
  agentJobMachine,
  type JobContext,
  type JobInput,
  type JobOutcome,
  type ModelTurn,
  type ToolRound,
} from './agent-job.machine.js';
export { sequentialCrewMachine } from './sequential-crew.machine.js';
export { hierarchicalCrewMachine } from './hierarchical-crew.machine.js';
export {
  CONTEXT_DIVIDER,
  MAX_DIRECT_TASKS,
  batchSize,
  contextFor,
  taskActor,
  type CrewChart,
  type CrewContext,
  type CrewInput,
} from './crew-chart.js';
export {
  CHUNK_SIZE,
  chunkOutcomes,
  outcomeCount,
  outcomeList,
  outcomeOf,
  recordedOutcomes,
  withOutcome,
  type OutcomeChunks,
} from './crew-outcomes.js';
export { taskBatchMachine, type TaskBatchInput } from './task-batch.machine.js';
export { taskActorId } from './types.js';
export type * from './types.js';
