// A run driven by events (crew.createActor, feedback as human.feedback events) survives its process: it
// is killed while a task waits for a person, and a new process restores the actor with
// crew.resumeActor(), takes the feedback by events and finishes without running the done task again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkpointReason, startFixture, until } from '../helpers/child-fixture.js';

const fixture = join(import.meta.dirname, 'fixtures', 'event-crew.ts');
const start = (mode: string, dir: string) => startFixture(fixture, [mode, dir], { stdin: true });
const reasonOf = (dir: string) => checkpointReason(dir, 'event-run');

it('restores an event-driven run killed while waiting for a person; events finish it in the new process', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'statecrew-event-crash-'));
  try {
    const first = start('run', dir);
    await first.waitFor('WAITING write 1');
    await until(async () => (await reasonOf(dir)) === 'human.input.requested');
    first.process.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(first.lines.filter((l) => l.startsWith('CALL'))).toEqual(['CALL researcher', 'CALL writer']);

    const second = start('resume', dir);
    await second.waitFor('WAITING write 1');
    // Restored waiting: nothing was run again to get back there.
    expect(second.lines.filter((l) => l.startsWith('CALL'))).toEqual([]);
    second.send('Shorter, please');
    await second.waitFor('WAITING write 2');
    expect(second.lines.filter((l) => l.startsWith('CALL'))).toEqual(['CALL writer']);
    second.send('');
    second.process.stdin!.end();
    const output = await second.waitFor('OUTPUT ');
    expect(await second.exited).toBe(0);
    expect(JSON.parse(output.slice('OUTPUT '.length))).toEqual([
      'facts about octopuses: A, B',
      'a short article on A and B',
    ]);
    expect(await reasonOf(dir)).toBe('crew.completed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
