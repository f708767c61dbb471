import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Crew, Task, tool, type CrewEvent, type Tool } from '../../src/index.js';
import type { LLMRequest } from '../../src/llm/types.js';
import type { ScriptedReply } from '../../src/testing/index.js';
import { collect, flush, replyingLLM, scriptedAgent, until } from '../helpers/crew-fixtures.js';

const MINUTE = 60_000;

describe('maxRpm', () => {
  beforeEach(() => {
    // Only the clock the limiter uses is faked; setImmediate (used to let the run progress) stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function tasksFor(agent: ReturnType<typeof scriptedAgent>['agent'], count: number) {
    return Array.from(
      { length: count },
      (_, i) => new Task({ description: `Task ${i + 1}`, expectedOutput: 'x', agent }),
    );
  }

  it("lets no more than the crew's maxRpm requests of an agent start in a sliding minute; the next waits for a free slot", async () => {
    const llm = replyingLLM(() => 'ok');
    const { agent } = scriptedAgent('Worker', llm);
    let done = false;
    const run = new Crew({ agents: [agent], tasks: tasksFor(agent, 3), maxRpm: 2 })
      .kickoff()
      .finally(() => (done = true));

    await until(() => llm.calls.length === 2);
    await flush();
    expect(llm.calls).toHaveLength(2);

    await vi.advanceTimersByTimeAsync(MINUTE - 1);
    await flush();
    expect(llm.calls).toHaveLength(2);
    expect(done).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    await until(() => done);
    expect(llm.calls).toHaveLength(3);
    expect((await run).tasksOutput).toHaveLength(3);
  });

  it('emits llm.request only when the request starts, after its wait for a free slot', async () => {
    const llm = replyingLLM(() => 'ok');
    const { agent } = scriptedAgent('Worker', llm);
    const start = Date.now();
    const requestedAt: number[] = [];
    let done = false;
    new Crew({ agents: [agent], tasks: tasksFor(agent, 2), maxRpm: 1 }).stream().subscribe({
      next: (event) => {
        if (event.type === 'llm.request') requestedAt.push(Date.now() - start);
      },
      complete: () => (done = true),
    });

    await until(() => llm.calls.length === 1);
    await flush();
    expect(requestedAt).toEqual([0]);

    await vi.advanceTimersByTimeAsync(MINUTE);
    await until(() => done);
    expect(llm.calls).toHaveLength(2);
    expect(requestedAt).toEqual([0, MINUTE]);
  });

  it("uses the agent's own maxRpm over the crew's", async () => {
    const llm = replyingLLM(() => 'ok');
    const { agent } = scriptedAgent('Worker', llm, { maxRpm: 1 });
    const run = new Crew({ agents: [agent], tasks: tasksFor(agent, 2), maxRpm: 10 }).kickoff();

    await until(() => llm.calls.length === 1);
    await flush();
    expect(llm.calls).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(MINUTE);
    await run;
    expect(llm.calls).toHaveLength(2);
  });

  it('counts each agent in its own window', async () => {
    const first = scriptedAgent(
      'First',
      replyingLLM(() => 'ok'),
    );
    const second = scriptedAgent(
      'Second',
      replyingLLM(() => 'ok'),
    );
    const tasks = [
      new Task({ description: 'A', expectedOutput: 'x', agent: first.agent }),
      new Task({ description: 'B', expectedOutput: 'x', agent: second.agent }),
      new Task({ description: 'C', expectedOutput: 'x', agent: first.agent }),
    ];
    const run = new Crew({ agents: [first.agent, second.agent], tasks, maxRpm: 1 }).kickoff();

    await until(() => second.llm.calls.length === 1);
    await flush();
    expect(first.llm.calls).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(MINUTE);
    await run;
    expect(first.llm.calls).toHaveLength(2);
  });

  it('follows the maxRpm of the crew an agent runs in, when the agent is shared by crews with different limits', async () => {
    const llm = replyingLLM(() => 'ok');
    const { agent } = scriptedAgent('Shared', llm);
    await new Crew({ agents: [agent], tasks: tasksFor(agent, 1), maxRpm: 1 }).kickoff();

    const run = new Crew({ agents: [agent], tasks: tasksFor(agent, 3), maxRpm: 10 }).kickoff();
    await until(() => llm.calls.length === 4);
    await run;
  });
});

describe('the tool cache', () => {
  function countingTool(options: { cacheFunction?: (args: { q: string }, result: unknown) => boolean } = {}) {
    const executed: string[] = [];
    const search: Tool = tool({
      name: 'search',
      description: 'search',
      schema: z.object({ q: z.string(), n: z.number().optional() }),
      execute: ({ q }) => {
        executed.push(q);
        if (q === 'boom') throw new Error('search failed');
        return `results for ${q}`;
      },
      ...(options.cacheFunction ? { cacheFunction: options.cacheFunction } : {}),
    });
    return { search, executed };
  }

  /** Two agents, each calling `search` with the given arguments once and then answering. */
  function twoSearchers(search: Tool, first: Record<string, unknown>, second: Record<string, unknown>) {
    const script = (args: Record<string, unknown>): ScriptedReply[] => [
      { toolCalls: [{ name: 'search', arguments: args }] },
      (request: LLMRequest) => String(request.messages.at(-1)?.content),
    ];
    const a = scriptedAgent('Alpha', script(first), { tools: [search] });
    const b = scriptedAgent('Beta', script(second), { tools: [search] });
    const tasks = [
      new Task({ description: 'First search', expectedOutput: 'x', agent: a.agent }),
      new Task({ description: 'Second search', expectedOutput: 'x', agent: b.agent }),
    ];
    return { agents: [a.agent, b.agent], tasks };
  }

  it('shares results between agents for the same tool and arguments (in any key order)', async () => {
    const { search, executed } = countingTool();
    const { agents, tasks } = twoSearchers(search, { q: 'ai', n: 1 }, { n: 1, q: 'ai' });

    const events = await collect(new Crew({ agents, tasks, cache: true }).stream());

    expect(executed).toEqual(['ai']);
    const results = events.filter(
      (e): e is Extract<CrewEvent, { type: 'tool.result' }> => e.type === 'tool.result',
    );
    expect(results.map((r) => [r.agentId, r.result, r.cached])).toEqual([
      [agents[0].id, 'results for ai', false],
      [agents[1].id, 'results for ai', true],
    ]);
  });

  it('runs the tool again for other arguments', async () => {
    const { search, executed } = countingTool();
    const { agents, tasks } = twoSearchers(search, { q: 'ai' }, { q: 'bees' });

    await new Crew({ agents, tasks, cache: true }).kickoff();

    expect(executed).toEqual(['ai', 'bees']);
  });

  it('is off by default', async () => {
    const { search, executed } = countingTool();
    const { agents, tasks } = twoSearchers(search, { q: 'ai' }, { q: 'ai' });

    await new Crew({ agents, tasks }).kickoff();

    expect(executed).toEqual(['ai', 'ai']);
  });

  it('keeps out results that cacheFunction rejects', async () => {
    const seen: Array<[unknown, unknown]> = [];
    const { search, executed } = countingTool({
      cacheFunction: (args, result) => {
        seen.push([args, result]);
        return false;
      },
    });
    const { agents, tasks } = twoSearchers(search, { q: 'ai' }, { q: 'ai' });

    await new Crew({ agents, tasks, cache: true }).kickoff();

    expect(executed).toEqual(['ai', 'ai']);
    expect(seen[0]).toEqual([{ q: 'ai' }, 'results for ai']);
  });

  it('never caches errors', async () => {
    const { search, executed } = countingTool();
    const { agents, tasks } = twoSearchers(search, { q: 'boom' }, { q: 'boom' });

    const output = await new Crew({ agents, tasks, cache: true }).kickoff();

    expect(executed).toEqual(['boom', 'boom']);
    expect(output.tasksOutput[1].raw).toContain('search failed');
  });

  it('lives for one run: a second kickoff runs the tool again', async () => {
    const { search, executed } = countingTool();
    const { agent } = scriptedAgent(
      'Alpha',
      [
        { toolCalls: [{ name: 'search', arguments: { q: 'ai' } }] },
        'done',
        { toolCalls: [{ name: 'search', arguments: { q: 'ai' } }] },
        'done',
      ],
      { tools: [search] },
    );
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Search', expectedOutput: 'x', agent })],
      cache: true,
    });

    await crew.kickoff();
    await crew.kickoff();

    expect(executed).toEqual(['ai', 'ai']);
  });
});
