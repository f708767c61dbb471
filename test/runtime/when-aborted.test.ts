// A server passes one shutdown signal to every kickoff: however many runs wait on it, it gets one
// listener (Node warns of a leak past ten), and aborting it still stops every run.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Agent, Crew, CrewAbortedError, Task, type LLM, type LLMRequest } from '../../src/index.js';
import { whenAborted } from '../../src/runtime/when-aborted.js';

describe('whenAborted', () => {
  it('gives a signal one listener for all its waiters, and calls each once when it aborts', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const stops = [1, 2, 3].map((n) => whenAborted(controller.signal, () => calls.push(n)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stops[1]();
    controller.abort();
    controller.abort();
    expect(calls).toEqual([1, 3]);
  });

  it('takes its listener off the signal once every waiter has stopped waiting', () => {
    const controller = new AbortController();
    const stops = [1, 2].map(() => whenAborted(controller.signal, () => {}));
    for (const stop of stops) stop();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const calls: string[] = [];
    whenAborted(controller.signal, () => calls.push('again'));
    controller.abort();
    expect(calls).toEqual(['again']);
  });

  it('stops every waiter even when one throws, and skips one that stopped waiting meanwhile', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const thrown: unknown[] = [];
    const onError = (error: unknown) => thrown.push(error);
    process.on('uncaughtException', onError);
    try {
      let stopThird = () => {};
      whenAborted(controller.signal, () => {
        calls.push('first');
        stopThird();
        throw new Error('boom');
      });
      whenAborted(controller.signal, () => calls.push('second'));
      stopThird = whenAborted(controller.signal, () => calls.push('third'));
      controller.abort();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(calls).toEqual(['first', 'second']);
    expect(thrown).toEqual([new Error('boom')]);
  });

  it('calls at once for a signal already aborted, and does nothing without a signal', () => {
    const calls: string[] = [];
    whenAborted(AbortSignal.abort(), () => calls.push('aborted'));
    whenAborted(undefined, () => calls.push('never'))();
    expect(calls).toEqual(['aborted']);
  });
});

/** Answers when the request's signal aborts (with an AbortError), never before. */
const waitsForAbort: LLM = {
  model: 'waits',
  call: (request: LLMRequest) =>
    new Promise((_, reject) =>
      request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
    ),
};

describe('runs sharing one signal', () => {
  it('adds one listener to it for 30 concurrent kickoffs, and aborting it rejects them all', async () => {
    const agent = new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm: waitsForAbort });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Do {n}', expectedOutput: 'x', agent })],
    });
    const shutdown = new AbortController();
    const runs = Array.from({ length: 30 }, (_, n) => crew.kickoff({ n }, { signal: shutdown.signal }));
    const streams = Array.from({ length: 15 }, (_, n) => crew.stream({ n }, { signal: shutdown.signal }));
    const ended = streams.map((s) => new Promise<void>((resolve) => s.subscribe({ complete: resolve })));
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(1);

    shutdown.abort();
    const results = await Promise.allSettled(runs);
    await Promise.all(ended);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof CrewAbortedError)).toBe(true);
  });

  it('warns of no leak when kickoffForEach runs 20 crews at once, and aborting stops them all', async () => {
    const agent = new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm: waitsForAbort });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Do {n}', expectedOutput: 'x', agent })],
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const shutdown = new AbortController();
      const inputs = Array.from({ length: 20 }, (_, n) => ({ n }));
      const all = crew.kickoffForEach(inputs, { signal: shutdown.signal, concurrency: 20 });
      await new Promise((resolve) => setImmediate(resolve));
      shutdown.abort();
      await expect(all).rejects.toBeInstanceOf(CrewAbortedError);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
