import { existsSync } from 'node:fs';
import { FileCheckpointStore } from '../checkpoint/file-store.js';
import type { CheckpointStore } from '../checkpoint/types.js';
import type { Crew } from '../crew.js';
import type { RunArgs } from './args.js';
import { usageError } from './errors.js';

/** The crew the command runs: `--checkpoint-dir` replaces the crew's own checkpoint store. */
export function withCheckpointDir(crew: Crew, args: RunArgs): Crew {
  return args.checkpointDir ? crew.with({ checkpoint: new FileCheckpointStore(args.checkpointDir) }) : crew;
}

/** Resume and replay read `--checkpoint-dir`, else the crew's own store: a usage error without either. */
export function requireCheckpoints(crew: Crew, args: RunArgs, command: 'resume' | 'replay'): void {
  if (args.checkpointDir !== undefined || crew.checkpoint) return;
  throw usageError(
    `${command} needs a checkpoint store: crew '${crew.name}' has none of its own (\`checkpoint\`), ` +
      'so pass --checkpoint-dir DIR, the directory the run was checkpointed in',
  );
}

/** The directory of a FileCheckpointStore; duck-typed, as the module may use another copy of statecrew. */
function directoryOf(store: CheckpointStore): string | undefined {
  const dir = (store as { dir?: unknown }).dir;
  const isFileStore =
    store instanceof FileCheckpointStore || store.constructor?.name === 'FileCheckpointStore';
  return isFileStore && typeof dir === 'string' ? dir : undefined;
}

/** Where a store keeps checkpoints, said in words: a file store by its directory, any other as the crew's. */
export function storeLocation(store: CheckpointStore): string {
  return directoryOf(store) ?? "the crew's checkpoint store";
}

/** Where a checkpoint the store lacks was looked for, so that a typo in a directory shows. */
export function whereLooked(store: CheckpointStore): string {
  const dir = directoryOf(store);
  if (dir === undefined) return `(looked in ${storeLocation(store)})`;
  return `(looked in ${dir}${existsSync(dir) ? '' : ', which does not exist'})`;
}

/**
 * After a failed or interrupted run: how to resume it, or, when the store holds no checkpoint of it yet
 * (the first is saved when a task completes or waits for a person), that there is nothing to resume.
 */
export async function resumeHint(store: CheckpointStore, runId: string, args: RunArgs): Promise<string> {
  let saved: boolean;
  try {
    saved = (await store.load(runId)) !== undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `statecrew: could not read the checkpoint of run ${runId}: ${message}`;
  }
  if (!saved) return `statecrew: no checkpoint of run ${runId} was written yet: nothing to resume`;
  return `resume with: statecrew resume ${resumeArguments(runId, args).join(' ')}`;
}

/** The arguments of `statecrew resume`, as words a POSIX shell gives back unchanged to `parseCommand`. */
function resumeArguments(runId: string, args: RunArgs): string[] {
  const options: string[] = [];
  if (args.exportName) options.push(option('--export', args.exportName));
  // Without --checkpoint-dir the crew's own store is where resume looks: no flag needed.
  if (args.checkpointDir) options.push(option('--checkpoint-dir', args.checkpointDir));
  const positionals = [runId, args.module].map(shellWord);
  // A run id (or module) starting with '-' would be read as an option; after '--' it cannot be, but
  // options cannot follow it either.
  if ([runId, args.module].some((arg) => arg.startsWith('-'))) return [...options, '--', ...positionals];
  return [...positionals, ...options];
}

/** `--flag value`, or `--flag=value` when the value starts with '-' (else it would be read as an option). */
function option(flag: string, value: string): string {
  return value.startsWith('-') ? shellWord(`${flag}=${value}`) : `${flag} ${shellWord(value)}`;
}

/** `value` as one POSIX shell word: as is when no character of it is special, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
