// A run id names one active run in the process.
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Crew, StatecrewError, Task } from '../../src/index.js';
import { deferred, scriptedAgent } from '../helpers/crew-fixtures.js';

function oneTaskCrew(reply: () => Promise<string> | string = () => 'done') {
  const { agent } = scriptedAgent('Writer', Array(4).fill(reply));
  const tasks = [new Task({ description: 'Write', expectedOutput: 'x', agent })];
  return new Crew({ agents: [agent], tasks });
}

describe('run ids', () => {
  it('refuses a run with the id of an active one, and frees the id when that run ends', async () => {
    const gate = deferred<string>();
    const crew = oneTaskCrew(() => gate.promise);
    const first = crew.kickoff({}, { runId: 'nightly' });
    await expect(oneTaskCrew().kickoff({}, { runId: 'nightly' })).rejects.toMatchObject({
      code: 'run_id_in_use',
    });
    expect(() => oneTaskCrew().createActor({}, { runId: 'nightly' })).toThrow(StatecrewError);
    gate.resolve('done');
    await first;
    expect((await oneTaskCrew().kickoff({}, { runId: 'nightly' })).raw).toBe('done');
  });

  it('frees the id of an actor stopped before it started', async () => {
    const crew = oneTaskCrew();
    const actor = crew.createActor({}, { runId: 'abandoned' });
    actor.stop();
    expect((await crew.kickoff({}, { runId: 'abandoned' })).raw).toBe('done');
  });

  it('ends a stream whose run cannot start (its id is in use) with crew.failed alone: it never started', async () => {
    const gate = deferred<string>();
    const busy = oneTaskCrew(() => gate.promise);
    const first = busy.kickoff({}, { runId: 'same' });
    const events = await firstValueFrom(oneTaskCrew().stream({}, { runId: 'same' }).pipe(toArray()));
    expect(events.map((e) => e.type)).toEqual(['crew.failed']);
    expect(events[0]).toMatchObject({ runId: 'same', error: { code: 'run_id_in_use' } });
    gate.resolve('done');
    await first;
  });
});
