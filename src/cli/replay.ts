import type { Command } from './args.js';
import { requireCheckpoints } from './checkpoints.js';
import { execute } from './execute.js';
import { loadCrew } from './load-crew.js';

/** `statecrew replay <taskId> <module>`: a new run from that task, earlier outputs from a checkpointed run. */
export async function replay(args: Extract<Command, { name: 'replay' }>): Promise<number> {
  const crew = await loadCrew(args.module, args.exportName);
  requireCheckpoints(crew, args, 'replay');
  return execute(crew, args, (derived, options) =>
    derived.replay(args.taskId, {
      ...options,
      ...(args.runId ? { runId: args.runId } : {}),
      ...(args.inputs ? { inputs: args.inputs } : {}),
    }),
  );
}
