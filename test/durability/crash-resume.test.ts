import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointReason, startFixture, until } from '../helpers/child-fixture.js';

const fixture = join(import.meta.dirname, 'fixtures', 'crash-crew.ts');
const start = (mode: string, dir: string) => startFixture(fixture, [mode, dir]);
const reasonOf = (dir: string) => checkpointReason(dir, 'crash-run');

describe('a run that survives its process', () => {
  it('resumes in a new process after SIGKILL during a later task, without calling the finished task again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statecrew-crash-'));
    try {
      const first = start('run', dir);
      await first.waitFor('CALL writer');
      await until(async () => (await reasonOf(dir)) === 'task.completed');
      first.process.kill('SIGKILL');
      expect(await first.exited).toBeNull();

      const second = start('resume', dir);
      const output = await second.waitFor('OUTPUT ');
      expect(await second.exited).toBe(0);
      expect(second.lines.filter((l) => l.startsWith('CALL researcher'))).toEqual([]);
      expect(second.lines.filter((l) => l.startsWith('CALL writer'))).toHaveLength(1);
      expect(JSON.parse(output.slice('OUTPUT '.length))).toEqual([
        'facts about octopuses: A, B',
        'an article on A and B',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resumes a run killed while waiting for a person, and takes the feedback in the new process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statecrew-crash-'));
    try {
      const first = start('human-run', dir);
      await first.waitFor('HUMAN write');
      await until(async () => (await reasonOf(dir)) === 'human.input.requested');
      first.process.kill('SIGKILL');
      await first.exited;

      const second = start('human-resume', dir);
      const output = await second.waitFor('OUTPUT ');
      expect(await second.exited).toBe(0);
      expect(second.lines).toContain('HUMAN write');
      expect(second.lines.filter((l) => l.startsWith('CALL'))).toEqual([]);
      expect(JSON.parse(output.slice('OUTPUT '.length))).toEqual([
        'facts about octopuses: A, B',
        'an article on A and B',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
