import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startInspectionServer, type InspectionServer } from './fixtures/ws-server.js';

const script = join(import.meta.dirname, 'fixtures', 'inspected-run.ts');
const EXIT_WITHIN_MS = 8_000;
let server: InspectionServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the fixture; resolves with its exit code and output, or with code 'timeout' after killing it. */
function runInspected(url: string, mode: 'stop' | 'no-stop') {
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = Date.now();
  return new Promise<{ code: number | string | null; stdout: string; stderr: string; ms: number }>(
    (resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: 'timeout', stdout, stderr, ms: Date.now() - started });
      }, EXIT_WITHIN_MS);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      });
    },
  ).finally(() => child.kill('SIGKILL'));
}

describe('a process running a crew with createCrewInspector attached', () => {
  it('exits by itself after stop(), having delivered the run to the server', async () => {
    server = await startInspectionServer();
    const result = await runInspected(server.url, 'stop');
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'DONE Squid article\n' });
    expect(server.actorNames()).toEqual(
      expect.arrayContaining(['crew.sequential', 'task:research', 'task:write']),
    );
  });

  it('exits by itself even when stop() is never called', async () => {
    server = await startInspectionServer();
    const result = await runInspected(server.url, 'no-stop');
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'DONE Squid article\n' });
  });

  it.each(['stop', 'no-stop'] as const)('exits when the server was already closed (%s)', async (mode) => {
    const closed = await startInspectionServer();
    await closed.close();
    const result = await runInspected(closed.url, mode);
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'DONE Squid article\n' });
  });

  it.each(['stop', 'no-stop'] as const)('exits when no server was ever started (%s)', async (mode) => {
    // Port 1 (tcpmux) is privileged and unused: the connection is refused at once.
    const result = await runInspected('ws://127.0.0.1:1', mode);
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'DONE Squid article\n' });
  });
});
