import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FEEDBACK_PROMPT, hasPythonPty, startInTerminal, type Terminal } from '../helpers/human-fixtures.js';
import { bin, ensureBuilt, fixture } from './cli-process.js';

beforeAll(ensureBuilt, 120_000);

const PROMPT = FEEDBACK_PROMPT;

describe.skipIf(!hasPythonPty())('Ctrl-C at the review prompt (the CLI in a pseudo-terminal)', () => {
  let dir: string;
  let terminal: Terminal | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'statecrew-cli-'));
  });
  afterEach(async () => {
    terminal?.kill();
    await rm(dir, { recursive: true, force: true });
  });
  const statecrew = (...args: string[]) =>
    (terminal = startInTerminal(process.execPath, [bin, ...args], { STATECREW_TEST_CHECKPOINT_DIR: dir }));

  it('interrupts the run (exit 130), which then resumes at the same prompt', async () => {
    const run = statecrew('run', fixture, '--export', 'reviewedCrew', '--run-id', 'reviewed');
    await run.waitFor((s) => s.includes(PROMPT), 'the prompt', 15_000);
    run.type('\x03');
    expect(await run.exited).toBe(130);
    expect(run.screen()).toContain('statecrew: interrupted, stopping the run');
    expect(run.screen()).not.toContain('(failed)');
    expect(run.screen()).toContain(`resume with: statecrew resume reviewed ${fixture} --export reviewedCrew`);

    const resumed = statecrew('resume', 'reviewed', fixture, '--export', 'reviewedCrew');
    await resumed.waitFor((s) => s.includes(PROMPT), 'the prompt again', 15_000);
    resumed.type('\r');
    expect(await resumed.exited).toBe(0);
    expect(resumed.screen()).toContain('DRAFT');
  }, 40_000);
});
