import { spawn } from 'node:child_process';

export interface ChildResult {
  code: number | null;
  out: string;
  err: string;
  timedOut: boolean;
  ms: number;
}

/** Runs a command to its end, collecting its output; SIGKILLs it after `limitS` seconds so no bench hangs. */
export function runChild(
  cmd: string,
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; limitS: number },
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.limitS * 1000);
    child.on('error', (error) => {
      err += String(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, timedOut, ms: Date.now() - t0 });
    });
  });
}
