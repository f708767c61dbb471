// SPEC §2 (maxExecutionTime) and §7: a job waiting for its coworkers' replies is bounded by its
// deadline, which lives in its context so a persisted and restored job times out when it always would.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise, type InspectionEvent, type Snapshot } from 'xstate';
import {
  agentJobMachine,
  type DeadlineInput,
  type JobInput,
  type ModelTurn,
  type ToolRound,
} from '../../machines/agent-job.machine.js';
import type { AgentSpec, WorkRequest } from '../../machines/types.js';
import { expireAt } from '../../src/executor/deadline.js';
import { emptyUsage } from '../../src/usage.js';

const usage = emptyUsage();
const ask = { id: 'c1', name: 'ask_question', arguments: '{}' };
const toolTurn: ModelTurn = {
  assistant: { role: 'assistant', content: null, toolCalls: [ask] },
  content: null,
  toolCalls: [ask],
  usage,
  protocol: 'native',
};
const answerTurn: ModelTurn = {
  assistant: { role: 'assistant', content: 'answer' },
  content: 'answer',
  toolCalls: [],
  usage,
  protocol: 'native',
};
const delegated: ToolRound = {
  results: {},
  dispatches: [{ callId: 'c1', kind: 'ask_question', to: 'agent:helper', request: 'q', context: 'c' }],
  usageCounts: {},
};
const request: WorkRequest = {
  requestId: 't#0',
  kind: 'task',
  replyTo: 'task:t',
  taskId: 't',
  context: null,
  conversation: [],
  structured: false,
  chain: ['agent:lead'],
};
const reply = (requestId: string) =>
  ({ type: 'delegation.reply', requestId, from: 'Helper', answer: 'help', usage }) as const;

/** The job with stand-ins for the runtime's actors: one tool round with the given result, then an answer. */
function jobWith(round: ToolRound) {
  let calls = 0;
  return agentJobMachine.provide({
    actors: {
      callModel: fromPromise(async () => (calls++ === 0 ? toolTurn : answerTurn)),
      runTools: fromPromise(async () => round),
      expireAtDeadline: fromPromise<never, DeadlineInput>(({ input, signal }) =>
        expireAt(input.deadline, signal, () => 'The lead ran out of time'),
      ),
    },
  });
}

function input(maxExecutionTime?: number): JobInput {
  const agent: AgentSpec = { id: 'lead', role: 'Lead', maxIter: 5, maxRetryLimit: 2, maxExecutionTime };
  return { runId: 'job-deadline', agent, owner: 'agent:lead', request };
}

/** Starts the job again from a persisted snapshot (JSON, as a checkpoint holds it). */
function restore(persisted: Snapshot<unknown>) {
  const job = jobWith(delegated);
  return createActor(job, { snapshot: persisted, input: undefined as unknown as JobInput }).start();
}

/** Every actor the job creates, by its `src`. */
function recordSources() {
  const sources: string[] = [];
  const inspect = (event: InspectionEvent) => {
    if (event.type === '@xstate.actor') sources.push(String((event.actorRef as { src?: unknown }).src));
  };
  return { sources, inspect };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const settle = () => vi.advanceTimersByTimeAsync(0);

describe('a delegating job', () => {
  it('fails with execution_timeout at its deadline while a coworker has not replied', async () => {
    const job = createActor(jobWith(delegated), { input: input(1_000) }).start();
    await settle();
    expect(job.getSnapshot().matches({ acting: { delegating: 'untilDeadline' } })).toBe(true);

    await vi.advanceTimersByTimeAsync(999);
    expect(job.getSnapshot().status).toBe('active');
    await vi.advanceTimersByTimeAsync(1);
    const snapshot = job.getSnapshot();
    expect(snapshot.value).toBe('failed');
    expect(snapshot.output).toMatchObject({
      ok: false,
      error: {
        name: 'ExecutionTimeoutError',
        code: 'execution_timeout',
        message: 'The lead ran out of time',
      },
    });
    // Not retried.
    expect(snapshot.context.attempts).toBe(0);
  });

  it('goes on when the replies come in time, and its timer stops with the wait', async () => {
    const job = createActor(jobWith(delegated), { input: input(1_000) }).start();
    await settle();
    expect(vi.getTimerCount()).toBe(1);

    job.send(reply('t#0/c1'));
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    expect(job.getSnapshot().output).toMatchObject({ ok: true, result: { answer: 'answer' } });
  });

  it('ignores a reply it does not wait for', async () => {
    const job = createActor(jobWith(delegated), { input: input(1_000) }).start();
    await settle();
    const before = job.getSnapshot();
    job.send(reply('t#0/other'));
    expect(job.getSnapshot()).toBe(before);
  });

  it('times out at the original deadline after being persisted and restored', async () => {
    const first = createActor(jobWith(delegated), { input: input(60_000) }).start();
    await settle();
    expect(first.getSnapshot().matches({ acting: { delegating: 'untilDeadline' } })).toBe(true);
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as Snapshot<unknown>;
    first.stop();
    expect(vi.getTimerCount()).toBe(0);

    // 59 s pass while nothing runs; the restored job has 1 s left, not a fresh 60 s.
    vi.setSystemTime(Date.now() + 59_000);
    const restored = restore(persisted);
    await settle();
    expect(restored.getSnapshot().matches({ acting: { delegating: 'untilDeadline' } })).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(restored.getSnapshot().status).toBe('active');
    await vi.advanceTimersByTimeAsync(1);
    expect(restored.getSnapshot().output).toMatchObject({
      ok: false,
      error: { code: 'execution_timeout' },
    });
  });

  it('fails at once when restored after its deadline has passed', async () => {
    const first = createActor(jobWith(delegated), { input: input(60_000) }).start();
    await settle();
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot())) as Snapshot<unknown>;
    first.stop();

    vi.setSystemTime(Date.now() + 61_000);
    const restored = restore(persisted);
    await settle();
    expect(restored.getSnapshot().output).toMatchObject({ ok: false, error: { code: 'execution_timeout' } });
  });
});

describe('a job without a deadline, or without delegations', () => {
  it('waits for its coworkers with no timer and no timer actor when it has no maxExecutionTime', async () => {
    const { sources, inspect } = recordSources();
    const job = createActor(jobWith(delegated), { input: input(), inspect }).start();
    await settle();
    expect(job.getSnapshot().matches({ acting: { delegating: 'waiting' } })).toBe(true);
    expect(Object.keys(job.getSnapshot().children)).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(sources).not.toContain('expireAtDeadline');

    job.send(reply('t#0/c1'));
    await settle();
    expect(job.getSnapshot().output).toMatchObject({ ok: true });
    expect(sources).not.toContain('expireAtDeadline');
  });

  it('starts no timer actor for a tool round that sent no delegation, even with a deadline', async () => {
    const { sources, inspect } = recordSources();
    const round: ToolRound = { results: { c1: 'looked up' }, dispatches: [], usageCounts: {} };
    const job = createActor(jobWith(round), { input: input(1_000), inspect }).start();
    await settle();
    expect(job.getSnapshot().output).toMatchObject({ ok: true });
    expect(sources).toEqual(expect.arrayContaining(['callModel', 'runTools']));
    expect(sources).not.toContain('expireAtDeadline');
  });
});
