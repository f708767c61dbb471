import { execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
export const bin = join(root, 'dist', 'cli.js');
export const fixture = join(import.meta.dirname, 'fixtures', 'crew.ts');

/** The tests run the real built bin; `npm test` builds first, a lone vitest run builds if needed. */
export function ensureBuilt(): void {
  if (!existsSync(bin)) execSync('npx tsup', { cwd: root, stdio: 'ignore' });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js …args`; kills it (and fails) if it has not exited within `timeoutMs`. */
export function cli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** Sends SIGINT once stderr contains this text (Ctrl-C in a terminal). */
    interruptOn?: string;
    /** The signal `interruptOn` sends instead of SIGINT (SIGKILL: `kill -9`). */
    interruptWith?: NodeJS.Signals;
  } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let interrupted = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.interruptOn && !interrupted && stderr.includes(options.interruptOn)) {
      interrupted = true;
      child.kill(options.interruptWith ?? 'SIGINT');
    }
  });
  return new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `statecrew ${args.join(' ')} did not exit within ${options.timeoutMs ?? 15_000} ms\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    // 'close', not 'exit': only then has all of the child's output been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  }).finally(() => child.kill('SIGKILL'));
}
