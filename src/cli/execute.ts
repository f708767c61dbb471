import type { InspectionEvent } from 'xstate';
import { FileCheckpointStore } from '../checkpoint/file-store.js';
import type { Crew, KickoffOptions } from '../crew.js';
import { createCrewInspector, type CrewInspector } from '../inspect/crew-inspector.js';
import type { CrewOutput } from '../outputs.js';
import type { RunArgs } from './args.js';
import { describeError, envRedactor } from './errors.js';
import { taskProgress } from './progress.js';

/** What the command passes to `kickoff`, `resume` or `replay`. */
export type Launch = (crew: Crew, options: Pick<KickoffOptions, 'inspect' | 'signal'>) => Promise<CrewOutput>;

const INTERRUPTED = 130;

/**
 * Runs one kickoff, resume or replay the way every run command does: progress on stderr (one line
 * per task, or everything `verbose` shows), the final output on stdout, the run id on stderr (also
 * when the run fails, so it can be resumed), Ctrl-C aborts the run. Resolves with the exit code.
 */
export async function execute(loaded: Crew, args: RunArgs, launch: Launch): Promise<number> {
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  const crew = derive(loaded, args);
  if (!args.verbose)
    stderr(
      `▶ crew '${crew.name}' (${crew.process}, ${crew.tasks.length} task${crew.tasks.length === 1 ? '' : 's'})`,
    );
  const progress = taskProgress(crew, args.verbose ? undefined : stderr);
  const inspector = args.inspect ? startInspector(args.inspect, stderr) : undefined;
  const inspect = (event: InspectionEvent) => {
    progress.inspect(event);
    inspector?.inspect.next?.(event);
  };
  const controller = new AbortController();
  const interrupt = () => {
    stderr('statecrew: interrupted, stopping the run');
    controller.abort();
  };
  process.once('SIGINT', interrupt);
  try {
    const output = await launch(crew, { inspect, signal: controller.signal });
    await writeStdout(output.raw.endsWith('\n') ? output.raw : `${output.raw}\n`);
    stderr(`run id: ${progress.runId() ?? 'unknown'}`);
    return 0;
  } catch (error) {
    stderr(`statecrew: run failed: ${envRedactor().text(describeError(error))}`);
    const runId = progress.runId();
    if (runId) stderr(`run id: ${runId}`);
    if (runId && args.checkpointDir) {
      const exported = args.exportName ? ` --export ${args.exportName}` : '';
      stderr(
        `resume with: statecrew resume ${runId} ${args.module}${exported} --checkpoint-dir ${args.checkpointDir}`,
      );
    }
    return controller.signal.aborted ? INTERRUPTED : 1;
  } finally {
    process.removeListener('SIGINT', interrupt);
    await inspector?.stop();
  }
}

function derive(crew: Crew, args: RunArgs): Crew {
  if (!args.checkpointDir && !args.verbose) return crew;
  return crew.with({
    ...(args.checkpointDir ? { checkpoint: new FileCheckpointStore(args.checkpointDir) } : {}),
    ...(args.verbose ? { verbose: true } : {}),
  });
}

function startInspector(url: string, stderr: (line: string) => void): CrewInspector {
  const { protocol, host, pathname } = new URL(url);
  // Without user info or query: either may carry a token.
  stderr(`statecrew: inspecting at ${protocol}//${host}${pathname}`);
  return createCrewInspector({
    url,
    onError: (error) => stderr(`statecrew: inspector: ${error.message} (the run goes on)`),
  });
}

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}
