// The user-facing model-based helpers (`crewTestPaths`, `crewTestModel`) applied to example crews: the
// generated paths cover every decision, run green against the real runtime, and catch a run that does
// not follow its path.
import { createRequire } from 'node:module';
import { createTestModel, getSimplePaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, ConditionalTask, Crew, Task, type CrewOutput } from '../../src/index.js';
import {
  crewTestModel,
  crewTestPaths,
  type CrewTestPath,
  type CrewTestPathsOptions,
} from '../../src/testing/index.js';
import { createResearchWriteCrew } from '../../examples/model-based-crew.js';

const inputs = { topic: 'octopuses' };
const crew = createResearchWriteCrew();

/** Every (task, decision) pair, including whether a guardrail failure was retried or spent the budget. */
function decisionsOf(paths: CrewTestPath[]): string[] {
  const seen = new Set<string>();
  for (const path of paths) {
    const fails = new Map<string, number>();
    for (const { taskId, decision } of path.steps) {
      if (decision !== 'fail') {
        seen.add(`${taskId}:${decision}`);
        continue;
      }
      const n = (fails.get(taskId) ?? 0) + 1;
      fails.set(taskId, n);
      const task = crew.tasks.find((t) => t.id === taskId)!;
      seen.add(`${taskId}:${n > task.guardrailMaxRetries ? 'exhausted' : 'retry'}`);
    }
  }
  return [...seen].sort();
}

const EVERY_DECISION = [
  'research:exhausted',
  'research:pass',
  'research:retry',
  'write:approve',
  'write:revise',
  'write:run',
  'write:skip',
];

for (const strategy of ['shortest', 'simple'] as const) {
  const paths = crewTestPaths(crew, { strategy, inputs });
  describe(`research → write crew: ${paths.length} ${strategy} paths`, () => {
    it('cover every conditional run/skip, guardrail pass/retry/exhaustion and approve/revise', () => {
      expect(decisionsOf(paths)).toEqual(EVERY_DECISION);
    });
    for (const path of paths) it(path.description, () => path.run());
  });
}

describe('crewTestPaths', () => {
  it('finds 5 shortest and 7 simple paths for the research → write crew, with their expectations', () => {
    const shortest = crewTestPaths(crew, { inputs });
    expect(shortest.map((p) => p.description)).toEqual([
      '[1/5] research passes its guardrails → write runs → write is approved ⇒ completed',
      '[2/5] research fails a guardrail (retry 1/1) → research passes its guardrails → write runs → write is approved ⇒ completed',
      '[3/5] research passes its guardrails → write is skipped ⇒ completed',
      '[4/5] research fails a guardrail (retry 1/1) → research fails a guardrail with no retry left ⇒ GuardrailError in research',
      '[5/5] research passes its guardrails → write runs → write is revised (1/1) → write is approved ⇒ completed',
    ]);
    expect(shortest[3].expected).toEqual({
      outcome: 'failed',
      error: 'GuardrailError',
      failedTaskId: 'research',
      tasks: {
        research: {
          status: 'failed',
          trace: ['pending', 'running', 'guardrail-retry', 'running', 'failed'],
          answers: 2,
        },
        write: { status: 'pending', trace: ['pending'], answers: 0 },
      },
    });
    // Approved with nothing to wait for: done in the step that approved it.
    expect(shortest[4].expected.tasks.write).toEqual({
      status: 'done',
      trace: ['pending', 'running', 'human-input', 'running', 'human-input', 'done'],
      answers: 2,
      raw: 'write: answer 2',
    });
    expect(crewTestPaths(crew, { strategy: 'simple', inputs })).toHaveLength(7);
  });

  it('expects a task seen running once more after approval when a callback waits for it, and runs it so', async () => {
    const seen: string[] = [];
    const withCallback = crew.with({ taskCallback: (output) => void seen.push(output.raw) });
    const path = crewTestPaths(withCallback, { inputs })[4];
    expect(path.expected.tasks.write.trace).toEqual([
      'pending',
      'running',
      'human-input',
      'running',
      'human-input',
      'running',
      'done',
    ]);
    await path.run();
    expect(seen).toEqual(['research: answer 1', 'write: answer 2']);
  });

  it('resolves with the run: its output, or its error for a path that spends a guardrail budget', async () => {
    const [happy, , , exhausted] = crewTestPaths(crew, { inputs });
    const done = await happy.run();
    expect((done.output as CrewOutput).raw).toBe('write: answer 1');
    // The crew's output was checked to hold every finished task's output, in crew order.
    expect(done.observed.outputs).toEqual(['research', 'write']);
    const failed = await exhausted.run();
    expect(failed.error).toMatchObject({ name: 'GuardrailError' });
    expect((failed.error as Error).message).toContain('after 1 retries');
  });

  it('rejects with a diff when the run does not do what the path expects', async () => {
    const path = crewTestPaths(crew, { inputs })[1];
    path.expected.tasks.research.answers = 1;
    await expect(path.run()).rejects.toThrow(/did not follow the path[\s\S]*answers: 2/);
  });

  it('takes custom answers, feedback and guardrail errors, and more revisions', async () => {
    const paths = crewTestPaths(crew, {
      inputs,
      maxRevisions: 2,
      answer: (task, attempt) => `${task.name} draft #${attempt} https://example.org`,
      feedback: (_task, round) => `shorter, round ${round}`,
      guardrailError: () => 'no source',
    });
    expect(paths).toHaveLength(6);
    const revisedTwice = paths.find((p) => p.steps.filter((s) => s.decision === 'revise').length === 2)!;
    const { output } = await revisedTwice.run();
    expect(output?.raw).toBe('write draft #3 https://example.org');
    for (const path of paths) await path.run();
  });

  it('leaves async tasks that run next to a failing one unchecked, and checks the rest (shared agent, hierarchical)', async () => {
    const llm = 'gpt-4o-mini';
    const agent = new Agent({
      id: 'a',
      role: 'Analyst',
      goal: 'Analyse {subject}',
      backstory: 'Sharp.',
      llm,
    });
    const check = () => ({ ok: true }) as const;
    const left = new Task({
      id: 'left',
      description: 'Left side of {subject}',
      expectedOutput: 'notes',
      agent,
      asyncExecution: true,
      guardrail: check,
      guardrailMaxRetries: 0,
    });
    const right = new Task({
      id: 'right',
      description: 'Right side of {subject}',
      expectedOutput: 'notes',
      agent,
      asyncExecution: true,
      humanInput: true,
    });
    const merge = new Task({
      id: 'merge',
      description: 'Merge both sides',
      expectedOutput: 'one report',
      agent,
      context: [left, right],
    });
    const extra = new ConditionalTask({
      id: 'extra',
      description: 'Add an appendix',
      expectedOutput: 'appendix',
      agent,
      condition: () => false,
    });
    for (const process of ['sequential', 'hierarchical'] as const) {
      const fanOut = new Crew({
        agents: [agent],
        tasks: [left, right, merge, extra],
        process,
        ...(process === 'hierarchical' ? { managerLlm: llm } : {}),
      });
      const paths = crewTestPaths(fanOut, { inputs: { subject: 'tides' } });
      const failing = paths.find((p) => p.expected.failedTaskId === 'left')!;
      expect(failing.expected.tasks).toMatchObject({
        right: { status: 'unchecked' },
        merge: { status: 'pending' },
        extra: { status: 'pending' },
      });
      for (const path of paths) await path.run();
    }
  });

  it("tells tasks with short descriptions apart, though one's answer shows in another's context", async () => {
    const agent = new Agent({ id: 'a', role: 'A', goal: 'g', backstory: 'b', llm: 'gpt-4o-mini' });
    const short = new Crew({
      agents: [agent],
      tasks: [
        new Task({ id: 'x', description: 'x', expectedOutput: 'e', agent, asyncExecution: true }),
        new Task({ id: 'y', description: 'y', expectedOutput: 'e', agent, asyncExecution: true }),
        new Task({ id: 'z', description: 'z', expectedOutput: 'e', agent, humanInput: true }),
      ],
    });
    const paths = crewTestPaths(short);
    expect(paths.length).toBeGreaterThan(1);
    for (const path of paths) await path.run();
  });

  it('tells apart tasks whose texts differ only in their placeholders, and tasks with the same texts', async () => {
    const agent = new Agent({ id: 'a', role: 'A', goal: 'g', backstory: 'b', llm: 'gpt-4o-mini' });
    const research = (id: string, subject: string, extra: object = {}) =>
      new Task({
        id,
        description: `Research ${subject}`,
        expectedOutput: `Notes on ${subject}`,
        agent,
        ...extra,
      });
    const crews = [
      [research('history', '{topic}'), research('economy', '{market}')],
      [research('first', 'it', { guardrail: () => ({ ok: true }) }), research('second', 'it')],
    ];
    for (const tasks of crews) {
      const paths = crewTestPaths(new Crew({ agents: [agent], tasks }), {
        inputs: { topic: 'the history of tea', market: 'the tea market' },
      });
      for (const path of paths) await path.run();
    }
  });

  it("runs a crew whose beforeKickoff changes the inputs (the prompts then differ from the path's inputs)", async () => {
    const agent = new Agent({ id: 'a', role: 'A', goal: 'g', backstory: 'b', llm: 'gpt-4o-mini' });
    const lowered = (inputs: Record<string, unknown>) => ({
      ...inputs,
      topic: String(inputs.topic).toLowerCase(),
    });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write about {topic}', expectedOutput: 'A note', agent })],
      beforeKickoff: [lowered],
    });
    for (const path of crewTestPaths(crew, { inputs: { topic: 'Tides' } })) await path.run();
  });

  it("runs a crew with request limits at full speed (a scripted model's answers are not rate limited)", async () => {
    const agent = new Agent({ id: 'a', role: 'A', goal: 'g', backstory: 'b', llm: 'gpt-4o-mini', maxRpm: 1 });
    const tasks = ['one', 'two'].map(
      (id) =>
        new Task({ id, description: `Do ${id}`, expectedOutput: id, agent, guardrail: () => ({ ok: true }) }),
    );
    const paths = crewTestPaths(new Crew({ agents: [agent], tasks, maxRpm: 1 }));
    expect(paths.length).toBeGreaterThan(1);
    for (const path of paths) await path.run();
  });

  it('sees the conditional tasks of a crew built with another copy of statecrew (the CommonJS build)', async () => {
    const cjs = createRequire(import.meta.url)('../../dist/index.cjs') as typeof import('../../src/index.js');
    const agent = new cjs.Agent({ id: 'a', role: 'A', goal: 'g', backstory: 'b', llm: 'gpt-4o-mini' });
    const tasks = [
      new cjs.Task({ id: 'draft', description: 'Draft', expectedOutput: 'a draft', agent }),
      new cjs.ConditionalTask({
        id: 'polish',
        description: 'Polish',
        expectedOutput: 'a polished draft',
        agent,
        condition: () => true,
      }),
    ];
    expect(tasks[1]).toBeInstanceOf(ConditionalTask);
    class ReviewGate extends ConditionalTask {}
    expect(tasks[1]).not.toBeInstanceOf(ReviewGate);
    const paths = crewTestPaths(new cjs.Crew({ agents: [agent], tasks }) as unknown as Crew);
    expect(paths.flatMap((p) => p.steps.map((s) => `${s.taskId}:${s.decision}`))).toContain('polish:skip');
    for (const path of paths) await path.run();
  });

  it('needs an answer that parses for a task with an output schema', async () => {
    const agent = new Agent({ id: 'x', role: 'Extractor', goal: 'Extract', backstory: 'Exact.' });
    const extract = new Task({
      id: 'extract',
      description: 'Extract the title',
      expectedOutput: 'JSON',
      agent,
      outputSchema: z.object({ title: z.string() }),
      guardrail: 'The title is short',
    });
    const structured = new Crew({ agents: [agent], tasks: [extract] });
    const paths = crewTestPaths(structured, { answer: (_t, n) => JSON.stringify({ title: `Title ${n}` }) });
    expect(paths.map((p) => p.steps.map((s) => s.decision).join(','))).toEqual([
      'pass',
      'fail,pass',
      'fail,fail,pass',
      'fail,fail,fail,pass',
      'fail,fail,fail,fail',
    ]);
    for (const path of paths) await path.run();
    expect((await paths[0].run()).output?.json).toEqual({ title: 'Title 1' });

    // Without one (or with one that does not parse), crewTestPaths says so at once, naming the task.
    expect(() => crewTestPaths(structured)).toThrow(
      expect.objectContaining({
        code: 'invalid_option',
        message: expect.stringContaining("task 'extract' has an outputSchema") as string,
      }),
    );
    expect(() => crewTestPaths(structured, { answer: () => '{"name":"x"}' })).toThrow(
      /first answer for it does not \("\{\\"name\\":\\"x\\"\}"\)/,
    );
  });
});

describe('crewTestModel', () => {
  it('is an XState machine that xstate/graph traverses (every path to its end)', () => {
    const model = crewTestModel(crew);
    const ends = getSimplePaths(model, {
      toState: (s) => s.status === 'done',
      filterEvents: (_s, e) => !e.type.startsWith('xstate.'),
    });
    expect(ends).toHaveLength(7);
    expect(new Set(ends.map((p) => p.state.value))).toEqual(new Set(['completed', 'failed']));
  });

  it("gives xstate/graph's own tools only feasible paths, without options: every step is a decision", () => {
    const decisions = [
      'task.run',
      'task.skip',
      'guardrail.pass',
      'guardrail.fail',
      'human.approve',
      'human.revise',
    ];
    const model = crewTestModel(crew);
    const simple = getSimplePaths(model, { toState: (s) => s.status === 'done' });
    const tested = createTestModel(model).getShortestPaths({ toState: (s) => s.status === 'done' });
    expect(simple).toHaveLength(7);
    for (const path of [...simple, ...tested]) {
      const events = path.steps
        .map((step) => step.event.type as string)
        .filter((type) => type !== 'xstate.init');
      expect(events.every((type) => decisions.includes(type))).toBe(true);
      // A task moves on only after passing: no path leaves research while its guardrail is failing.
      const trail = path.state.context.trail.map((d) => `${d.taskId}:${d.decision}`);
      const lastResearch = trail.filter((d) => d.startsWith('research:')).at(-1);
      if (path.state.matches('completed')) expect(lastResearch).not.toBe('research:fail');
    }
  });

  it('lists every combination with the simple strategy: 3 reviewed tasks with 2 retries each have 1,093', () => {
    const agent = new Agent({ id: 'a', role: 'R', goal: 'g', backstory: 'b', llm: 'gpt-4o-mini' });
    const tasks = [0, 1, 2].map(
      (i) =>
        new Task({
          id: `t${i}`,
          description: `Do step ${i}`,
          expectedOutput: `Result ${i}`,
          agent,
          guardrail: () => ({ ok: true }),
          guardrailMaxRetries: 2,
          humanInput: true,
        }),
    );
    const paths = crewTestPaths(new Crew({ agents: [agent], tasks }), { strategy: 'simple' });
    // Per task: up to 2 retries then pass, or a spent budget (4 ways); review approve or revise once (whose
    // revision is judged again): 121 paths for two tasks, 1,093 for three.
    expect(paths).toHaveLength(1093);
    expect(new Set(paths.map((p) => p.description)).size).toBe(1093);
  });

  it('rejects a bad revision bound and stops a traversal that grows too large', () => {
    expect(() => crewTestModel(crew, { maxRevisions: -1 })).toThrow(RangeError);
    expect(() => crewTestPaths(crew, { strategy: 'simple', limit: 3 })).toThrow(
      /Traversal limit exceeded.*raise `limit`, or use strategy 'shortest'/,
    );
    const bogus = { strategy: 'widest' } as unknown as CrewTestPathsOptions;
    expect(() => crewTestPaths(crew, bogus)).toThrow(/strategy must be 'shortest' or 'simple'/);
    for (const limit of [Number.NaN, -5, 0])
      expect(() => crewTestPaths(crew, { limit })).toThrow(/limit must be a whole number/);
  });
});
