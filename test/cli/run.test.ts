import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInspectionServer } from '../inspect/fixtures/ws-server.js';
import { cli, ensureBuilt, fixture } from './cli-process.js';

beforeAll(ensureBuilt, 120_000);

const RUN_ID = /^run id: (\S+)$/m;

describe('statecrew run', () => {
  it('prints the final output on stdout, and one line per task and the run id on stderr', async () => {
    const { code, stdout, stderr } = await cli(['run', fixture]);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('ARTICLE about octopuses\n');
    expect(stderr).toContain("▶ crew 'cli-test' (sequential, 2 tasks)");
    expect(stderr).toContain('✓ [1/2] Research facts about octopuses.');
    expect(stderr).toContain('✓ [2/2] Write an article about octopuses.');
    expect(stderr).toMatch(/^run id: run-\S+$/m);
  });

  it('passes --inputs to the kickoff', async () => {
    const { code, stdout, stderr } = await cli(['run', fixture, '--inputs', '{"topic":"squid"}']);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('ARTICLE about squid\n');
    expect(stderr).toContain('TOOL search(squid)');
  });

  it('shows every step with --verbose', async () => {
    const { code, stdout, stderr } = await cli(['run', fixture, '--verbose', '--run-id', 'verbose-run']);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('ARTICLE about octopuses\n');
    expect(stderr).toContain("▶ crew 'cli-test' (sequential) started, run verbose-run");
    expect(stderr).toContain('⚙ search({"query":"octopuses"})');
    expect(stderr).toContain("✓ task 'Write an article about octopuses.' done");
    expect(stderr).toContain('■ crew done: 45 tokens in 3 requests');
    expect(stderr).toMatch(/^run id: verbose-run$/m);
    expect(stderr).not.toContain('[1/2]');
  });

  it.each(['crew', 'makeCrew', 'asyncCrew'])(
    'runs --export %s (a Crew, a function, an async function)',
    async (name) => {
      const { code, stdout, stderr } = await cli(['run', fixture, '--export', name]);
      expect(code, stderr).toBe(0);
      expect(stdout).toBe('ARTICLE about octopuses\n');
    },
  );

  it('exits 1 when the run fails, with the run id and without the API key', async () => {
    const key = 'sk-test-0123456789abcdef';
    const { code, stdout, stderr } = await cli(['run', fixture, '--export', 'failingCrew'], {
      env: { STATECREW_TEST_API_KEY: key },
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/statecrew: run failed: .*401 Unauthorized: bad key \[redacted\]/);
    expect(stderr).toContain('✗ [1/1] Do it. (failed)');
    expect(stderr).toMatch(RUN_ID);
    expect(stderr).not.toContain(key);
  });

  it('says how to resume a failed run, with the same --export', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statecrew-cli-'));
    try {
      // The first task is done (and checkpointed), the second one fails.
      const args = ['run', fixture, '--export', 'crew', '--checkpoint-dir', dir];
      const { code, stderr } = await cli(args, { env: { STATECREW_TEST_WRITER_DOWN: '1' } });
      expect(code).toBe(1);
      const runId = RUN_ID.exec(stderr)![1];
      expect(stderr).toContain(
        `resume with: statecrew resume ${runId} ${fixture} --export crew --checkpoint-dir ${dir}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('aborts the run on Ctrl-C (SIGINT) and exits 130 with the run id', async () => {
    const { code, stdout, stderr } = await cli(['run', fixture, '--export', 'stuckCrew'], {
      interruptOn: 'MODEL CALLED',
    });
    expect(stdout).toBe('');
    expect(stderr).toContain('statecrew: interrupted, stopping the run');
    expect(stderr).toContain('statecrew: run stopped (interrupted); it did not finish');
    expect(stderr).not.toContain('run failed');
    expect(stderr).toMatch(RUN_ID);
    expect(code).toBe(130);
  });

  it('fails (exit 1) instead of exiting 0 silently when the run can never finish', async () => {
    const { code, stdout, stderr } = await cli(['run', fixture, '--export', 'deadCrew']);
    expect(stdout).toBe('');
    expect(stderr).toContain('statecrew: the run stopped with work pending and nothing left to wait for');
    expect(code).toBe(1);
  });

  it('sends the run to --inspect and exits when it is done', async () => {
    const server = await startInspectionServer();
    try {
      const { code, stderr } = await cli(['run', fixture, '--inspect', server.url]);
      expect(code, stderr).toBe(0);
      expect(server.actorNames()).toEqual(
        expect.arrayContaining([
          'crew.sequential',
          'task:research',
          'task:write',
          'agent:researcher',
          'agent:writer',
        ]),
      );
    } finally {
      await server.close();
    }
  });

  it('exits at once after the run when nothing listens at --inspect', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await cli(['run', fixture, '--inspect', 'ws://127.0.0.1:1']);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('ARTICLE about octopuses\n');
    expect(stderr).toMatch(/statecrew: inspector: .*ECONNREFUSED/);
    // That the inspector alone never holds the process is shown without the CLI's exit grace in
    // test/inspect/process-exit.test.ts; here the command must simply end.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('statecrew run --checkpoint-dir, then replay and resume', () => {
  let dir: string;
  let first: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'statecrew-cli-'));
    const { code, stderr } = await cli(['run', fixture, '--checkpoint-dir', dir, '--run-id', 'first']);
    expect(code, stderr).toBe(0);
    first = RUN_ID.exec(stderr)![1];
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('checkpoints the run under its id', async () => {
    expect(first).toBe('first');
    expect(await readdir(dir)).toContain('first.json');
  });

  it('replays from a task as a new run: earlier tasks are not run again', async () => {
    const { code, stdout, stderr } = await cli([
      'replay',
      'write',
      fixture,
      '--checkpoint-dir',
      dir,
      '--run-id',
      'first',
      '--inputs',
      '{"topic":"eels"}',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('ARTICLE about eels\n');
    expect(stderr).not.toContain('TOOL search');
    expect(stderr).not.toContain('[1/2]');
    expect(stderr).toContain('✓ [2/2] Write an article about eels.');
    const replayId = RUN_ID.exec(stderr)?.[1];
    expect(replayId).toMatch(/^run-/);
    expect(await readdir(dir)).toContain(`${replayId}.json`);
  });

  it('resumes a finished run without running any task again', async () => {
    const { code, stdout, stderr } = await cli(['resume', 'first', fixture, '--checkpoint-dir', dir]);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('ARTICLE about octopuses\n');
    expect(stderr).not.toContain('TOOL search');
    expect(stderr).not.toContain('✓ [');
    expect(stderr).toMatch(/^run id: first$/m);
  });

  it('fails (exit 1) to resume a run that has no checkpoint, or to replay an unknown task', async () => {
    const resumed = await cli(['resume', 'nosuch', fixture, '--checkpoint-dir', dir]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/run failed: .*nosuch/);
    const replayed = await cli(['replay', 'nosuch', fixture, '--checkpoint-dir', dir]);
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toMatch(/run failed: Task 'nosuch' is not in this crew's tasks/);
  });
});
