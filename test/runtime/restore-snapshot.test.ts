import { describe, expect, it } from 'vitest';
import type { Snapshot } from 'xstate';
import { refreshDeadlines } from '../../src/runtime/restore-snapshot.js';
import type { PersistedActor } from '../../src/runtime/persisted-actor.js';

const agent = { id: 'w', maxExecutionTime: 1_000 };

/** A persisted crew: a task at work, a task without a budget, and a coworker's job waiting under its deadline. */
const persisted = {
  status: 'active',
  context: {},
  children: {
    'task:a': {
      snapshot: {
        status: 'active',
        context: { loop: { deadline: 5_000, agent } },
        children: { model: { snapshot: { status: 'active', input: { deadline: 5_000, messages: [] } } } },
      },
    },
    'task:b': {
      snapshot: { status: 'active', context: { loop: { deadline: null, agent: { id: 'x' } } }, children: {} },
    },
    'agent:w': {
      snapshot: {
        status: 'active',
        context: { runId: 'r' },
        children: {
          'req/1': {
            snapshot: {
              status: 'active',
              context: { deadline: 7_000, agent, request: { requestId: 'req/1' } },
              children: { timer: { snapshot: { status: 'active', input: { deadline: 7_000 } } } },
            },
          },
        },
      },
    },
  },
} as unknown as Snapshot<unknown>;

describe('refreshDeadlines', () => {
  // Read back as plain JSON: the walk only changes numbers in place.
  type Node = {
    context: Record<string, unknown>;
    input?: { deadline: number | null };
    children: Record<string, { snapshot: Node }>;
  };
  const copy = structuredClone(persisted) as unknown as PersistedActor;
  refreshDeadlines(copy, 100_000);
  const fresh = copy as unknown as Node;
  const child = (id: string) => fresh.children[id].snapshot;
  const loopOf = (node: Node) => node.context.loop as { deadline: number | null };

  it("gives a task's loop and the invoked actors of its step a whole maxExecutionTime from now", () => {
    expect(loopOf(child('task:a')).deadline).toBe(101_000);
    expect(child('task:a').children.model.snapshot.input).toEqual({ deadline: 101_000, messages: [] });
  });

  it("does the same for a coworker's job, whose loop is its whole context", () => {
    const job = child('agent:w').children['req/1'].snapshot;
    expect(job.context.deadline).toBe(101_000);
    expect(job.children.timer.snapshot.input?.deadline).toBe(101_000);
  });

  it('leaves a loop without maxExecutionTime as it was', () => {
    expect(loopOf(child('task:b')).deadline).toBeNull();
  });
});
