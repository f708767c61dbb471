import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, Crew, Task, tool, type CrewEvent } from '../src/index.js';
import { consoleProgress } from '../src/verbose.js';
import { ScriptedLLM } from '../src/testing/index.js';

const lookup = tool({
  name: 'lookup',
  description: 'Look a fact up',
  schema: z.object({ topic: z.string() }),
  execute: ({ topic }) => `facts about ${topic}`,
});

let logged: string[] = [];
const original = process.stderr.write.bind(process.stderr);
beforeEach(() => {
  logged = [];
  process.stderr.write = ((chunk: string | Uint8Array) => (
    logged.push(String(chunk)),
    true
  )) as typeof process.stderr.write;
});
afterEach(() => {
  process.stderr.write = original;
});

/** A researcher that looks a fact up, delegates a check to the writer, then answers; the writer writes. */
function crewOf(options: { crewVerbose?: boolean; researcherVerbose?: boolean } = {}) {
  const researcher = new Agent({
    id: 'researcher',
    role: 'Researcher',
    goal: 'Find facts',
    backstory: 'Curious.',
    tools: [lookup],
    allowDelegation: true,
    verbose: options.researcherVerbose ?? false,
    llm: new ScriptedLLM([
      { toolCalls: [{ name: 'lookup', arguments: { topic: 'tides' } }] },
      {
        toolCalls: [
          {
            name: 'delegate_work',
            arguments: { task: 'Check the facts', context: 'About tides', coworker: 'Writer' },
          },
        ],
      },
      'Tides come twice a day.',
    ]),
  });
  const writer = new Agent({
    id: 'writer',
    role: 'Writer',
    goal: 'Write',
    backstory: 'Clear.',
    llm: new ScriptedLLM(['WRITER-CHECKED', 'WRITER-ARTICLE']),
  });
  return new Crew({
    agents: [researcher, writer],
    tasks: [
      new Task({
        name: 'Research',
        description: 'Research tides',
        expectedOutput: 'facts',
        agent: researcher,
      }),
      new Task({ name: 'Write', description: 'Write about tides', expectedOutput: 'article', agent: writer }),
    ],
    verbose: options.crewVerbose ?? false,
  });
}

const lines = () => logged.join('').split('\n').filter(Boolean);

describe('Agent verbose', () => {
  it("prints that agent's own steps when the crew is not verbose", async () => {
    const output = await crewOf({ researcherVerbose: true }).kickoff();
    expect(output.raw).toBe('WRITER-ARTICLE');
    expect(lines()).toEqual([
      "  ▶ task 'Research' started (Researcher)",
      '    ⚙ lookup({"topic":"tides"})',
      '    ↳ lookup: facts about tides',
      expect.stringMatching(/^ {4}⚙ delegate_work\(.*Check the facts/),
      '    → delegate_work to Writer: Check the facts',
      '    ← Writer answered: WRITER-CHECKED',
      '    💬 Researcher: Tides come twice a day.',
    ]);
  });

  it('prints nothing when neither the crew nor any agent is verbose', async () => {
    await crewOf().kickoff();
    expect(logged).toEqual([]);
  });

  it('adds no line to a verbose crew, which prints every agent', async () => {
    await crewOf({ crewVerbose: true, researcherVerbose: true }).kickoff();
    const all = lines();
    expect(all.filter((l) => l.includes('⚙ lookup'))).toHaveLength(1);
    expect(all.filter((l) => l.includes('💬 Researcher'))).toHaveLength(1);
    expect(all).toContain('    💬 Writer: WRITER-ARTICLE');
    expect(all).toContain("  ✓ task 'Write' done");
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('Crew verbose', () => {
  it("names agents by role, filled with the run's inputs, and the manager as 'Crew Manager'", async () => {
    const expert = new Agent({
      role: '{field} Expert',
      goal: 'Know',
      backstory: 'Wise.',
      llm: new ScriptedLLM(['Tides follow the moon.']),
    });
    const crew = new Crew({
      agents: [expert],
      tasks: [
        new Task({ name: 'Explain', description: 'Explain tides', expectedOutput: 'why', agent: expert }),
      ],
      process: 'hierarchical',
      managerLlm: new ScriptedLLM([
        {
          toolCalls: [
            {
              name: 'delegate_work',
              arguments: { task: 'Explain tides', context: 'none', coworker: 'Ocean Expert' },
            },
          ],
        },
        'Because of the moon.',
      ]),
      verbose: true,
    });
    await crew.kickoff({ field: 'Ocean' });
    expect(lines()).toEqual(
      expect.arrayContaining([
        "  ▶ task 'Explain' started (Crew Manager)",
        '    → delegate_work to Ocean Expert: Explain tides',
        '    ← Ocean Expert answered: Tides follow the moon.',
        '    💬 Ocean Expert: Tides follow the moon.',
        '    💬 Crew Manager: Because of the moon.',
      ]),
    );
  });
});

describe('consoleProgress and delegations', () => {
  const replied = (runId: string, requestId: string) =>
    ({
      type: 'delegation.replied',
      runId,
      agentId: 'm',
      kind: 'delegate_work',
      requestId,
      from: 'w',
      fromRole: 'Writer',
      reply: 'the draft',
    }) as CrewEvent;
  const result = (runId: string, id: string) =>
    ({
      type: 'tool.result',
      runId,
      agentId: 'm',
      call: { id, name: 'delegate_work', arguments: '{}' },
      result: 'the draft',
      isError: false,
    }) as unknown as CrewEvent;

  it("prints a delegation's reply once, also for call ids with '/', and only for its own run", () => {
    const lines: string[] = [];
    const print = consoleProgress({ verbose: true, agents: [] }, (line) => lines.push(line))!;
    print(replied('r1', 'T#0/functions/delegate_work/7'));
    print(result('r2', 'functions/delegate_work/7'));
    print(result('r1', 'functions/delegate_work/7'));
    print(result('r1', 'functions/delegate_work/7'));
    const toolLines = lines.filter((line) => line.includes('delegate_work:'));
    // r2's result (another run) and r1's second (no reply left for it) are printed; r1's first is not.
    expect(toolLines).toHaveLength(2);
    expect(lines.filter((line) => line.includes('the draft'))).toHaveLength(3);
  });

  it('says a restored run resumed', () => {
    const lines: string[] = [];
    const print = consoleProgress({ verbose: true, agents: [] }, (line) => lines.push(line))!;
    const started = {
      type: 'crew.started',
      runId: 'r',
      crewName: 'c',
      process: 'sequential',
      inputs: {},
    } as const;
    print(started);
    print({ ...started, resumed: true });
    expect(lines).toEqual([
      "▶ crew 'c' (sequential) started, run r",
      "▶ crew 'c' (sequential) resumed, run r",
    ]);
  });

  it('counts in words: 1 request, 2 requests', async () => {
    const lines: string[] = [];
    const print = consoleProgress({ verbose: true, agents: [] }, (line) => lines.push(line))!;
    const agent = new Agent({ role: 'R', goal: 'g', backstory: 'b', llm: new ScriptedLLM(['a', 'b', 'c']) });
    const crew = (n: number) =>
      new Crew({
        agents: [agent],
        tasks: Array.from(
          { length: n },
          (_, i) => new Task({ description: `t${i}`, expectedOutput: 'e', agent }),
        ),
      });
    for (const n of [1, 2]) print({ type: 'crew.completed', runId: 'r', output: await crew(n).kickoff() });
    expect(lines).toEqual(['■ crew done: 15 tokens in 1 request', '■ crew done: 30 tokens in 2 requests']);
  });
});
