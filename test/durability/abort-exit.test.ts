import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('an aborted run leaves nothing behind: the request is closed and the process exits by itself', async () => {
  const started = Date.now();
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'abort-crew.ts')],
    {
      timeout: 15_000,
    },
  );
  expect(stdout.trim().split('\n')).toEqual(['ABORTED', 'SERVER SAW THE REQUEST CLOSE']);
  // The agent's 60 s execution deadline and the rate limiter must not hold the process open.
  expect(Date.now() - started).toBeLessThan(10_000);
});
