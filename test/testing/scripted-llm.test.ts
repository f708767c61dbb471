import { describe, expect, it } from 'vitest';
import { Agent, Crew, Task } from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';

const ask = (llm: ScriptedLLM, text: string) => llm.call({ messages: [{ role: 'user', content: text }] });

describe('ScriptedLLM', () => {
  it('answers from a list in order, then says it has no reply left', async () => {
    const llm = new ScriptedLLM(['one', { toolCalls: [{ name: 'search', arguments: { q: 'x' } }] }]);
    expect((await ask(llm, 'a')).content).toBe('one');
    expect((await ask(llm, 'b')).toolCalls).toEqual([
      { id: 'call_1', name: 'search', arguments: '{"q":"x"}' },
    ]);
    expect(llm.remaining).toBe(0);
    await expect(ask(llm, 'c')).rejects.toThrow("ScriptedLLM 'scripted' has no reply left for call 3");
  });

  it('takes a function given alone as a handler of every call', async () => {
    const llm = new ScriptedLLM((request) => `echo ${request.messages.at(-1)?.content ?? ''}`);
    const agent = new Agent({ role: 'R', goal: 'g', backstory: 'b', llm });
    const crew = new Crew({
      agents: [agent],
      tasks: ['first', 'second', 'third'].map(
        (d) => new Task({ description: d, expectedOutput: 'e', agent }),
      ),
    });
    const output = await crew.kickoff();

    expect(output.tasksOutput.map((o) => o.raw.split('\n')[0])).toEqual([
      'echo Current Task: first',
      'echo Current Task: second',
      'echo Current Task: third',
    ]);
    expect(llm.calls).toHaveLength(3);
    expect(llm.remaining).toBe(Infinity);
    expect(() => llm.assertComplete()).not.toThrow();
  });

  it('keeps a function inside a list to one call', async () => {
    const llm = new ScriptedLLM([() => 'once']);
    expect((await ask(llm, 'a')).content).toBe('once');
    await expect(ask(llm, 'b')).rejects.toThrow('no reply left for call 2');
  });
});
