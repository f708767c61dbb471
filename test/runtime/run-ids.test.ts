// A run id names one active run in the process.
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
});
