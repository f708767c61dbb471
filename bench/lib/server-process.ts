import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  stop(): void;
}

/** Starts bench/lib/fake-server.ts in a child process and waits for its URL. */
export function startServerProcess(): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./fake-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('fake server did not start in 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`fake server exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /@@URL (\S+)/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], stop: () => child.stdin!.end() });
      }
    });
  });
}
