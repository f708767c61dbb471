import { afterEach, describe, expect, it } from 'vitest';
import type { ActorRefLike, InspectionEvent } from 'xstate';
import {
  Agent,
  ConditionalTask,
  Crew,
  CrewValidationError,
  Process,
  StatecrewError,
  Task,
  TaskExecutionError,
  tool,
  type CrewValidationCode,
  type Guardrail,
} from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import { z } from 'zod';
import { deferred, scriptedAgent, taskPrompt } from '../helpers/crew-fixtures.js';

const { agent } = scriptedAgent('Worker', []);
const task = (description: string, options: Partial<ConstructorParameters<typeof Task>[0]> = {}) =>
  new Task({ description, expectedOutput: 'x', agent, ...options });
const conditional = (description: string, options: Partial<ConstructorParameters<typeof Task>[0]> = {}) =>
  new ConditionalTask({ description, expectedOutput: 'x', agent, condition: () => true, ...options });

/** Runs `build` and returns the CrewValidationError it throws (failing when it throws nothing). */
function validationError(build: () => unknown): CrewValidationError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(CrewValidationError);
    expect(error).toBeInstanceOf(StatecrewError);
    return error as CrewValidationError;
  }
  throw new Error('expected a CrewValidationError');
}

function expectInvalid(build: () => unknown, code: CrewValidationCode, ...named: string[]) {
  const error = validationError(build);
  expect(error.code).toBe(code);
  for (const name of named) expect(error.message).toContain(name);
}

describe('crew validation at construction', () => {
  it('empty_crew: a crew without tasks', () => {
    expectInvalid(() => new Crew({ agents: [agent], tasks: [] }), 'empty_crew');
  });

  it('missing_agent_in_task: a sequential task without an agent', () => {
    const orphan = new Task({ name: 'orphan', description: 'No agent', expectedOutput: 'x' });
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [task('First'), orphan] }),
      'missing_agent_in_task',
      'orphan',
    );
  });

  it('async_task_count: more than one async task at the end', () => {
    expectInvalid(
      () =>
        new Crew({
          agents: [agent],
          tasks: [
            task('Sync'),
            task('Async one', { asyncExecution: true }),
            task('Async two', { asyncExecution: true }),
          ],
        }),
      'async_task_count',
      'Async one',
      'Async two',
    );
    expect(
      () => new Crew({ agents: [agent], tasks: [task('Async', { asyncExecution: true }), task('Sync')] }),
    ).not.toThrow();
  });

  it('only_conditional_tasks: every task conditional', () => {
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [conditional('One'), conditional('Two')] }),
      'only_conditional_tasks',
    );
  });

  it('invalid_first_task: a conditional first task', () => {
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [conditional('Gate'), task('Then')] }),
      'invalid_first_task',
      'Gate',
    );
  });

  it('invalid_async_conditional_task: an async conditional task', () => {
    expectInvalid(
      () =>
        new Crew({
          agents: [agent],
          tasks: [task('First'), conditional('Async gate', { asyncExecution: true }), task('Last')],
        }),
      'invalid_async_conditional_task',
      'Async gate',
    );
  });

  it('async_context_dependency: an async task using an async task with no sync task between', () => {
    const a = task('Async A', { asyncExecution: true });
    const b = task('Async B', { asyncExecution: true, context: [a] });
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [a, b, task('End')] }),
      'async_context_dependency',
      'Async B',
      'Async A',
    );

    const c = task('Async C', { asyncExecution: true });
    const d = task('Async D', { asyncExecution: true, context: [c] });
    expect(() => new Crew({ agents: [agent], tasks: [c, task('Between'), d, task('End')] })).not.toThrow();
  });

  it('future_context_dependency: a context naming a later task', () => {
    const later = task('Later');
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [task('Early', { context: [later] }), later] }),
      'future_context_dependency',
      'Early',
      'Later',
    );
  });

  it('duplicate_id: two tasks or two agents with one id', () => {
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [task('One', { id: 'same' }), task('Two', { id: 'same' })] }),
      'duplicate_id',
      'One',
      'Two',
    );
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [task('Same'), task('Same')] }),
      'duplicate_id',
      'Same',
    );
    const twin = new Agent({ id: agent.id, role: 'Twin', goal: 'g', backstory: 'b' });
    expectInvalid(
      () => new Crew({ agents: [agent, twin], tasks: [task('One')] }),
      'duplicate_id',
      'Worker',
      'Twin',
    );
  });

  it('takes the same agent listed twice as one agent (one actor), not as a duplicate id', async () => {
    const { agent: solo } = scriptedAgent('Solo', ['done']);
    const crew = new Crew({
      agents: [solo, solo],
      tasks: [new Task({ description: 'Work', expectedOutput: 'x', agent: solo })],
    });
    expect((await crew.kickoff()).raw).toBe('done');
  });

  it('missing_manager_llm_or_manager_agent: a hierarchical crew with neither, or both', () => {
    const tasks = [new Task({ description: 'T', expectedOutput: 'x' })];
    expectInvalid(
      () => new Crew({ agents: [agent], tasks, process: Process.hierarchical }),
      'missing_manager_llm_or_manager_agent',
    );
    const manager = new Agent({ role: 'Boss', goal: 'g', backstory: 'b' });
    expectInvalid(
      () =>
        new Crew({
          agents: [agent],
          tasks,
          process: 'hierarchical',
          managerAgent: manager,
          managerLlm: new ScriptedLLM([]),
        }),
      'missing_manager_llm_or_manager_agent',
    );
  });

  it('manager_agent_in_agents and manager_agent_with_tools', () => {
    const tasks = [new Task({ description: 'T', expectedOutput: 'x' })];
    const manager = new Agent({ role: 'Boss', goal: 'g', backstory: 'b' });
    expectInvalid(
      () => new Crew({ agents: [agent, manager], tasks, process: 'hierarchical', managerAgent: manager }),
      'manager_agent_in_agents',
      'Boss',
    );
    // A task's agent is one of the workers, so the manager may not be one either.
    const ownTask = new Task({ description: 'Run it yourself', expectedOutput: 'x', agent: manager });
    expectInvalid(
      () => new Crew({ agents: [agent], tasks: [ownTask], process: 'hierarchical', managerAgent: manager }),
      'manager_agent_in_agents',
      "task 'Run it yourself'",
    );
    const noop = tool({ name: 'noop', description: 'noop', schema: z.object({}), execute: () => '' });
    const toolful = new Agent({ role: 'Tool boss', goal: 'g', backstory: 'b', tools: [noop] });
    expectInvalid(
      () => new Crew({ agents: [agent], tasks, process: 'hierarchical', managerAgent: toolful }),
      'manager_agent_with_tools',
      'Tool boss',
    );
  });

  it('invalid_option: a crew maxRpm that is not a positive integer', () => {
    for (const maxRpm of [0, -1, 1.5]) {
      expectInvalid(
        () => new Crew({ agents: [agent], tasks: [task('T')], maxRpm }),
        'invalid_option',
        'maxRpm',
      );
    }
  });
});

describe('task validation at construction', () => {
  it.each([
    '../out.md',
    'a/../b.md',
    '~/out.md',
    '$HOME/out.md',
    'a|b.md',
    'a>b.md',
    'a<b.md',
    'a&b.md',
    'a;b.md',
  ])('invalid_output_file: %s', (path) => {
    expectInvalid(
      () => task('Report', { name: 'report', outputFile: path }),
      'invalid_output_file',
      'report',
      path,
    );
  });

  it('accepts output files with placeholders', () => {
    expect(() => task('Report', { outputFile: 'out/{topic}/report-{n}.md' })).not.toThrow();
  });

  it('invalid_guardrail: a guardrail that is neither a function nor a string, or a bad retry budget', () => {
    expectInvalid(
      () => task('Checked', { name: 'checked', guardrail: 42 as unknown as Guardrail }),
      'invalid_guardrail',
      'checked',
    );
    expectInvalid(
      () =>
        task('Checked', { name: 'checked', guardrails: [() => [true, 'ok'], null as unknown as Guardrail] }),
      'invalid_guardrail',
      'checked',
    );
    expectInvalid(
      () => task('Checked', { name: 'checked', guardrailMaxRetries: -1 }),
      'invalid_guardrail',
      'checked',
    );
  });

  it.each([
    ['a string', 'Keep it short', 'got a string'],
    ['a function', () => [true, 'ok'], 'got a function'],
    ['an object', { rule: 'Keep it short' }, 'got an object'],
    ['null', null, 'got null'],
  ])('invalid_guardrail: guardrails given %s instead of an array', (_, given, got) => {
    const error = validationError(() =>
      task('Checked', { name: 'checked', guardrails: given as unknown as Guardrail[] }),
    );
    expect(error.code).toBe('invalid_guardrail');
    expect(error.message).toContain("Task 'checked'");
    expect(error.message).toContain('guardrails must be an array');
    expect(error.message).toContain(got);
    expect(error.message).toContain('guardrail option for a single one');
  });

  it('accepts a single string or function as guardrail, and arrays of either as guardrails', () => {
    const check: Guardrail = (output) => [true, output.raw];
    expect(task('One string', { guardrail: 'Keep it short' }).guardrails).toEqual(['Keep it short']);
    expect(task('One function', { guardrail: check }).guardrails).toEqual([check]);
    expect(task('A list', { guardrails: ['Keep it short', check] }).guardrails).toEqual([
      'Keep it short',
      check,
    ]);
    expect(task('None', { guardrails: [] }).guardrails).toEqual([]);
  });
});

describe('human_input_unavailable at kickoff', () => {
  const isTTY = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  afterEach(() => {
    if (isTTY) Object.defineProperty(process.stdin, 'isTTY', isTTY);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  });

  it('rejects a crew with a humanInput task, no handler and no terminal, before any model call', async () => {
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
    const worker = scriptedAgent('Worker', ['answer']);
    const crew = new Crew({
      agents: [worker.agent],
      tasks: [
        new Task({
          name: 'review',
          description: 'Review',
          expectedOutput: 'x',
          agent: worker.agent,
          humanInput: true,
        }),
      ],
    });

    const error = await crew.kickoff().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CrewValidationError);
    expect(error).toMatchObject({ code: 'human_input_unavailable' });
    expect((error as Error).message).toContain('review');
    expect(worker.llm.calls).toHaveLength(0);
  });

  it('runs the same crew when it has a humanInput handler', async () => {
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
    const worker = scriptedAgent('Worker', ['answer']);
    const crew = new Crew({
      agents: [worker.agent],
      tasks: [
        new Task({ description: 'Review', expectedOutput: 'x', agent: worker.agent, humanInput: true }),
      ],
      humanInput: () => '',
    });

    expect((await crew.kickoff()).raw).toBe('answer');
  });
});

describe('a run that fails', () => {
  it('rejects kickoff with the error and leaves no actor of the run running', async () => {
    const gate = deferred<string>();
    const llm = new ScriptedLLM([
      () => gate.promise, // the async task, still in flight when the run fails
      new Error('model down'),
    ]);
    const worker = new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm, maxRetryLimit: 0 });
    const actors = new Set<ActorRefLike>();
    const crew = new Crew({
      agents: [worker],
      tasks: [
        new Task({ description: 'Slow', expectedOutput: 'x', agent: worker, asyncExecution: true }),
        new Task({ description: 'Also async', expectedOutput: 'x', agent: worker, asyncExecution: true }),
        new Task({ description: 'End', expectedOutput: 'x', agent: worker }),
      ],
    });

    const error = await crew
      .kickoff(
        {},
        {
          inspect: (event: InspectionEvent) =>
            void (event.type === '@xstate.actor' && actors.add(event.actorRef)),
        },
      )
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskExecutionError);
    expect(taskPrompt(llm.calls[0])).toContain('Slow');
    expect(llm.calls[0].signal?.aborted).toBe(true);
    expect(actors.size).toBeGreaterThan(4);
    const running = [...actors].filter((a) => a.getSnapshot().status === 'active').map((a) => a.sessionId);
    expect(running).toEqual([]);
  });
});
