import { describe, expect, it } from 'vitest';
import { Agent, Crew, InterpolationError, Task, type Inputs } from '../../src/index.js';
import {
  deferred,
  flush,
  REPLY_USAGE,
  replyingLLM,
  taskPrompt,
  until,
  type Deferred,
} from '../helpers/crew-fixtures.js';

/** A one-task crew whose model answers `Research <topic>` when the test opens that topic's gate. */
function topicCrew(gated: boolean) {
  const gates = new Map<string, Deferred<string>>();
  const started: string[] = [];
  const llm = replyingLLM((request) => {
    const topic = /Research (\w+)/.exec(taskPrompt(request))?.[1] ?? '?';
    started.push(topic);
    if (!gated) return `about ${topic}`;
    const gate = deferred<string>();
    gates.set(topic, gate);
    return gate.promise;
  });
  const agent = new Agent({ role: 'Researcher', goal: 'g', backstory: 'b', llm });
  const crew = new Crew({
    agents: [agent],
    tasks: [new Task({ description: 'Research {topic}', expectedOutput: 'x', agent })],
  });
  const open = (topic: string) => gates.get(topic)!.resolve(`about ${topic}`);
  return { crew, llm, started, open };
}

describe('kickoffForEach', () => {
  it('runs one kickoff per input, one at a time by default, and returns outputs in input order', async () => {
    const { crew, started, open } = topicCrew(true);
    const run = crew.kickoffForEach([{ topic: 'ants' }, { topic: 'bees' }]);

    await until(() => started.length === 1);
    await flush();
    expect(started).toEqual(['ants']);
    open('ants');
    await until(() => started.length === 2);
    open('bees');

    const outputs = await run;
    expect(outputs.map((o) => o.raw)).toEqual(['about ants', 'about bees']);
    expect(new Set(outputs.map((o) => o.runId)).size).toBe(2);
  });

  it('runs up to `concurrency` kickoffs at once and still returns outputs in input order', async () => {
    const { crew, started, open } = topicCrew(true);
    const run = crew.kickoffForEach([{ topic: 'ants' }, { topic: 'bees' }, { topic: 'cats' }], {
      concurrency: 2,
    });

    await until(() => started.length === 2);
    await flush();
    expect(started).toEqual(['ants', 'bees']);
    open('bees');
    await until(() => started.length === 3);
    open('cats');
    await flush();
    open('ants');

    const outputs = await run;
    expect(outputs.map((o) => o.raw)).toEqual(['about ants', 'about bees', 'about cats']);
  });

  it('sums the usage of every kickoff into crew.usageMetrics', async () => {
    const { crew } = topicCrew(false);

    const outputs = await crew.kickoffForEach([{ topic: 'ants' }, { topic: 'bees' }, { topic: 'cats' }]);

    expect(outputs.every((o) => o.tokenUsage.successfulRequests === 1)).toBe(true);
    expect(crew.usageMetrics).toMatchObject({
      successfulRequests: 3,
      promptTokens: 3 * REPLY_USAGE.promptTokens,
      completionTokens: 3 * REPLY_USAGE.completionTokens,
      totalTokens: 3 * REPLY_USAGE.totalTokens,
    });
  });

  it('stops the other runs when one fails, rejects with that error, and counts every run in usageMetrics', async () => {
    const seen: AbortSignal[] = [];
    const llm = replyingLLM((request) => {
      const topic = /Research (\w+)/.exec(taskPrompt(request))?.[1] ?? '?';
      if (topic === 'ants') return 'about ants';
      // bees fails a few event-loop turns later, once ants' run has finished.
      if (topic === 'bees')
        return flush().then(() => {
          throw new Error('model down for bees');
        });
      seen.push(request.signal!);
      return new Promise<string>(() => {});
    });
    const agent = new Agent({ role: 'Researcher', goal: 'g', backstory: 'b', llm, maxRetryLimit: 0 });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Research {topic}', expectedOutput: 'x', agent })],
    });
    const inputs = ['cats', 'ants', 'dogs', 'bees', 'eels', 'fish'].map((topic) => ({ topic }));

    const error = await crew.kickoffForEach(inputs, { concurrency: 4 }).catch((e: unknown) => e);

    expect((error as Error).message).toContain('model down for bees');
    // cats, dogs and eels (started when ants was done) were waiting on the model: aborted; fish never started.
    expect(seen).toHaveLength(3);
    expect(seen.every((signal) => signal.aborted)).toBe(true);
    expect(llm.calls.map((c) => /Research (\w+)/.exec(taskPrompt(c))?.[1])).not.toContain('fish');
    expect(crew.usageMetrics.successfulRequests).toBe(1);
  });

  it.each([Number.NaN, 0, 1.5, -1])('refuses concurrency %s before anything runs', async (concurrency) => {
    const { crew, llm } = topicCrew(false);
    await expect(crew.kickoffForEach([{ topic: 'ants' }], { concurrency })).rejects.toMatchObject({
      code: 'invalid_option',
    });
    expect(llm.calls).toHaveLength(0);
  });

  it('returns [] for []', async () => {
    const { crew, llm } = topicCrew(false);

    expect(await crew.kickoffForEach([])).toEqual([]);
    expect(llm.calls).toHaveLength(0);
  });

  it.each([
    ['a string', 'bees'],
    ['null', null],
    ['an array', [{ topic: 'bees' }]],
    ['a number', 3],
  ])('rejects with TypeError before anything runs when an input is %s', async (_label, bad) => {
    const { crew, llm } = topicCrew(false);

    const error = await crew
      .kickoffForEach([{ topic: 'ants' }, bad as unknown as Inputs])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('1');
    expect(llm.calls).toHaveLength(0);
  });

  it('checks every input value before the first kickoff (a bad last one loses no finished run)', async () => {
    const { crew, llm } = topicCrew(false);

    const error = await crew
      .kickoffForEach([{ topic: 'ants' }, { topic: (() => 'bees') as unknown as string }])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InterpolationError);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect(llm.calls).toHaveLength(0);
  });
});
