import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StatecrewError } from '../errors.js';
import { assertValidRunId, isValidRunId } from './run-id.js';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint, type CheckpointStore } from './types.js';

const CHECKPOINT_SUFFIX = '.json';
// Temp files end in `.tmp`, never in `.json`, so no temp file can be mistaken for a checkpoint.
const TEMP_SUFFIX = '.tmp';
/** A temp file left this long by a process no longer alive is an orphan (see `removeOrphanedTemps`). */
const ORPHAN_AGE_MS = 60_000;
/** A temp file's name: `<runId>.json.<the writer's pid>.<12 random hex digits>.tmp`. */
const TEMP_NAME = /^(.+)\.json\.(\d+)\.[0-9a-f]{12}\.tmp$/;

interface ListEntry {
  runId: string;
  savedAt: number;
  mtime: number;
}

/**
 * The embedded checkpoint store: one `<runId>.json` file per run in `dir`, created on the first save.
 * Every save replaces the file atomically (temp file + fsync + rename), so a process killed mid-write
 * leaves either the previous checkpoint or the new one, never a torn file. The temp files such kills leave
 * behind are removed by a store's first save or delete (once per store: the directory is read once).
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly dir: string;
  /** The one look for orphaned temp files this store makes (its first save or delete). */
  private swept: Promise<void> | undefined;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir === '') {
      throw new StatecrewError('invalid_option', 'FileCheckpointStore needs a directory path');
    }
    this.dir = path.resolve(dir);
  }

  async save(runId: string, checkpoint: Checkpoint): Promise<void> {
    const file = this.fileFor(runId);
    const text = serializeCheckpoint(runId, checkpoint);
    await this.sweepOnce();
    await io('create the checkpoint directory', this.dir, () => fs.mkdir(this.dir, { recursive: true }));
    await io('write the checkpoint', file, () => writeAtomically(file, text));
  }

  async load(runId: string): Promise<Checkpoint | undefined> {
    const file = this.fileFor(runId);
    const text = await io('read the checkpoint', file, () => readIfExists(file));
    return text === undefined ? undefined : parseCheckpoint(text, file);
  }

  async list(): Promise<string[]> {
    const names = await io('list the checkpoint directory', this.dir, () => readDirIfExists(this.dir));
    const entries: ListEntry[] = [];
    // One file at a time: checkpoints can be megabytes each, and reading them all at once would hold all of them.
    for (const name of names) {
      const entry = await this.listEntry(name);
      if (entry) entries.push(entry);
    }
    return entries.sort(bySaveTime).map((entry) => entry.runId);
  }

  async delete(runId: string): Promise<void> {
    const file = this.fileFor(runId);
    await io('delete the checkpoint', file, () => fs.rm(file, { force: true }));
    await this.sweepOnce();
  }

  private fileFor(runId: string): string {
    assertValidRunId(runId);
    return path.join(this.dir, runId + CHECKPOINT_SUFFIX);
  }

  /**
   * The list entry of a directory entry, or undefined when it is no checkpoint file. A checkpoint file that
   * cannot be read or parsed is listed all the same, so that loading it reports the problem: skipping it
   * would make "the newest run" silently an older one.
   */
  private async listEntry(name: string): Promise<ListEntry | undefined> {
    if (!name.endsWith(CHECKPOINT_SUFFIX)) return undefined;
    const runId = name.slice(0, -CHECKPOINT_SUFFIX.length);
    if (!isValidRunId(runId)) return undefined;
    const file = path.join(this.dir, name);
    let read: { text: string; mtime: number } | undefined;
    try {
      read = await readFileWithMtime(file);
    } catch {
      const mtime = await mtimeOf(file);
      return { runId, savedAt: mtime, mtime };
    }
    if (!read) return undefined;
    const savedAt = Date.parse(savedAtOf(read.text) ?? '');
    return { runId, savedAt: Number.isNaN(savedAt) ? read.mtime : savedAt, mtime: read.mtime };
  }

  /**
   * Removes, once per store, the temp files that processes killed mid-save left behind (they can be tens of
   * MB). A live process's temp file may be a write in flight, this process's included: those are kept.
   * Tidying must not fail a save or a delete, and is not tried again.
   */
  private sweepOnce(): Promise<void> {
    this.swept ??= this.removeOrphanedTemps().catch(() => undefined);
    return this.swept;
  }

  private async removeOrphanedTemps(): Promise<void> {
    for (const name of await readDirIfExists(this.dir)) {
      const [, runId, pid] = TEMP_NAME.exec(name) ?? [];
      if (runId === undefined || !isValidRunId(runId) || !isDead(Number(pid))) continue;
      const file = path.join(this.dir, name);
      // A pid is this machine's: a directory another host shares may hold its writes in flight, which
      // are seconds old at most. Only a temp file left for a minute is an orphan.
      if (Date.now() - (await fs.lstat(file)).mtimeMs < ORPHAN_AGE_MS) continue;
      await fs.rm(file, { force: true });
    }
  }
}

/** Whether no process has that pid; when unsure (no such pid format, no permission), it is alive. */
function isDead(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The `savedAt` of a checkpoint's text, even of one `load` rejects, or undefined when there is none. */
function savedAtOf(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    const savedAt = (value as { savedAt?: unknown } | null)?.savedAt;
    return typeof savedAt === 'string' ? savedAt : undefined;
  } catch {
    return undefined;
  }
}

/** The mtime of a file that could not be read; 0 (listed first, as the oldest) when even that fails. */
async function mtimeOf(file: string): Promise<number> {
  try {
    return (await fs.lstat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** Why `value` is not a checkpoint this build can read, or undefined when it is one. */
function checkpointProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const record = value as Record<string, unknown>;
  const version = record.formatVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return 'formatVersion is missing or not a positive integer';
  }
  if (version > CHECKPOINT_FORMAT_VERSION) {
    return `formatVersion ${version} is newer than ${CHECKPOINT_FORMAT_VERSION}, the newest this statecrew reads`;
  }
  if (typeof record.runId !== 'string' || record.runId === '') return 'runId is missing';
  if (record.snapshot === undefined || record.snapshot === null) return 'snapshot is missing';
  return undefined;
}

/** Refuses, at save time, a checkpoint that `load` would later reject as corrupt. */
function serializeCheckpoint(runId: string, checkpoint: Checkpoint): string {
  const problem = checkpointProblem(checkpoint);
  if (problem) {
    throw new StatecrewError(
      'invalid_checkpoint',
      `Cannot save the checkpoint of run "${runId}": ${problem}`,
    );
  }
  try {
    return JSON.stringify(checkpoint);
  } catch (error) {
    throw new StatecrewError(
      'invalid_checkpoint',
      `Cannot save the checkpoint of run "${runId}": it is not JSON-serialisable (${messageOf(error)})`,
      { cause: error },
    );
  }
}

function parseCheckpoint(text: string, file: string): Checkpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, `it is not valid JSON (${messageOf(error)})`, error);
  }
  const problem = checkpointProblem(value);
  if (problem) throw corrupt(file, problem);
  return value as Checkpoint;
}

function corrupt(file: string, problem: string, cause?: unknown): StatecrewError {
  return new StatecrewError('corrupt_checkpoint', `Corrupt checkpoint file ${file}: ${problem}`, { cause });
}

async function writeAtomically(target: string, text: string): Promise<void> {
  // Unique per write, so concurrent saves of one run never share a temp file; last rename wins.
  const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
  try {
    await writeAndSync(temp, text);
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(target));
}

/** The data must be on disk before the rename publishes it, or a power loss could publish an empty file. */
async function writeAndSync(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename itself durable; Windows cannot open a directory for fsync, and renames there need none. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Reads through one handle so the text and the mtime belong to the same file even if it is replaced meanwhile. */
async function readFileWithMtime(file: string): Promise<{ text: string; mtime: number } | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if (isNotFound(error)) return undefined; // deleted between readdir and open
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    return { text: await handle.readFile('utf8'), mtime: stats.mtimeMs };
  } finally {
    await handle.close();
  }
}

async function readDirIfExists(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

function bySaveTime(a: ListEntry, b: ListEntry): number {
  return a.savedAt - b.savedAt || a.mtime - b.mtime || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);
}

/** Wraps file-system failures so every error the store throws is a `StatecrewError` naming the path. */
async function io<T>(action: string, target: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof StatecrewError) throw error;
    throw new StatecrewError('checkpoint_io', `Could not ${action} ${target}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
