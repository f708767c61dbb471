import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, fixture } from './cli-process.js';

beforeAll(ensureBuilt, 120_000);

const RUN_ID = /^run id: (\S+)$/m;
const HINT = /^resume with: statecrew (.+)$/m;

let dir: string;
/** What makes the fixture's `storedCrew` and `customStoreCrew` keep their checkpoints in `dir`. */
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'statecrew-cli-'));
  env = { STATECREW_TEST_CHECKPOINT_DIR: dir };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("the crew's own checkpoint store", () => {
  it('is where run checkpoints, and where resume and replay read, without --checkpoint-dir', async () => {
    const ran = await cli(['run', fixture, '--export', 'storedCrew', '--run-id', 'own'], { env });
    expect(ran.code, ran.stderr).toBe(0);
    expect(await readdir(dir)).toContain('own.json');

    const resumed = await cli(['resume', 'own', fixture, '--export', 'storedCrew'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe('ARTICLE about octopuses\n');
    expect(resumed.stderr).not.toContain('TOOL search');

    const args = ['replay', 'write', fixture, '--export', 'storedCrew', '--run-id', 'own'];
    const replayed = await cli([...args, '--inputs', '{"topic":"eels"}'], { env });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe('ARTICLE about eels\n');
    expect(replayed.stderr).not.toContain('TOOL search');
  });

  it('gives way to --checkpoint-dir', async () => {
    const other = await mkdtemp(join(tmpdir(), 'statecrew-cli-'));
    try {
      const args = ['run', fixture, '--export', 'storedCrew', '--run-id', 'moved', '--checkpoint-dir', other];
      const { code, stderr } = await cli(args, { env });
      expect(code, stderr).toBe(0);
      expect(await readdir(other)).toContain('moved.json');
      expect(await readdir(dir)).not.toContain('moved.json');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('is named "the crew\'s checkpoint store" when it is not a FileCheckpointStore', async () => {
    const { code, stderr } = await cli(['resume', 'nosuch', fixture, '--export', 'customStoreCrew'], {
      env,
    });
    expect(code).toBe(1);
    expect(stderr).toContain("No checkpoint for run 'nosuch' (looked in the crew's checkpoint store)");
  });
});

describe('the resume hint', () => {
  const writerDown = () => ({ ...env, STATECREW_TEST_WRITER_DOWN: '1' });

  it('is printed when a checkpoint was written, and following it finishes the run', async () => {
    const failed = await cli(['run', fixture, '--checkpoint-dir', dir], { env: writerDown() });
    expect(failed.code).toBe(1);
    const runId = RUN_ID.exec(failed.stderr)![1];
    const hint = HINT.exec(failed.stderr)?.[1];
    expect(hint).toBe(`resume ${runId} ${fixture} --checkpoint-dir ${dir}`);

    const resumed = await cli(hint!.split(' '), { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe('ARTICLE about octopuses\n');
    expect(resumed.stderr).not.toContain('TOOL search');
  });

  it("needs no --checkpoint-dir when the crew's own store has the checkpoint", async () => {
    const failed = await cli(['run', fixture, '--export', 'storedCrew'], { env: writerDown() });
    expect(failed.code).toBe(1);
    const runId = RUN_ID.exec(failed.stderr)![1];
    expect(HINT.exec(failed.stderr)?.[1]).toBe(`resume ${runId} ${fixture} --export storedCrew`);
  });

  it('is not printed when no checkpoint was written yet', async () => {
    const args = ['run', fixture, '--export', 'failingCrew', '--checkpoint-dir', dir];
    const { code, stderr } = await cli(args, { env: { STATECREW_TEST_API_KEY: 'sk-test-x' } });
    expect(code).toBe(1);
    const runId = RUN_ID.exec(stderr)![1];
    expect(stderr).not.toContain('resume with:');
    expect(stderr).toContain(`no checkpoint of run ${runId} was written yet: nothing to resume`);
  });
});

describe('a checkpointed run', () => {
  it('prints its run id and where its checkpoints go when it starts (seen even after kill -9)', async () => {
    const args = ['run', fixture, '--export', 'stuckCrew', '--checkpoint-dir', dir, '--run-id', 'killed'];
    const { code, stderr } = await cli(args, { interruptOn: 'MODEL CALLED', interruptWith: 'SIGKILL' });
    expect(code).toBeNull();
    expect(stderr).toContain(`run id: killed (checkpoints in ${dir})`);
  });

  it('names the directory it looked in when resume finds no checkpoint there', async () => {
    const typo = join(dir, 'typo');
    const { code, stderr } = await cli(['resume', 'first', fixture, '--checkpoint-dir', typo]);
    expect(code).toBe(1);
    expect(stderr).toContain(`No checkpoint for run 'first' (looked in ${typo}, which does not exist)`);
  });
});
