import type { InspectionEvent } from 'xstate';
import type { CheckpointStore } from '../checkpoint/types.js';
import type { Crew, KickoffOptions } from '../crew.js';
import { createCrewInspector, type CrewInspector } from '../inspect/crew-inspector.js';
import type { CrewOutput } from '../outputs.js';
import type { RunArgs } from './args.js';
import { resumeHint, storeLocation, whereLooked, withCheckpointDir } from './checkpoints.js';
import { describeError, envRedactor } from './errors.js';
import { taskProgress, type TaskProgress } from './progress.js';

/** What the command passes to `kickoff`, `resume` or `replay`. */
export type Launch = (crew: Crew, options: Pick<KickoffOptions, 'inspect' | 'signal'>) => Promise<CrewOutput>;

const INTERRUPTED = 130;

/**
 * Runs one kickoff, resume or replay the way every run command does: progress on stderr (one line
 * per task, or everything `verbose` shows), the final output on stdout, the run id on stderr (when a
 * checkpointed run starts, and when it ends, also when it fails, with how to resume it), Ctrl-C aborts
 * the run. Checkpoints go to `--checkpoint-dir`, else to the crew's own store. Resolves with the exit code.
 */
export async function execute(loaded: Crew, args: RunArgs, launch: Launch): Promise<number> {
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  const crew = derive(loaded, args);
  const store = crew.checkpoint;
  if (!args.verbose)
    stderr(
      `▶ crew '${crew.name}' (${crew.process}, ${crew.tasks.length} task${crew.tasks.length === 1 ? '' : 's'})`,
    );
  const progress = taskProgress(crew, args.verbose ? undefined : stderr);
  const inspector = args.inspect ? startInspector(args.inspect, stderr) : undefined;
  const announce = store ? runIdAnnouncer(progress, store, stderr) : undefined;
  const inspect = (event: InspectionEvent) => {
    progress.inspect(event);
    announce?.();
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
    // By code: the crew module may load another copy of statecrew than the CLI's (src/cli/load-crew.ts).
    const interrupted = controller.signal.aborted && (error as { code?: unknown } | null)?.code === 'aborted';
    if (interrupted) stderr('statecrew: run stopped (interrupted); it did not finish');
    else stderr(`statecrew: run failed: ${envRedactor().text(failureMessage(error, store))}`);
    const runId = progress.runId();
    if (runId) stderr(`run id: ${runId}`);
    if (runId && store) stderr(envRedactor().text(await resumeHint(store, runId, args)));
    return controller.signal.aborted ? INTERRUPTED : 1;
  } finally {
    process.removeListener('SIGINT', interrupt);
    await inspector?.stop();
  }
}

function derive(crew: Crew, args: RunArgs): Crew {
  const stored = withCheckpointDir(crew, args);
  return args.verbose ? stored.with({ verbose: true }) : stored;
}

/**
 * Prints the run id (and where its checkpoints go) as soon as the run has one, not only when it ends:
 * a run killed outright (kill -9) can then be resumed all the same.
 */
function runIdAnnouncer(progress: TaskProgress, store: CheckpointStore, stderr: (line: string) => void) {
  let announced = false;
  return () => {
    const runId = progress.runId();
    if (announced || runId === undefined) return;
    announced = true;
    stderr(`run id: ${runId} (checkpoints in ${storeLocation(store)})`);
  };
}

/** The run's error; a checkpoint not found says where it was looked for. */
function failureMessage(error: unknown, store: CheckpointStore | undefined): string {
  const message = describeError(error);
  const notFound = (error as { code?: unknown } | null | undefined)?.code === 'unknown_run';
  return store && notFound ? `${message} ${whereLooked(store)}` : message;
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
