import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { Crew, Task, TaskOutput, type Guardrail, type GuardrailResult } from '../../src/index.js';
import { lastMessage, oneTaskCrew, writer } from '../helpers/human-fixtures.js';

const article = z.object({ title: z.string(), words: z.number() });

describe('function guardrails', () => {
  it('passes the output on when a tuple guardrail accepts it', async () => {
    const seen: TaskOutput[] = [];
    const { crew } = oneTaskCrew(['Fresh bread daily'], {
      guardrail: (output) => {
        seen.push(output);
        return [true, output];
      },
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('Fresh bread daily');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(TaskOutput);
    expect(seen[0]).toMatchObject({ taskId: 'draft', raw: 'Fresh bread daily', agent: 'Writer' });
  });

  it('replaces raw with the string a tuple guardrail returns', async () => {
    const { crew, task } = oneTaskCrew(['  fresh bread daily  '], {
      guardrail: (output) => [true, output.raw.trim().toUpperCase()],
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('FRESH BREAD DAILY');
    expect(output.tasksOutput[0].raw).toBe('FRESH BREAD DAILY');
    expect(task.output?.raw).toBe('FRESH BREAD DAILY');
  });

  it('replaces raw with the value of an object guardrail, and keeps the output on { ok: true }', async () => {
    const { crew } = oneTaskCrew(['fresh bread'], {
      guardrails: [() => ({ ok: true }), (output) => ({ ok: true, value: `${output.raw}!` })],
    });
    expect((await crew.kickoff()).raw).toBe('fresh bread!');
  });

  it('replaces the whole output with a TaskOutput a guardrail returns', async () => {
    const { crew } = oneTaskCrew(['draft'], {
      guardrail: (output) => [true, new TaskOutput({ ...output.toData(), raw: 'edited', agent: 'Editor' })],
    });
    const output = await crew.kickoff();

    expect(output.tasksOutput[0]).toMatchObject({ raw: 'edited', agent: 'Editor', taskId: 'draft' });
  });

  it('awaits an async guardrail', async () => {
    const { crew } = oneTaskCrew(['draft'], {
      guardrail: async (output) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { ok: true, value: `${output.raw} (checked)` };
      },
    });
    expect((await crew.kickoff()).raw).toBe('draft (checked)');
  });

  it('ignores a non-string value when the task has no output schema', async () => {
    const { crew } = oneTaskCrew(['plain text'], { guardrail: () => [true, { some: 'object' }] });
    const output = await crew.kickoff();

    expect(output.raw).toBe('plain text');
    expect(output.tasksOutput[0].parsed).toBeUndefined();
  });

  describe('with an output schema', () => {
    const answer = JSON.stringify({ title: 'Bread', words: 2 });

    it('re-parses a string result: parsed and json follow the new raw', async () => {
      const replacement = JSON.stringify({ title: 'Better bread', words: 3 });
      const { crew } = oneTaskCrew([answer], { outputSchema: article, guardrail: () => [true, replacement] });
      const output = await crew.kickoff();

      expect(output.raw).toBe(replacement);
      expect(output.tasksOutput[0].parsed).toEqual({ title: 'Better bread', words: 3 });
      expect(output.json).toEqual({ title: 'Better bread', words: 3 });
    });

    it('takes an object result as the new parsed value, with raw as its JSON', async () => {
      const { crew } = oneTaskCrew([answer], {
        outputSchema: article,
        guardrail: (output) => {
          const parsed = output.parsed as z.infer<typeof article>;
          return [true, { ...parsed, title: parsed.title.toUpperCase() }];
        },
      });
      const output = await crew.kickoff();

      expect(output.tasksOutput[0].parsed).toEqual({ title: 'BREAD', words: 2 });
      expect(output.json).toEqual({ title: 'BREAD', words: 2 });
      expect(JSON.parse(output.raw)).toEqual({ title: 'BREAD', words: 2 });
    });

    it('takes an object value of { ok: true, value } as the new parsed value too', async () => {
      const { crew } = oneTaskCrew([answer], {
        outputSchema: article,
        guardrail: (output) => ({
          ok: true,
          value: { title: 'From the guardrail', words: (output.parsed as { words: number }).words + 1 },
        }),
      });
      const output = await crew.kickoff();

      expect(output.tasksOutput[0].parsed).toEqual({ title: 'From the guardrail', words: 3 });
    });

    it("types a structured task's guardrails by the schema, as its callback", async () => {
      const { agent } = writer([answer]);
      const counted: Guardrail<z.infer<typeof article>> = (output) =>
        output.parsed && output.parsed.words > 0 ? [true, output] : [false, 'Count the words'];
      const task = new Task({
        id: 'typed',
        description: 'Write an article',
        expectedOutput: 'an article',
        agent,
        outputSchema: article,
        guardrail: (output) => {
          expectTypeOf(output).toEqualTypeOf<TaskOutput<{ title: string; words: number }>>();
          if (!output.parsed) return [false, 'No article'];
          // `parsed` is the schema's type: no cast needed.
          return [true, { ...output.parsed, title: output.parsed.title.toUpperCase() }];
        },
        guardrails: [counted, (output) => [true, { ...output.parsed!, words: output.parsed!.words + 1 }]],
        callback: (output) => {
          expectTypeOf(output.parsed).toEqualTypeOf<z.infer<typeof article> | undefined>();
        },
      });
      // An untyped guardrail still fits a structured task; without a schema, `parsed` stays unknown.
      const untyped: Guardrail = (output) => [true, output.raw];
      new Task({
        description: 'd',
        expectedOutput: 'e',
        outputSchema: article,
        guardrails: [untyped, 'Be short'],
      });
      new Task({
        description: 'd',
        expectedOutput: 'e',
        guardrail: (output) => {
          // @ts-expect-error: without an outputSchema, parsed is unknown
          void output.parsed.words;
          return [true, output];
        },
      });

      const output = await new Crew({ agents: [agent], tasks: [task] }).kickoff();
      expect(output.tasksOutput[0].parsed).toEqual({ title: 'BREAD', words: 3 });
      expect(task.output?.parsed?.words).toBe(3);
    });

    it('fails the guardrail when its result does not match the schema, and the agent answers again', async () => {
      let calls = 0;
      const { crew, llm } = oneTaskCrew([answer, answer], {
        outputSchema: article,
        guardrail: (): GuardrailResult => (++calls === 1 ? [true, { title: 7 }] : [true, 'not json']),
        guardrailMaxRetries: 1,
      });
      const failure = (await crew.kickoff().catch((error: unknown) => error)) as Error;

      expect(lastMessage(llm.calls[1])).toContain("The guardrail's value does not match the output schema");
      expect(failure.name).toBe('GuardrailError');
      expect(failure.message).toContain("The guardrail's result does not match the output schema");
    });
  });

  describe('chains', () => {
    it('runs the guardrails in order, each on the previous one’s result', async () => {
      const seen: string[] = [];
      const step =
        (suffix: string): Guardrail =>
        (output) => {
          seen.push(output.raw);
          return [true, `${output.raw}${suffix}`];
        };
      const { crew } = oneTaskCrew(['a'], { guardrails: [step('b'), step('c'), step('d')] });

      expect((await crew.kickoff()).raw).toBe('abcd');
      expect(seen).toEqual(['a', 'ab', 'abc']);
    });

    it('runs the single guardrail before the list when both are given', async () => {
      const order: string[] = [];
      const named =
        (name: string): Guardrail =>
        (output) => {
          order.push(name);
          return [true, `${output.raw}>${name}`];
        };
      const { crew } = oneTaskCrew(['x'], {
        guardrails: [named('list-1'), named('list-2')],
        guardrail: named('single'),
      });

      expect((await crew.kickoff()).raw).toBe('x>single>list-1>list-2');
      expect(order).toEqual(['single', 'list-1', 'list-2']);
    });

    it('stops at the first failure: later guardrails do not run', async () => {
      const later = { calls: 0 };
      const { crew } = oneTaskCrew(['x'], {
        guardrails: [
          () => [false, 'nope'],
          () => {
            later.calls++;
            return [true, 'never'];
          },
        ],
        guardrailMaxRetries: 0,
      });

      await expect(crew.kickoff()).rejects.toThrow('Last error: nope');
      expect(later.calls).toBe(0);
    });
  });

  it('counts a malformed return value as a failure that says what was expected', async () => {
    const { crew, llm } = oneTaskCrew(['first', 'second'], {
      guardrail: ((output: TaskOutput) =>
        output.raw === 'first' ? 'yes' : [true, output.raw]) as unknown as Guardrail,
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('second');
    expect(lastMessage(llm.calls[1])).toContain('A guardrail must return [true, value], [false, error]');
    expect(lastMessage(llm.calls[1])).toContain('(got "yes")');
  });
});
