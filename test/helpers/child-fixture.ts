// A crew fixture run in a child process (real crashes for durability tests): its stdout lines, a wait
// for a line, its exit, and (with stdin) a way to type answers into it. Killed after each test.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export interface FixtureProcess {
  process: ChildProcess;
  lines: string[];
  /** The first stdout line starting with `prefix`; rejects (with stderr) if the child exits first. */
  waitFor(prefix: string): Promise<string>;
  exited: Promise<number | null>;
  /** Writes a line to the child's stdin (started with `{ stdin: true }`). */
  send(line: string): void;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

export function startFixture(
  fixture: string,
  args: string[],
  options: { stdin?: boolean } = {},
): FixtureProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
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
  const send = (line: string) => {
    if (!child.stdin) throw new Error('the fixture was started without stdin');
    child.stdin.write(`${line}\n`);
  };
  return { process: child, lines, waitFor, exited, send };
}

/** The `reason` of run `runId`'s checkpoint file in `dir`, or undefined while there is none. */
export async function checkpointReason(dir: string, runId: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(dir, `${runId}.json`), 'utf8')) as { reason: string }).reason;
  } catch {
    return undefined;
  }
}

export async function until(condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
