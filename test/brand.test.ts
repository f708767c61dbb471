// Two copies of statecrew in one process (the CommonJS build beside the ESM one, as a CJS helper loaded
// by an ESM app gets): objects of one copy are instances of the other's classes. Needs a build (dist).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as esm from '../src/index.js';
import { ScriptedLLM } from '../src/testing/index.js';

const cjs = createRequire(import.meta.url)('../dist/index.cjs') as typeof esm;

describe('instanceof across copies of statecrew', () => {
  it('holds for errors, by class, in both directions', () => {
    const fromCjs = (() => {
      try {
        new cjs.Crew({ agents: [], tasks: [] });
      } catch (error) {
        return error;
      }
    })();
    expect(cjs.CrewValidationError).not.toBe(esm.CrewValidationError);
    expect(fromCjs).toBeInstanceOf(esm.CrewValidationError);
    expect(fromCjs).toBeInstanceOf(esm.StatecrewError);
    expect(fromCjs).toBeInstanceOf(Error);
    expect(fromCjs).not.toBeInstanceOf(esm.TaskExecutionError);
    expect(new esm.TaskExecutionError('t', 'm')).toBeInstanceOf(cjs.TaskExecutionError);
    expect(new esm.CrewAbortedError()).toBeInstanceOf(cjs.StatecrewError);
    expect(new esm.CrewAbortedError()).not.toBeInstanceOf(cjs.LLMError);
  });

  it("keeps the usual rule for a user's subclass", () => {
    class MyError extends esm.CrewValidationError {}
    expect(new esm.CrewValidationError('invalid_option', 'm')).not.toBeInstanceOf(MyError);
    expect(new MyError('invalid_option', 'm')).toBeInstanceOf(cjs.CrewValidationError);
    expect({ code: 'invalid_option' }).not.toBeInstanceOf(esm.StatecrewError);
  });

  it("takes the other copy's TaskOutput from a guardrail and CrewOutput from afterKickoff", async () => {
    const agent = new esm.Agent({ role: 'W', goal: 'g', backstory: 'b', llm: new ScriptedLLM(['answer']) });
    const task = new esm.Task({
      description: 'Write',
      expectedOutput: 'text',
      agent,
      guardrail: (output) => [true, new cjs.TaskOutput({ ...output.toJSON(), raw: 'edited' })],
    });
    const crew = new esm.Crew({
      agents: [agent],
      tasks: [task],
      afterKickoff: [(output) => cjs.CrewOutput.fromData({ ...output.toJSON(), raw: `${output.raw}!` })],
    });
    const output = await crew.kickoff();

    expect(output.tasksOutput[0].raw).toBe('edited');
    expect(output.raw).toBe('edited!');
    expect(output).toBeInstanceOf(esm.CrewOutput);
  });
});
