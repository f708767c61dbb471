import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Crew,
  CrewValidationError,
  MemoryCheckpointStore,
  Task,
  TaskExecutionError,
  TaskOutput,
  type HumanInputRequest,
} from '../../src/index.js';
import {
  contents,
  eventsOf,
  lastMessage,
  ofType,
  oneTaskCrew,
  taskStateRecorder,
  withoutTerminal,
  writer,
} from '../helpers/human-fixtures.js';
import type { ScriptedReply } from '../../src/testing/index.js';

/** A human who answers from a list, recording what they were shown. */
function person(...answers: string[]) {
  const requests: HumanInputRequest[] = [];
  const handler = (request: HumanInputRequest) => {
    requests.push(request);
    return answers.shift() ?? '';
  };
  return { handler, requests };
}

let restoreTerminal: () => void;
beforeEach(() => (restoreTerminal = withoutTerminal()));
afterEach(() => restoreTerminal());

describe('human input with a handler', () => {
  it('asks the handler once the guardrails pass; empty feedback accepts the output', async () => {
    const order: string[] = [];
    const human = person('');
    const states = taskStateRecorder();
    const { crew } = oneTaskCrew(
      ['Fresh bread daily'],
      {
        name: 'slogan',
        humanInput: true,
        guardrail: (o) => {
          order.push('guardrail');
          return [true, o.raw.toUpperCase()];
        },
      },
      {
        humanInput: (request) => {
          order.push('human');
          return human.handler(request);
        },
      },
    );
    const output = await crew.kickoff(undefined, { inspect: states.inspect });

    expect(output.raw).toBe('FRESH BREAD DAILY');
    expect(order).toEqual(['guardrail', 'human']);
    expect(human.requests).toHaveLength(1);
    const [request] = human.requests;
    expect(request).toMatchObject({ taskId: 'draft', taskName: 'slogan', round: 1 });
    expect(request.output).toBeInstanceOf(TaskOutput);
    expect(request.output.raw).toBe('FRESH BREAD DAILY');
    // Accepted, and nothing to wait for (no callback, no output file): done in the same step.
    expect(states.statesOf('draft').slice(-3)).toEqual(['human-input', 'running.finishing', 'done']);
  });

  it('accepts whitespace-only feedback', async () => {
    const { crew, llm } = oneTaskCrew(['draft'], { humanInput: true }, { humanInput: () => '  \n\t ' });
    expect((await crew.kickoff()).raw).toBe('draft');
    expect(llm.calls).toHaveLength(1);
  });

  it('sends other feedback to the agent, which sees its previous answer, then asks again (round 2)', async () => {
    const human = person('Say Hello instead!', '');
    const guardrailSaw: string[] = [];
    const { crew, llm } = oneTaskCrew(
      ['Hi', 'Hello'],
      {
        humanInput: true,
        guardrail: (o) => {
          guardrailSaw.push(o.raw);
          return [true, o.raw];
        },
      },
      { humanInput: human.handler },
    );
    const output = await crew.kickoff();

    expect(output.raw).toBe('Hello');
    expect(llm.calls).toHaveLength(2);
    const second = llm.calls[1];
    expect(second.messages.slice(0, 2)).toEqual(llm.calls[0].messages);
    expect(contents(second, 'assistant')).toEqual(['Hi']);
    expect(lastMessage(second)).toContain('User feedback: Say Hello instead!');
    expect(second.messages.at(-1)?.role).toBe('user');
    expect(guardrailSaw).toEqual(['Hi', 'Hello']);
    expect(human.requests.map((r) => [r.round, r.output.raw])).toEqual([
      [1, 'Hi'],
      [2, 'Hello'],
    ]);
  });

  it('checks a revision with the guardrails, retrying it before asking the person again', async () => {
    const human = person('Make it longer', '');
    const states = taskStateRecorder();
    const { crew } = oneTaskCrew(
      ['Short', 'Way too long now, really', 'Medium one'],
      { humanInput: true, guardrail: (o) => (o.raw.length <= 12 ? [true, o.raw] : [false, 'too long']) },
      { humanInput: human.handler },
    );
    const output = await crew.kickoff(undefined, { inspect: states.inspect });

    expect(output.raw).toBe('Medium one');
    expect(human.requests.map((r) => r.output.raw)).toEqual(['Short', 'Medium one']);
    const visited = states.statesOf('draft');
    expect(visited.indexOf('guardrail-retry')).toBeGreaterThan(visited.indexOf('human-input'));
    expect(visited.filter((s) => s === 'human-input')).toHaveLength(2);
  });

  it('emits human.input.requested for every round, with the output under review', async () => {
    const { crew } = oneTaskCrew(
      ['Hi', 'Hello'],
      { humanInput: true },
      { humanInput: person('again', '').handler },
    );
    const events = await eventsOf(crew);

    const requested = ofType(events, 'human.input.requested');
    expect(requested.map((e) => [e.taskId, e.round, e.output.raw])).toEqual([
      ['draft', 1, 'Hi'],
      ['draft', 2, 'Hello'],
    ]);
    const types = events.map((e) => e.type);
    expect(types.indexOf('human.input.requested')).toBeLessThan(types.indexOf('task.completed'));
  });

  it('works in async tasks, asking for each task on its own', async () => {
    const a = writer(['A1', 'A2'], 'a');
    const b = writer(['B1'], 'b');
    const human = person();
    const crew = new Crew({
      agents: [a.agent, b.agent],
      tasks: [
        new Task({
          id: 'ta',
          description: 'A',
          expectedOutput: 'a',
          agent: a.agent,
          asyncExecution: true,
          humanInput: true,
        }),
        new Task({
          id: 'tb',
          description: 'B',
          expectedOutput: 'b',
          agent: b.agent,
          context: [],
          humanInput: true,
        }),
      ],
      humanInput: (request) => {
        human.requests.push(request);
        return request.taskId === 'ta' && request.round === 1 ? 'improve A' : '';
      },
    });
    const output = await crew.kickoff();

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['A2', 'B1']);
    expect(human.requests.map((r) => `${r.taskId}#${r.round}`).sort()).toEqual(['ta#1', 'ta#2', 'tb#1']);
    expect(lastMessage(a.llm.calls[1])).toContain('User feedback: improve A');
  });

  it('fails the task when the handler throws', async () => {
    const { crew } = oneTaskCrew(
      ['x'],
      { humanInput: true },
      {
        humanInput: () => {
          throw new Error('reviewer unavailable');
        },
      },
    );
    const error = await crew.kickoff().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as Error).message).toContain('reviewer unavailable');
  });

  it("aborts the handler's signal when the run is aborted, and ignores what it returns after", async () => {
    let seen: AbortSignal | undefined;
    const { crew } = oneTaskCrew(
      ['draft'],
      { humanInput: true },
      {
        humanInput: ({ signal }) => {
          seen = signal;
          // A person elsewhere who never answers: the handler gives up when the signal says so.
          return new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('')));
        },
      },
    );
    const controller = new AbortController();
    const run = crew.kickoff(undefined, { signal: controller.signal });
    await vi.waitFor(() => expect(seen).toBeDefined());
    expect(seen!.aborted).toBe(false);
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
    expect(seen!.aborted).toBe(true);
  });

  it("aborts the handler's signal when a human.feedback event answers the round first", async () => {
    let seen: AbortSignal | undefined;
    const { crew } = oneTaskCrew(
      ['draft'],
      { humanInput: true },
      { humanInput: ({ signal }) => ((seen = signal), new Promise<string>(() => {})) },
    );
    const actor = crew.createActor();
    actor.start();
    await vi.waitFor(() => expect(seen).toBeDefined());
    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: '' });
    await vi.waitFor(() => expect(actor.getSnapshot().status).toBe('done'));
    expect(seen!.aborted).toBe(true);
  });

  it('does not ask tasks without humanInput', async () => {
    const human = person();
    const { crew } = oneTaskCrew(['x'], {}, { humanInput: human.handler });
    await crew.kickoff();
    expect(human.requests).toHaveLength(0);
  });
});

describe('human input without a handler', () => {
  it('fails fast in kickoff on a non-interactive stdin, before any model call or beforeKickoff callback', async () => {
    const before: unknown[] = [];
    const { crew, llm } = oneTaskCrew(
      ['never used'],
      { name: 'review me', humanInput: true },
      { beforeKickoff: [(inputs) => (before.push(inputs), inputs)] },
    );
    const error = await crew.kickoff().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CrewValidationError);
    expect(error).toMatchObject({ code: 'human_input_unavailable' });
    expect((error as Error).message).toContain("'review me'");
    expect(llm.calls).toHaveLength(0);
    expect(before).toEqual([]);
  });

  /** A reviewed task, then a plain one, run once with a handler into `store`. */
  async function reviewedRun(store: MemoryCheckpointStore, secondTask: ScriptedReply) {
    const { llm, agent } = writer(['slogan', secondTask]);
    const tasks = [
      new Task({ id: 'review', description: 'Slogan', expectedOutput: 's', agent, humanInput: true }),
      new Task({ id: 'post', description: 'Post it', expectedOutput: 'p', agent }),
    ];
    const crew = new Crew({ agents: [agent], tasks, checkpoint: store, humanInput: () => '' });
    const run = await crew.kickoff(undefined, { runId: 'r1' }).catch((e: unknown) => e);
    // The same crew rebuilt without a handler, as a new process (CI, a server) would.
    const again = writer(['posted']);
    const rebuilt = [
      new Task({
        id: 'review',
        description: 'Slogan',
        expectedOutput: 's',
        agent: again.agent,
        humanInput: true,
      }),
      new Task({ id: 'post', description: 'Post it', expectedOutput: 'p', agent: again.agent }),
    ];
    return { run, llm, again, crew: new Crew({ agents: [again.agent], tasks: rebuilt, checkpoint: store }) };
  }

  it('fails fast in replay from a task that needs a person, instead of waiting forever', async () => {
    const { crew, again } = await reviewedRun(new MemoryCheckpointStore(), 'posted');
    const error = await crew.replay('review').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CrewValidationError);
    expect(error).toMatchObject({ code: 'human_input_unavailable' });
    expect(again.llm.calls).toHaveLength(0);
  });

  it('replays and resumes past a review that is already done, with no handler', async () => {
    const store = new MemoryCheckpointStore();
    const { run, crew, again } = await reviewedRun(store, () => {
      throw new Error('post failed');
    });
    expect(run).toBeInstanceOf(TaskExecutionError);

    expect((await crew.resume('r1')).raw).toBe('posted');
    expect(again.llm.calls).toHaveLength(1);
    const replayed = await reviewedRun(new MemoryCheckpointStore(), 'posted');
    expect((await replayed.crew.replay('post')).raw).toBe('posted');
  });
});
