import type { Command } from './args.js';
import { requireCheckpoints } from './checkpoints.js';
import { execute } from './execute.js';
import { loadCrew } from './load-crew.js';

/** `statecrew resume <runId> <module>`: finishes a checkpointed run; tasks already done are kept. */
export async function resume(args: Extract<Command, { name: 'resume' }>): Promise<number> {
  const crew = await loadCrew(args.module, args.exportName);
  requireCheckpoints(crew, args, 'resume');
  return execute(crew, args, (derived, options) => derived.resume(args.runId, options));
}
