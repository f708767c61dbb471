// Types a TypeScript user relies on: `tsc --noEmit` over the tests checks them (the `@ts-expect-error` lines
// fail the typecheck when the error they expect is gone); the assertions check the runtime agrees.
import { describe, expect, it } from 'vitest';
import {
  Agent,
  Crew,
  CrewAbortedError,
  ExecutionTimeoutError,
  GuardrailError,
  InterpolationError,
  LLMError,
  OutputParsingError,
  Task,
  TaskExecutionError,
} from '../src/index.js';
import { ScriptedLLM } from '../src/testing/index.js';

describe('public types', () => {
  it('give each error class its one code as a literal type', () => {
    const codes: Array<[string, string]> = [
      [new GuardrailError('m').code satisfies 'guardrail_failed', 'guardrail_failed'],
      [new OutputParsingError('m').code satisfies 'output_parsing_failed', 'output_parsing_failed'],
      [new TaskExecutionError('t', 'm').code satisfies 'task_failed', 'task_failed'],
      [new CrewAbortedError().code satisfies 'aborted', 'aborted'],
      [new ExecutionTimeoutError('m').code satisfies 'execution_timeout', 'execution_timeout'],
      [new LLMError('m').code satisfies 'llm_error', 'llm_error'],
    ];
    for (const [code, expected] of codes) expect(code).toBe(expected);
  });

  it('leave runId out of kickoffForEach, whose runs each get their own', async () => {
    const agent = new Agent({ role: 'R', goal: 'g', backstory: 'b', llm: new ScriptedLLM(['a', 'b']) });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'd', expectedOutput: 'e', agent })],
    });
    // @ts-expect-error a runId would be every run's
    const outputs = await crew.kickoffForEach([{}, {}], { runId: 'mine' });
    expect(new Set(outputs.map((o) => o.runId)).size).toBe(2);
    expect(outputs.map((o) => o.runId)).not.toContain('mine');
  });

  it('take inputs declared by an interface, and refuse values with no text form at compile time as at run time', async () => {
    interface Brief {
      topic: string;
      sources: readonly string[];
      meta: { year: number; draft: boolean };
    }
    const agent = new Agent({
      role: 'R',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM(['a', 'b', 'c', 'd', 'e']),
    });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'About {topic} ({meta})', expectedOutput: 'e', agent })],
    });
    const brief: Brief = { topic: 'owls', sources: ['wiki'] as const, meta: { year: 2026, draft: false } };
    expect((await crew.kickoff(brief)).raw).toBe('a');
    expect((await crew.kickoffForEach([brief])).map((o) => o.raw)).toEqual(['b']);
    expect(crew.createActor(brief).getSnapshot().status).toBe('active');

    // @ts-expect-error a Date has no faithful text form
    await expect(crew.kickoff({ topic: 'owls', meta: { since: new Date(0) } })).rejects.toThrow(
      InterpolationError,
    );
    interface Dated {
      topic: string;
      when: Date;
    }
    const dated: Dated = { topic: 'owls', when: new Date(0) };
    // @ts-expect-error nor inside an interface
    await expect(crew.kickoff(dated)).rejects.toThrow(InterpolationError);
    // An optional property left undefined is absent, in the types as at run time.
    interface Optional {
      topic: string;
      meta?: string;
    }
    const optional: Optional = { topic: 'owls', meta: undefined };
    await expect(crew.kickoff({ ...optional, meta: { year: 1, draft: true } })).resolves.toBeTruthy();
    await expect(crew.kickoff(optional)).rejects.toMatchObject({ code: 'missing_input', key: 'meta' });
    // Nothing but undefined is no input at all: placeholders stay as written, as with `{}`.
    const none = await crew.kickoff({ topic: undefined, meta: undefined } as Partial<Optional>);
    expect(none.tasksOutput[0].description).toBe('About {topic} ({meta})');
    // @ts-expect-error inputs are an object, not a list
    await expect(crew.kickoff(['owls'])).rejects.toThrow(TypeError);
  });
});
