// Model-based tests for crews: an abstract test model derived from a crew, its paths via `xstate/graph`,
// and a runner that plays one path against the real runtime.
export { crewTestModel, type CrewTestModel, type CrewModelSnapshot } from './model.js';
export { crewTestPaths } from './paths.js';
export type {
  CrewDecision,
  CrewModelOptions,
  CrewPathExpectation,
  CrewPathObservation,
  CrewPathResult,
  CrewPathScriptOptions,
  CrewPathStep,
  CrewTestPath,
  CrewTestPathsOptions,
  ExpectedTask,
  ExpectedTaskStatus,
} from './types.js';
