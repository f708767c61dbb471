// SPEC §4.2.5, §2 (maxRetryLimit, maxExecutionTime), §9 and §11 (abort): how a task's loop ends badly.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  Crew,
  CrewAbortedError,
  ExecutionTimeoutError,
  TaskExecutionError,
  Task,
  tool,
  type CrewEvent,
  type LLM,
  type LLMRequest,
} from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import { call, deferred, recordingTool, rejectionOf, soloCrew, until } from '../helpers/loop-fixtures.js';

/** A reply that never comes: it settles only when the request's signal aborts (ScriptedLLM rejects then). */
function hangingReply(signals: AbortSignal[]) {
  return (request: LLMRequest) => {
    if (request.signal) signals.push(request.signal);
    return new Promise<string>(() => {});
  };
}

describe('maxRetryLimit', () => {
  it('re-runs the whole task after a model error, up to the limit, then fails with the original error as cause', async () => {
    const errors = [new Error('boom 1'), new Error('boom 2'), new Error('boom 3')];
    const { crew, llm, task } = soloCrew({ script: errors, agent: { maxRetryLimit: 2 } });
    const error = await rejectionOf(crew.kickoff());

    expect(llm.calls).toHaveLength(3);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).taskId).toBe(task.id);
    expect((error as TaskExecutionError).code).toBe('task_failed');
    expect((error as TaskExecutionError).cause).toBe(errors[2]);
    expect((error as Error).message).toContain('boom 3');
  });

  it('makes a single attempt with maxRetryLimit 0', async () => {
    const { crew, llm } = soloCrew({ script: [new Error('down'), 'never'], agent: { maxRetryLimit: 0 } });
    const error = await rejectionOf(crew.kickoff());
    expect(llm.calls).toHaveLength(1);
    expect(error).toBeInstanceOf(TaskExecutionError);
  });

  it('succeeds when a retry succeeds, restarting from the first messages', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'x' })] }, new Error('rate limited'), 'recovered'],
      agent: { tools: [search.tool], maxRetryLimit: 1 },
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('recovered');
    expect(llm.calls).toHaveLength(3);
    // The retry is a fresh run of the task: the tool round of the failed attempt is gone.
    expect(llm.calls[2].messages).toEqual(llm.calls[0].messages);
  });

  it('defaults to 2 retries (3 attempts)', async () => {
    const { crew, llm } = soloCrew({ script: [new Error('1'), new Error('2'), new Error('3'), 'unused'] });
    await rejectionOf(crew.kickoff());
    expect(llm.calls).toHaveLength(3);
  });

  it('reports task.failed and crew.failed on the stream, then completes', async () => {
    const { crew, task } = soloCrew({ script: [new Error('down')], agent: { maxRetryLimit: 0 } });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({ next: (e) => events.push(e), error: reject, complete: resolve }),
    );
    const types = events.map((e) => e.type);
    expect(types.slice(-2)).toEqual(['task.failed', 'crew.failed']);
    const failed = events.find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ taskId: task.id });
    const crewFailed = events.at(-1);
    expect(crewFailed?.type === 'crew.failed' && crewFailed.error).toBeInstanceOf(TaskExecutionError);
  });
});

describe('maxExecutionTime', () => {
  it('fails the task with ExecutionTimeoutError as cause, aborts the model call, and does not retry', async () => {
    const signals: AbortSignal[] = [];
    const { crew, llm } = soloCrew({
      script: [hangingReply(signals), 'never asked'],
      agent: { maxExecutionTime: 5, maxRetryLimit: 2 },
    });
    const error = await rejectionOf(crew.kickoff());

    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).cause).toBeInstanceOf(ExecutionTimeoutError);
    expect(((error as TaskExecutionError).cause as ExecutionTimeoutError).code).toBe('execution_timeout');
    expect(llm.calls).toHaveLength(1);
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
  });

  it('does not report a reply that comes after the deadline from a model that ignores its signal', async () => {
    const late: LLM = {
      model: 'late',
      call: () => new Promise((resolve) => setTimeout(() => resolve({ content: 'a late reply' }), 30)),
    };
    const agent = new Agent({ role: 'R', goal: 'g', backstory: 'b', llm: late, maxExecutionTime: 5 });
    const task = new Task({ description: 'd', expectedOutput: 'x', agent });
    const crew = new Crew({ agents: [agent], tasks: [task], verbose: true });
    const printed: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) =>
      printed.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      await rejectionOf(crew.kickoff());
      await new Promise((resolve) => setTimeout(resolve, 60));
    } finally {
      process.stderr.write = write;
    }
    expect(printed.join('')).toContain('crew failed');
    expect(printed.join('')).not.toContain('a late reply');
  });

  it('counts time spent in tools, and aborts the signal the tool was given', async () => {
    const toolSignals: AbortSignal[] = [];
    const stuck = tool({
      name: 'stuck',
      description: 'never returns',
      schema: z.object({}),
      execute: (_args, ctx) => {
        toolSignals.push(ctx.signal);
        return new Promise(() => {});
      },
    });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('stuck', {})] }, 'never asked'],
      agent: { tools: [stuck], maxExecutionTime: 5 },
    });
    const error = await rejectionOf(crew.kickoff());

    expect((error as TaskExecutionError).cause).toBeInstanceOf(ExecutionTimeoutError);
    expect(toolSignals[0]?.aborted).toBe(true);
    expect(llm.calls).toHaveLength(1);
  });

  it('bounds the wait for a coworker: a slower delegation fails the task at the deadline, and its late reply is harmless', async () => {
    const leadLlm = new ScriptedLLM([
      {
        toolCalls: [{ name: 'ask_question', arguments: { question: 'q', context: 'c', coworker: 'Helper' } }],
      },
      'never asked',
    ]);
    // The coworker takes longer than the lead's limit and ignores its signal, so its reply does come.
    const replied = deferred();
    const slowHelper: LLM = {
      model: 'slow',
      call: () =>
        new Promise((resolve) =>
          setTimeout(() => {
            resolve({ content: 'too late', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } });
            replied.resolve();
          }, 100),
        ),
    };
    const lead = new Agent({
      id: 'lead',
      role: 'Lead',
      goal: 'g',
      backstory: 'b',
      allowDelegation: true,
      maxExecutionTime: 20,
      maxRetryLimit: 2,
      llm: leadLlm,
    });
    const helper = new Agent({ id: 'helper', role: 'Helper', goal: 'g', backstory: 'b', llm: slowHelper });
    const crew = new Crew({
      agents: [lead, helper],
      tasks: [new Task({ description: 'Lead it', expectedOutput: 'x', agent: lead })],
    });
    const started = Date.now();
    const error = await rejectionOf(crew.kickoff());

    expect(Date.now() - started).toBeLessThan(100);
    expect(error).toBeInstanceOf(TaskExecutionError);
    const cause = (error as TaskExecutionError).cause;
    expect(cause).toBeInstanceOf(ExecutionTimeoutError);
    expect((cause as ExecutionTimeoutError).code).toBe('execution_timeout');
    expect((cause as Error).message).toBe(
      "Agent 'Lead' exceeded its maxExecutionTime of 20 ms while waiting for its coworkers",
    );
    // Not retried, and the coworker's late reply changes nothing.
    await replied.promise;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(leadLlm.calls).toHaveLength(1);
  });
});

describe('aborting a kickoff', () => {
  it('rejects with CrewAbortedError and aborts the in-flight model request', { timeout: 1000 }, async () => {
    const signals: AbortSignal[] = [];
    const { crew, llm } = soloCrew({ script: [hangingReply(signals)] });
    const controller = new AbortController();
    const run = crew.kickoff(undefined, { signal: controller.signal });

    await until(() => llm.calls.length === 1);
    controller.abort();
    const error = await rejectionOf(run);

    expect(error).toBeInstanceOf(CrewAbortedError);
    expect((error as CrewAbortedError).code).toBe('aborted');
    expect(signals[0].aborted).toBe(true);
  });

  it('rejects even when a hand-written model ignores the signal', { timeout: 1000 }, async () => {
    let called = false;
    const deaf: LLM = {
      model: 'deaf',
      call: () => {
        called = true;
        return new Promise(() => {});
      },
    };
    const { crew } = soloCrew({ script: [], agent: { llm: deaf } });
    const controller = new AbortController();
    const run = crew.kickoff(undefined, { signal: controller.signal });

    await until(() => called);
    controller.abort();
    expect(await rejectionOf(run)).toBeInstanceOf(CrewAbortedError);
  });

  it('aborts the signal of a running tool', { timeout: 1000 }, async () => {
    const started = deferred<AbortSignal>();
    const waiting = tool({
      name: 'waiting',
      description: 'waits',
      schema: z.object({}),
      execute: (_args, ctx) => {
        started.resolve(ctx.signal);
        return new Promise(() => {});
      },
    });
    const { crew } = soloCrew({
      script: [{ toolCalls: [call('waiting', {})] }, 'never'],
      agent: { tools: [waiting] },
    });
    const controller = new AbortController();
    const run = crew.kickoff(undefined, { signal: controller.signal });

    const toolSignal = await started.promise;
    controller.abort();
    expect(await rejectionOf(run)).toBeInstanceOf(CrewAbortedError);
    expect(toolSignal.aborted).toBe(true);
  });

  it('rejects at once, without calling the model, when the signal is already aborted', async () => {
    const { crew, llm } = soloCrew({ script: ['unused'] });
    const error = await rejectionOf(crew.kickoff(undefined, { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(CrewAbortedError);
    expect(llm.calls).toHaveLength(0);
  });
});
