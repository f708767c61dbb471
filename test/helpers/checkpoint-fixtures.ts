import { CHECKPOINT_FORMAT_VERSION, type Checkpoint } from '../../src/checkpoint/types.js';

/** A small valid checkpoint for store tests; `inputs` has a nested object to catch shallow copies. */
export function makeCheckpoint(runId: string, overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    runId,
    crewName: 'crew',
    process: 'sequential',
    taskIds: ['t1', 't2'],
    agentIds: ['a1'],
    inputs: { topic: 'AI', nested: { n: 1 } },
    reason: 'task.completed',
    savedAt: new Date().toISOString(),
    snapshot: { status: 'active', context: { outputs: [{ raw: 'done' }] } },
    ...overrides,
  };
}
