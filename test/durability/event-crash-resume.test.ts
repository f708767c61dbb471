// A run driven by events (crew.createActor, feedback as human.feedback events) survives its process: it
// is killed while a task waits for a person, and a new process restores the actor with
// crew.resumeActor(), takes the feedback by events and finishes without running the done task again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

const fixture = join(import.meta.dirname, 'fixtures', 'event-crew.ts');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function start(mode: 'run' | 'resume', dir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode, dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
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
  const send = (feedback: string) => child.stdin!.write(`${feedback}\n`);
  return { process: child, lines, waitFor, exited, send };
}

async function checkpointReason(dir: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(dir, 'event-run.json'), 'utf8')) as { reason: string }).reason;
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

it('restores an event-driven run killed while waiting for a person; events finish it in the new process', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'statecrew-event-crash-'));
  try {
    const first = start('run', dir);
    await first.waitFor('WAITING write 1');
    await until(async () => (await checkpointReason(dir)) === 'human.input.requested');
    first.process.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(first.lines.filter((l) => l.startsWith('CALL'))).toEqual(['CALL researcher', 'CALL writer']);

    const second = start('resume', dir);
    await second.waitFor('WAITING write 1');
    // Restored waiting: nothing was run again to get back there.
    expect(second.lines.filter((l) => l.startsWith('CALL'))).toEqual([]);
    second.send('Shorter, please');
    await second.waitFor('WAITING write 2');
    expect(second.lines.filter((l) => l.startsWith('CALL'))).toEqual(['CALL writer']);
    second.send('');
    second.process.stdin!.end();
    const output = await second.waitFor('OUTPUT ');
    expect(await second.exited).toBe(0);
    expect(JSON.parse(output.slice('OUTPUT '.length))).toEqual([
      'facts about octopuses: A, B',
      'a short article on A and B',
    ]);
    expect(await checkpointReason(dir)).toBe('crew.completed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
