import type { Command } from './args.js';
import { execute } from './execute.js';
import { loadCrew } from './load-crew.js';

/** `statecrew run <module>`: a new run of the crew. */
export async function run(args: Extract<Command, { name: 'run' }>): Promise<number> {
  const crew = await loadCrew(args.module, args.exportName);
  return execute(crew, args, (derived, options) =>
    derived.kickoff(args.inputs, { ...options, ...(args.runId ? { runId: args.runId } : {}) }),
  );
}
