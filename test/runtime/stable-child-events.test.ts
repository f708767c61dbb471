// The runtime's machines live as long as the process; XState memoises, per state node and event type,
// the transitions it found. Children with ever-new ids (tasks named after new descriptions, coworker
// jobs named after model-made tool-call ids) must not leave an entry each behind.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { assign, createActor, setup, type AnyEventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  Agent,
  Crew,
  CrewAbortedError,
  Task,
  type LLM,
  type LLMRequest,
  type LLMResponse,
} from '../../src/index.js';
import { prefixedKind, withStableChildEvents } from '../../src/runtime/stable-child-events.js';
import { scriptedAgent } from '../helpers/crew-fixtures.js';

describe('withStableChildEvents', () => {
  const seen: string[] = [];
  const child = setup({}).createMachine({ initial: 'a', states: { a: { type: 'final' } } });
  const parent = setup({
    types: {} as { context: { from: string[] } },
    actors: { child },
  }).createMachine({
    context: ({ spawn }) => {
      spawn('child', { id: 'task:research-1f2e' });
      spawn('child', { id: 'batch:0' });
      return { from: [] };
    },
    on: {
      '*': {
        actions: assign({
          from: ({ context, event }) => {
            seen.push(event.type);
            return [...context.from, (event as AnyEventObject).actorId as string];
          },
        }),
      },
    },
  });

  it('gives a named kind of child one done event type, keeping the child in actorId', () => {
    seen.length = 0;
    const actor = createActor(withStableChildEvents(parent, prefixedKind('task'))).start();
    expect(seen).toEqual(['xstate.done.actor.task', 'xstate.done.actor.batch:0']);
    expect(actor.getSnapshot().context.from).toEqual(['task:research-1f2e', 'batch:0']);
  });

  it('keeps the stable events in a machine provided with other implementations', () => {
    seen.length = 0;
    createActor(withStableChildEvents(parent, prefixedKind('task')).provide({})).start();
    expect(seen).toEqual(['xstate.done.actor.task', 'xstate.done.actor.batch:0']);
  });

  it('leaves the machine it wraps as it was', () => {
    seen.length = 0;
    createActor(parent).start();
    expect(seen).toEqual(['xstate.done.actor.task:research-1f2e', 'xstate.done.actor.batch:0']);
  });
});

/** The heap in use after full collections (gc exposed for this test process). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A manager that delegates each task once, with a new tool-call id every time (as real models do). */
class DelegatingManager implements LLM {
  readonly model = 'manager';
  async call(request: LLMRequest): Promise<LLMResponse> {
    if (request.messages.at(-1)?.role === 'tool') return { content: 'done' };
    const args = JSON.stringify({ task: 'Do it', context: 'None.', coworker: 'Writer' });
    const id = `call_${Math.random().toString(36).slice(2)}`;
    return { content: null, toolCalls: [{ id, name: 'delegate_work', arguments: args }] };
  }
}

describe('a process running many crews', () => {
  const answer = async () => 'text';

  /**
   * Heap kept per crew by runs after a warm-up of the same kind (ids never repeat): the least growth of
   * three batches of `crews`. A leak grows the heap in every batch; a one-off allocation (compiled code,
   * a table that grows once) shows in one batch only, so it cannot fail the test by itself.
   */
  async function retainedPerCrew(crews: number, run: (i: number) => Promise<unknown>): Promise<number> {
    let next = 0;
    for (; next < 100; next++) await run(next);
    const growth: number[] = [];
    let before = heapAfterGc();
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < crews; i++) await run(next++);
      const after = heapAfterGc();
      growth.push((after - before) / crews);
      before = after;
    }
    return Math.min(...growth);
  }

  it('keeps nothing for the task ids of finished crews, each crew with new ones', async () => {
    const perCrew = await retainedPerCrew(400, async (i) => {
      const { agent } = scriptedAgent('Writer', Array(10).fill(answer));
      const tasks = Array.from(
        { length: 10 },
        (_, n) => new Task({ description: `Part ${n} of request ${i}`, expectedOutput: 'x', agent }),
      );
      await new Crew({ agents: [agent], tasks }).kickoff();
    });
    // An entry per task id was ≈ 360 bytes: 3.6 KB per crew of ten.
    expect(perCrew).toBeLessThan(1200);
  });

  it('keeps nothing for the delegations of finished hierarchical crews', async () => {
    const perCrew = await retainedPerCrew(250, async (i) => {
      const { agent } = scriptedAgent('Writer', Array(6).fill(answer));
      const tasks = Array.from(
        { length: 6 },
        (_, n) => new Task({ id: `part-${n}`, description: 'Write', expectedOutput: 'x' }),
      );
      const managerLlm = new DelegatingManager();
      await new Crew({ agents: [agent], tasks, process: 'hierarchical', managerLlm }).kickoff();
      return i;
    });
    // An entry per delegation was ≈ 450 bytes: 2.7 KB per crew of six.
    expect(perCrew).toBeLessThan(900);
  });
});

describe('a kickoff error kept by its caller', () => {
  it('keeps nothing of its run alive (its inputs: a 200 KB input per run here)', async () => {
    const nextTurn: LLM = {
      model: 'next-turn',
      call: () => new Promise((resolve) => setImmediate(() => resolve({ content: 'text' }))),
    };
    const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm: nextTurn });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write about {topic}', expectedOutput: 'x', agent })],
    });
    const abortedRun = async (i: number) => {
      const controller = new AbortController();
      const run = crew.kickoff({ topic: `${i}`.padEnd(200_000, 'x') }, { signal: controller.signal });
      setImmediate(() => controller.abort());
      return run.catch((e: unknown) => e);
    };
    for (let i = 0; i < 5; i++) await abortedRun(i);
    const kept: unknown[] = [];
    const before = heapAfterGc();
    for (let i = 0; i < 20; i++) kept.push(await abortedRun(100 + i));
    const perError = (heapAfterGc() - before) / kept.length;

    expect(kept.every((e) => e instanceof CrewAbortedError)).toBe(true);
    expect(perError).toBeLessThan(50_000);
  });
});
