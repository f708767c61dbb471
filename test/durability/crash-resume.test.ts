import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = join(import.meta.dirname, 'fixtures', 'crash-crew.ts');
const children: ChildProcess[] = [];

interface Child {
  process: ChildProcess;
  lines: string[];
  waitFor(prefix: string): Promise<string>;
  exited: Promise<number | null>;
}

function start(mode: string, dir: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    waiters.splice(0).forEach((wake) => wake());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => l.startsWith(prefix));
        if (line) return resolve(line);
        waiters.push(check);
      };
      void exited.then((code) =>
        reject(new Error(`child exited (${code}) before '${prefix}'; stderr: ${stderr}`)),
      );
      check();
    });
  return { process: child, lines, waitFor, exited };
}

async function checkpointReason(dir: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(dir, 'crash-run.json'), 'utf8')) as { reason: string }).reason;
  } catch {
    return undefined;
  }
}

async function until(condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('a run that survives its process', () => {
  it('resumes in a new process after SIGKILL during a later task, without calling the finished task again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statecrew-crash-'));
    try {
      const first = start('run', dir);
      await first.waitFor('CALL writer');
      await until(async () => (await checkpointReason(dir)) === 'task.completed');
      first.process.kill('SIGKILL');
      expect(await first.exited).toBeNull();

      const second = start('resume', dir);
      const output = await second.waitFor('OUTPUT ');
      expect(await second.exited).toBe(0);
      expect(second.lines.filter((l) => l.startsWith('CALL researcher'))).toEqual([]);
      expect(second.lines.filter((l) => l.startsWith('CALL writer'))).toHaveLength(1);
      expect(JSON.parse(output.slice('OUTPUT '.length))).toEqual([
        'facts about octopuses: A, B',
        'an article on A and B',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resumes a run killed while waiting for a person, and takes the feedback in the new process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statecrew-crash-'));
    try {
      const first = start('human-run', dir);
      await first.waitFor('HUMAN write');
      await until(async () => (await checkpointReason(dir)) === 'human.input.requested');
      first.process.kill('SIGKILL');
      await first.exited;

      const second = start('human-resume', dir);
      const output = await second.waitFor('OUTPUT ');
      expect(await second.exited).toBe(0);
      expect(second.lines).toContain('HUMAN write');
      expect(second.lines.filter((l) => l.startsWith('CALL'))).toEqual([]);
      expect(JSON.parse(output.slice('OUTPUT '.length))).toEqual([
        'facts about octopuses: A, B',
        'an article on A and B',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
