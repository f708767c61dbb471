import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { CHECKPOINT_FORMAT_VERSION } from '../../src/checkpoint/types.js';
import { StatecrewError } from '../../src/errors.js';
import { makeCheckpoint } from '../helpers/checkpoint-fixtures.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const storeSource = fileURLToPath(new URL('../../src/checkpoint/file-store.ts', import.meta.url));

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'statecrew-file-store-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('FileCheckpointStore basics', () => {
  it('round-trips a checkpoint through <runId>.json', async () => {
    const store = new FileCheckpointStore(dir);
    const checkpoint = makeCheckpoint('run-1');
    await store.save('run-1', checkpoint);
    expect(await store.load('run-1')).toEqual(checkpoint);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'run-1.json'), 'utf8'))).toEqual(checkpoint);
  });

  it('creates its directory on the first save, not before', async () => {
    const nested = path.join(dir, 'a', 'b');
    const store = new FileCheckpointStore(nested);
    expect(await store.list()).toEqual([]);
    expect(await store.load('run-1')).toBeUndefined();
    await store.delete('run-1');
    await expect(fs.stat(nested)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.save('run-1', makeCheckpoint('run-1'));
    expect(await store.list()).toEqual(['run-1']);
  });

  it('overwrites the checkpoint of a run and leaves no temp file behind', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('run-1', makeCheckpoint('run-1', { reason: 'kickoff' }));
    await store.save('run-1', makeCheckpoint('run-1', { reason: 'crew.completed' }));
    expect((await store.load('run-1'))?.reason).toBe('crew.completed');
    expect(await fs.readdir(dir)).toEqual(['run-1.json']);
  });

  it('returns undefined for a missing run', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('other', makeCheckpoint('other'));
    expect(await store.load('missing')).toBeUndefined();
  });

  it('deletes a run, and deleting a missing run is a no-op', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('a', makeCheckpoint('a'));
    await store.save('b', makeCheckpoint('b'));
    await store.delete('a');
    await store.delete('a');
    await store.delete('never-saved');
    expect(await store.load('a')).toBeUndefined();
    expect(await store.list()).toEqual(['b']);
  });

  it('lists runs by savedAt, oldest first', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('late', makeCheckpoint('late', { savedAt: '2024-03-01T00:00:00.000Z' }));
    await store.save('early', makeCheckpoint('early', { savedAt: '2024-01-01T00:00:00.000Z' }));
    await store.save('middle', makeCheckpoint('middle', { savedAt: '2024-02-01T00:00:00.000Z' }));
    expect(await store.list()).toEqual(['early', 'middle', 'late']);
    await store.save('early', makeCheckpoint('early', { savedAt: '2024-04-01T00:00:00.000Z' }));
    expect(await store.list()).toEqual(['middle', 'late', 'early']);
  });

  it('falls back to the file mtime when savedAt is not a date', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('b', makeCheckpoint('b', { savedAt: 'not a date' }));
    await store.save('a', makeCheckpoint('a', { savedAt: 'not a date' }));
    await fs.utimes(path.join(dir, 'b.json'), new Date('2024-02-01'), new Date('2024-02-01'));
    await fs.utimes(path.join(dir, 'a.json'), new Date('2024-03-01'), new Date('2024-03-01'));
    await store.save('c', makeCheckpoint('c', { savedAt: '2024-02-15T00:00:00.000Z' }));
    expect(await store.list()).toEqual(['b', 'c', 'a']);
  });

  it('list ignores temp files and files that are not checkpoints', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('good', makeCheckpoint('good'));
    await fs.writeFile(path.join(dir, 'good.json.1234.abcdef.tmp'), '{"formatVersion":1,"ru');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'hello');
    await fs.writeFile(path.join(dir, 'bad id!.json'), '{}');
    await fs.mkdir(path.join(dir, 'folder.json'));
    expect(await store.list()).toEqual(['good']);
  });

  it('list keeps corrupt checkpoints, by savedAt when readable else by mtime, so load reports them', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('old', makeCheckpoint('old', { savedAt: '2024-01-01T00:00:00.000Z' }));
    await store.save('new', makeCheckpoint('new', { savedAt: '2024-04-01T00:00:00.000Z' }));
    const files: [string, string, string][] = [
      ['truncated', '{"formatVersion":1,"ru', '2024-02-01'],
      ['empty', '', '2024-05-01'],
      // Not a checkpoint, but its savedAt still says when it was written.
      ['shape', '{"hello":"world","savedAt":"2024-03-01T00:00:00.000Z"}', '2024-06-01'],
    ];
    for (const [id, text, mtime] of files) {
      const file = path.join(dir, `${id}.json`);
      await fs.writeFile(file, text);
      await fs.utimes(file, new Date(mtime), new Date(mtime));
    }
    expect(await store.list()).toEqual(['old', 'truncated', 'shape', 'new', 'empty']);
    for (const [id] of files) {
      await expect(store.load(id)).rejects.toMatchObject({ code: 'corrupt_checkpoint' });
    }
  });

  it('list does not throw because of one file it cannot read, and lists it', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('good', makeCheckpoint('good', { savedAt: '2024-01-01T00:00:00.000Z' }));
    // A symlink to itself: open() fails with ELOOP (a chmod 000 file would not fail for root).
    await fs.symlink('loop.json', path.join(dir, 'loop.json'));
    expect(await store.list()).toEqual(['good', 'loop']);
    await expect(store.load('loop')).rejects.toMatchObject({
      code: 'checkpoint_io',
      message: expect.stringContaining(path.join(dir, 'loop.json')),
    });
  });

  it('keeps the last of many concurrent saves of one run whole, with no temp file left', async () => {
    const store = new FileCheckpointStore(dir);
    const saves = Array.from({ length: 20 }, (_, i) =>
      store.save('run-1', makeCheckpoint('run-1', { snapshot: { i, payload: 'x'.repeat(50_000) } })),
    );
    await Promise.all(saves);
    const loaded = await store.load('run-1');
    expect((loaded?.snapshot as { payload: string }).payload).toHaveLength(50_000);
    expect(await fs.readdir(dir)).toEqual(['run-1.json']);
  });

  it('refuses to save a checkpoint that load would reject', async () => {
    const store = new FileCheckpointStore(dir);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.save('a', makeCheckpoint('a', { snapshot: cyclic }))).rejects.toMatchObject({
      code: 'invalid_checkpoint',
    });
    await expect(store.save('a', makeCheckpoint('a', { snapshot: undefined }))).rejects.toMatchObject({
      code: 'invalid_checkpoint',
    });
    await expect(
      store.save('a', makeCheckpoint('a', { formatVersion: CHECKPOINT_FORMAT_VERSION + 1 })),
    ).rejects.toMatchObject({ code: 'invalid_checkpoint' });
    expect(await store.list()).toEqual([]);
  });
});

describe('FileCheckpointStore run ids', () => {
  const invalid = ['../x', '..', 'a/b', 'a\\b', '', 'a..b', '/etc/passwd', 'x y', 'é', 'a'.repeat(201)];

  it.each(invalid)('refuses run id %j on every operation', async (runId) => {
    // A sub-directory, so that a write escaping it with "../" would show up in `dir`.
    const store = new FileCheckpointStore(path.join(dir, 'store'));
    for (const operation of [
      () => store.save(runId, makeCheckpoint(runId)),
      () => store.load(runId),
      () => store.delete(runId),
    ]) {
      const error = await operation().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StatecrewError);
      expect(error).toMatchObject({ code: 'invalid_run_id' });
    }
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('accepts letters, digits, "_", "-", "." and 200 characters', async () => {
    const store = new FileCheckpointStore(dir);
    const ids = ['Run_1-a.b', 'a'.repeat(200), '.hidden', '0'];
    for (const id of ids) await store.save(id, makeCheckpoint(id));
    for (const id of ids) expect((await store.load(id))?.runId).toBe(id);
    expect([...(await store.list())].sort()).toEqual([...ids].sort());
  });
});

describe('FileCheckpointStore corrupt files', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated JSON', '{"formatVersion":1,"runId":"r","snap', /not valid JSON/],
    ['an empty file', '', /not valid JSON/],
    ['a JSON array', '[1,2,3]', /not a JSON object/],
    ['no formatVersion', '{"runId":"r","snapshot":{}}', /formatVersion/],
    ['no runId', '{"formatVersion":1,"snapshot":{}}', /runId/],
    ['no snapshot', '{"formatVersion":1,"runId":"r"}', /snapshot/],
    [
      'a newer format version',
      `{"formatVersion":${CHECKPOINT_FORMAT_VERSION + 1},"runId":"r","snapshot":{}}`,
      /newer/,
    ],
  ];

  it.each(cases)(
    'load of %s → corrupt_checkpoint naming the file, file untouched',
    async (_, bytes, problem) => {
      const store = new FileCheckpointStore(dir);
      const file = path.join(dir, 'r.json');
      await fs.writeFile(file, bytes);
      const before = await fs.stat(file);
      const error = await store.load('r').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StatecrewError);
      expect(error).toMatchObject({ code: 'corrupt_checkpoint' });
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toMatch(problem);
      expect(await fs.readFile(file, 'utf8')).toBe(bytes);
      expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
      expect(await fs.readdir(dir)).toEqual(['r.json']);
    },
  );

  it('a leftover temp file from a crashed write is ignored by load and list', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('run-1', makeCheckpoint('run-1', { reason: 'kickoff' }));
    const temp = path.join(dir, 'run-1.json.999.0123456789ab.tmp');
    await fs.writeFile(temp, JSON.stringify(makeCheckpoint('run-1')).slice(0, 40));
    expect((await store.load('run-1'))?.reason).toBe('kickoff');
    expect(await store.list()).toEqual(['run-1']);
    await store.save('run-1', makeCheckpoint('run-1', { reason: 'crew.completed' }));
    expect((await store.load('run-1'))?.reason).toBe('crew.completed');
    expect(await store.list()).toEqual(['run-1']);
  });
});

/** The pid of a process that has exited (pids are reused only after many others, not within a test). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('FileCheckpointStore temp files left by a killed process', () => {
  const temp = (runId: string, pid: number, random: string) => `${runId}.json.${pid}.${random}.tmp`;
  /** A temp file last written two minutes ago (a write in flight, on any host, is seconds old). */
  const leftBehind = async (name: string) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, 'x'.repeat(1000));
    const then = new Date(Date.now() - 120_000);
    await fs.utimes(file, then, then);
  };
  let sleeper: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    sleeper?.kill();
    sleeper = undefined;
  });

  it("a store's first save removes the temp files of dead processes only, of every run", async () => {
    const dead = await deadPid();
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    const live = sleeper.pid!;
    const kept = [
      temp('run-1', process.pid, 'aaaaaaaaaaaa'), // this process's own write in flight
      temp('run-1', live, 'bbbbbbbbbbbb'),
      'notes.json.1.tmp', // not a temp file of the store's
    ];
    const orphans = [
      temp('run-1', dead, '0123456789ab'),
      temp('other', dead, 'cccccccccccc'),
      temp('run-1.json.1', dead, 'dddddddddddd'),
    ];
    // A write in flight in a directory another host shares: its pid means nothing here, it is seconds old.
    const fresh = temp('run-2', dead, 'eeeeeeeeeeee');
    kept.push(fresh);
    await fs.writeFile(path.join(dir, fresh), 'x');
    for (const name of [...kept.filter((k) => k !== fresh), ...orphans]) await leftBehind(name);
    const store = new FileCheckpointStore(dir);
    await store.save('run-1', makeCheckpoint('run-1'));
    expect((await fs.readdir(dir)).sort()).toEqual([...kept, 'run-1.json'].sort());
  });

  it('reads the directory for them once per store, not on every save or for every run', async () => {
    const dead = await deadPid();
    const store = new FileCheckpointStore(dir);
    await store.save('run-1', makeCheckpoint('run-1'));
    const orphan = temp('run-2', dead, '0123456789ab');
    await leftBehind(orphan);
    await store.save('run-2', makeCheckpoint('run-2'));
    await store.delete('run-1');
    expect((await fs.readdir(dir)).sort()).toEqual([orphan, 'run-2.json'].sort());
    await new FileCheckpointStore(dir).save('run-2', makeCheckpoint('run-2'));
    expect(await fs.readdir(dir)).toEqual(['run-2.json']);
  });

  it("a store's first delete removes them too (a run without a checkpoint file may have some)", async () => {
    const dead = await deadPid();
    const own = temp('run-1', process.pid, 'aaaaaaaaaaaa');
    for (const name of [temp('run-3', dead, 'cccccccccccc'), own]) await leftBehind(name);
    await new FileCheckpointStore(dir).delete('run-3');
    expect(await fs.readdir(dir)).toEqual([own]);
  });
});

// A child process saves a large checkpoint in a loop and prints the sequence number of each completed
// save; the test SIGKILLs it at a random moment and checks what is on disk.
const CHILD_SCRIPT = `
import { FileCheckpointStore } from ${JSON.stringify(pathToFileURL(storeSource).href)};
const [dir, size] = process.argv.slice(2);
const store = new FileCheckpointStore(dir);
process.stdout.write('started\\n');
for (let seq = 0; ; seq++) {
  const payload = String(seq % 10).repeat(Number(size));
  await store.save('crash-run', {
    formatVersion: 1, runId: 'crash-run', crewName: 'crew', process: 'sequential',
    taskIds: ['t1'], agentIds: ['a1'], inputs: {}, reason: 'task.completed',
    savedAt: new Date().toISOString(), snapshot: { seq, payload },
  });
  process.stdout.write('saved ' + seq + '\\n');
}
`;
const PAYLOAD_SIZE = 4 * 1024 * 1024;
const CRASH_ITERATIONS = 6;

interface CrashRun {
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
  lastSaved: number | undefined;
}

async function runChildAndKill(script: string, storeDir: string, killAfterMs: number): Promise<CrashRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, storeDir, String(PAYLOAD_SIZE)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, signal) => resolve([code, signal])),
  );
  const started = new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('started\n')) resolve();
    });
  });
  // If the child dies on its own before starting, stop waiting and let the signal assertion report it.
  await Promise.race([started, closed]);
  await delay(killAfterMs);
  child.kill('SIGKILL');
  const [code, signal] = await closed;
  const saved = [...stdout.matchAll(/^saved (\d+)$/gm)].map((match) => Number(match[1]));
  return { code, signal, stderr, lastSaved: saved.at(-1) };
}

describe('FileCheckpointStore atomicity under a crash', () => {
  it(`a SIGKILL mid-save never leaves a torn checkpoint (${CRASH_ITERATIONS} runs)`, async () => {
    const script = path.join(dir, 'child.mts');
    await fs.writeFile(script, CHILD_SCRIPT);
    for (let i = 0; i < CRASH_ITERATIONS; i++) {
      const storeDir = path.join(dir, `store-${i}`);
      // The first run kills before any save can finish; the others at a random point of the save loop.
      const killAfterMs = i === 0 ? 0 : Math.floor(Math.random() * 400);
      const run = await runChildAndKill(script, storeDir, killAfterMs);
      const context = `iteration ${i}, killed after ${killAfterMs} ms; child stderr: ${run.stderr}`;
      expect(run.signal, context).toBe('SIGKILL');

      const store = new FileCheckpointStore(storeDir);
      const loaded = await store.load('crash-run');
      if (loaded === undefined) {
        expect(run.lastSaved, context).toBeUndefined();
        expect(await store.list()).toEqual([]);
        continue;
      }
      const snapshot = loaded.snapshot as { seq: number; payload: string };
      expect(snapshot.payload, context).toHaveLength(PAYLOAD_SIZE);
      expect(snapshot.payload === String(snapshot.seq % 10).repeat(PAYLOAD_SIZE), context).toBe(true);
      // A save that reported completion is never lost.
      expect(snapshot.seq, context).toBeGreaterThanOrEqual(run.lastSaved ?? 0);
      expect(await store.list()).toEqual(['crash-run']);
    }
  }, 120_000);
});
