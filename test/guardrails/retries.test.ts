import { describe, expect, it } from 'vitest';
import { GuardrailError, type GuardrailResult, type TaskOutput } from '../../src/index.js';
import {
  contents,
  eventsOf,
  lastMessage,
  ofType,
  oneTaskCrew,
  reply,
  taskStateRecorder,
  until,
} from '../helpers/human-fixtures.js';

/** A guardrail that fails while `reject(raw)` returns an error, and counts its calls. */
function counting(reject: (raw: string) => string | undefined) {
  const check = (output: TaskOutput): GuardrailResult => {
    counted.calls++;
    const error = reject(output.raw);
    return error === undefined ? [true, output.raw] : [false, error];
  };
  const counted = Object.assign(check, { calls: 0 });
  return counted;
}

const tooLong = (max: number) =>
  counting((raw) => (raw.length > max ? `too long: ${raw.length} > ${max} characters` : undefined));

describe('guardrail retries', () => {
  it('moves the task to guardrail-retry and runs the agent again with the error and the rejected output', async () => {
    const states = taskStateRecorder();
    const { crew, llm } = oneTaskCrew(['A very long slogan indeed', 'Short one'], { guardrail: tooLong(10) });
    const output = await crew.kickoff(undefined, { inspect: states.inspect });

    expect(output.raw).toBe('Short one');
    // With no callback and no output file, the output the guardrail passes finishes the task at once.
    expect(states.statesOf('draft')).toEqual([
      'pending',
      'running.working',
      'running.validating',
      'guardrail-retry',
      'running.validating',
      'done',
    ]);
    expect(llm.calls).toHaveLength(2);
    const retry = lastMessage(llm.calls[1]);
    expect(retry).toContain('too long: 25 > 10 characters');
    expect(retry).toContain('A very long slogan indeed');
    // The conversation goes on: the agent sees its own rejected answer before the retry message.
    expect(contents(llm.calls[1], 'assistant')).toEqual(['A very long slogan indeed']);
    expect(llm.calls[1].messages.slice(0, 2)).toEqual(llm.calls[0].messages);
  });

  it('is visible on the task actor of crew.createActor()', async () => {
    const { crew } = oneTaskCrew(['A very long slogan indeed', 'Short one'], { guardrail: tooLong(10) });
    const actor = crew.createActor();
    const seen: string[] = [];
    actor.start();
    const task = actor.system.get('task:draft') as {
      subscribe(next: (s: { matches(state: string): boolean }) => void): unknown;
    };
    task.subscribe((snapshot) => {
      if (snapshot.matches('guardrail-retry')) seen.push('guardrail-retry');
    });
    await until(() => actor.getSnapshot().status === 'done', 'the run to finish');

    expect(seen).toContain('guardrail-retry');
    expect(actor.getSnapshot().output?.raw).toBe('Short one');
  });

  it('re-checks the whole chain, from the first guardrail, after a retry', async () => {
    const first = counting(() => undefined);
    const second = counting((raw) => (raw === 'draft 1' ? 'second says no' : undefined));
    const third = counting(() => undefined);
    const { crew } = oneTaskCrew(['draft 1', 'draft 2'], { guardrails: [first, second, third] });

    expect((await crew.kickoff()).raw).toBe('draft 2');
    expect([first.calls, second.calls, third.calls]).toEqual([2, 2, 1]);
  });

  it('puts in the retry message the text the failing guardrail saw, after earlier rewrites', async () => {
    const { crew, llm } = oneTaskCrew(['draft', 'fine'], {
      guardrails: [
        (o) => [true, `[${o.raw}]`],
        (o) => (o.raw === '[draft]' ? [false, 'no brackets'] : [true, o]),
      ],
    });
    await crew.kickoff();

    expect(lastMessage(llm.calls[1])).toContain('### Previous result:\n[draft]');
  });

  it('shares one retry budget between all the guardrails of the task', async () => {
    const a = counting((raw) => (raw === 'one' || raw === 'three' ? `a rejects ${raw}` : undefined));
    const b = counting((raw) => (raw === 'two' ? `b rejects ${raw}` : undefined));
    const { crew, llm } = oneTaskCrew(['one', 'two', 'three'], {
      guardrails: [a, b],
      guardrailMaxRetries: 2,
    });
    const error = await crew.kickoff().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GuardrailError);
    expect((error as GuardrailError).taskId).toBe(crew.tasks[0].id);
    expect((error as GuardrailError).message).toContain('failed guardrail validation after 2 retries');
    expect((error as GuardrailError).message).toContain('Last error: a rejects three');
    expect(llm.calls).toHaveLength(3);
    expect([a.calls, b.calls]).toEqual([3, 1]);
  });

  it('retries 3 times by default, then fails with GuardrailError and the last error', async () => {
    const never = counting((raw) => `still wrong: ${raw}`);
    const { crew, llm } = oneTaskCrew(['v1', 'v2', 'v3', 'v4'], { guardrail: never });
    const error = await crew.kickoff().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GuardrailError);
    expect(error).toMatchObject({ code: 'guardrail_failed' });
    expect((error as Error).message).toBe(
      "Task 'Write a slogan' failed guardrail validation after 3 retries. Last error: still wrong: v4",
    );
    expect(llm.calls).toHaveLength(4);
    expect(never.calls).toBe(4);
  });

  it('names the task once when its description has placeholders', async () => {
    const { crew } = oneTaskCrew(['v1'], {
      description: 'Write a slogan about {topic}',
      guardrail: () => [false, 'no'],
      guardrailMaxRetries: 0,
    });
    const error = await crew.kickoff({ topic: 'bread' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GuardrailError);
    expect((error as Error).message).toBe(
      "Task 'Write a slogan about bread' failed guardrail validation after 0 retries. Last error: no",
    );
  });

  it('fails at the first failure with guardrailMaxRetries: 0', async () => {
    const { crew, llm } = oneTaskCrew(['v1'], { guardrail: () => [false, 'no'], guardrailMaxRetries: 0 });

    await expect(crew.kickoff()).rejects.toThrow(
      'failed guardrail validation after 0 retries. Last error: no',
    );
    expect(llm.calls).toHaveLength(1);
  });

  it('counts a throwing guardrail as a failure with the thrown message', async () => {
    let calls = 0;
    const { crew, llm } = oneTaskCrew(['v1', 'v2', 'v3'], {
      guardrail: (output) => {
        calls++;
        if (calls === 1) throw new Error('the checker crashed');
        if (calls === 2) throw 'a thrown string';
        return [true, output.raw];
      },
    });

    expect((await crew.kickoff()).raw).toBe('v3');
    expect(lastMessage(llm.calls[1])).toContain('failed validation: the checker crashed');
    expect(lastMessage(llm.calls[2])).toContain('failed validation: a thrown string');
  });

  it('emits guardrail.failed for every failure, the last one exhausted, then task.failed and crew.failed', async () => {
    const { crew } = oneTaskCrew(['v1', 'v2', 'v3'], {
      guardrail: (o) => [false, `bad ${o.raw}`],
      guardrailMaxRetries: 2,
    });
    const events = await eventsOf(crew);

    expect(
      ofType(events, 'guardrail.failed').map(({ error, retry, maxRetries, exhausted, taskId }) => ({
        error,
        retry,
        maxRetries,
        exhausted,
        taskId,
      })),
    ).toEqual([
      { error: 'bad v1', retry: 1, maxRetries: 2, exhausted: false, taskId: 'draft' },
      { error: 'bad v2', retry: 2, maxRetries: 2, exhausted: false, taskId: 'draft' },
      { error: 'bad v3', retry: 2, maxRetries: 2, exhausted: true, taskId: 'draft' },
    ]);
    const [failed] = ofType(events, 'task.failed');
    expect(failed.error).toBeInstanceOf(GuardrailError);
    expect(failed.error.message).toContain('after 2 retries. Last error: bad v3');
    expect(events.map((e) => e.type).slice(-3)).toEqual(['guardrail.failed', 'task.failed', 'crew.failed']);
  });

  it('emits the failure of a task with no retries as exhausted at once', async () => {
    const { crew } = oneTaskCrew(['v1'], { guardrail: () => [false, 'never'], guardrailMaxRetries: 0 });
    const events = await eventsOf(crew);
    expect(ofType(events, 'guardrail.failed')).toMatchObject([
      { error: 'never', retry: 0, maxRetries: 0, exhausted: true },
    ]);
  });

  it('counts the tokens of every attempt, also when the guardrails finally fail', async () => {
    const ok = oneTaskCrew([reply('long answer', 100, 10), reply('ok', 50, 5)], { guardrail: tooLong(5) });
    const output = await ok.crew.kickoff();
    expect(output.tokenUsage).toMatchObject({
      promptTokens: 150,
      completionTokens: 15,
      totalTokens: 165,
      successfulRequests: 2,
    });

    const bad = oneTaskCrew([reply('long answer', 100, 10), reply('long again', 50, 5)], {
      guardrail: tooLong(5),
      guardrailMaxRetries: 1,
    });
    await expect(bad.crew.kickoff()).rejects.toBeInstanceOf(GuardrailError);
    expect(bad.crew.usageMetrics).toMatchObject({ totalTokens: 165, successfulRequests: 2 });
  });
});
