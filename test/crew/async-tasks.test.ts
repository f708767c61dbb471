import { describe, expect, it } from 'vitest';
import { ConditionalTask, Crew, Task, TaskExecutionError, type TaskOutput } from '../../src/index.js';
import type { LLMRequest } from '../../src/llm/types.js';
import {
  deferred,
  flush,
  replyingLLM,
  scriptedAgent,
  taskPrompt,
  until,
  type Deferred,
} from '../helpers/crew-fixtures.js';

/** A model whose answer to task `<name>` waits for `gates[name]`; unknown names answer at once. */
function gatedByTask(names: string[]) {
  const gates: Record<string, Deferred<string>> = Object.fromEntries(
    names.map((n) => [n, deferred<string>()]),
  );
  const started: string[] = [];
  const requests: Record<string, LLMRequest> = {};
  const llm = replyingLLM((request) => {
    const name = /Current Task: (\w+)/.exec(taskPrompt(request))?.[1] ?? '';
    started.push(name);
    requests[name] = request;
    return gates[name]?.promise ?? `${name} output`;
  });
  return { llm, gates, started, requests };
}

describe('async tasks', () => {
  it('run concurrently: three async model calls are all in flight before any answers', async () => {
    const { llm, gates, started } = gatedByTask(['A', 'B', 'C']);
    const { agent } = scriptedAgent('Worker', llm);
    const tasks = [
      ...['A', 'B', 'C'].map(
        (d) => new Task({ description: d, expectedOutput: 'x', agent, asyncExecution: true }),
      ),
      new Task({ description: 'D', expectedOutput: 'x', agent }),
    ];
    const run = new Crew({ agents: [agent], tasks }).kickoff();

    await until(() => started.length === 3);
    expect(started).toEqual(['A', 'B', 'C']);

    gates.C.resolve('C output');
    gates.A.resolve('A output');
    await flush();
    expect(started).not.toContain('D');
    gates.B.resolve('B output');
    const output = await run;

    expect(started).toEqual(['A', 'B', 'C', 'D']);
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['A output', 'B output', 'C output', 'D output']);
  });

  it('keep crew order in tasksOutput whatever order they finish in', async () => {
    const { llm, gates, started } = gatedByTask(['A', 'B']);
    const { agent } = scriptedAgent('Worker', llm);
    const a = new Task({ description: 'A', expectedOutput: 'x', agent, asyncExecution: true });
    const b = new Task({ description: 'B', expectedOutput: 'x', agent, asyncExecution: true });
    const c = new Task({ description: 'C', expectedOutput: 'x', agent });
    const run = new Crew({ agents: [agent], tasks: [a, b, c] }).kickoff();
    await until(() => started.length === 2);
    gates.B.resolve('B output');
    await flush();
    gates.A.resolve('A output');

    const output = await run;
    expect(output.tasksOutput.map((t) => t.taskId)).toEqual([a.id, b.id, c.id]);
  });

  it('are joined before a conditional task evaluates its condition, which sees the async output', async () => {
    const { llm, gates, started } = gatedByTask(['A']);
    const { agent } = scriptedAgent('Worker', llm);
    const seen: TaskOutput[] = [];
    const tasks = [
      new Task({ description: 'Start', expectedOutput: 'x', agent }),
      new Task({ description: 'A', expectedOutput: 'x', agent, asyncExecution: true }),
      new ConditionalTask({
        description: 'Check',
        expectedOutput: 'x',
        agent,
        condition: (previous) => {
          seen.push(previous);
          return true;
        },
      }),
    ];
    const run = new Crew({ agents: [agent], tasks }).kickoff();
    await until(() => started.includes('A'));
    await flush();
    expect(seen).toHaveLength(0);

    gates.A.resolve('A output');
    await run;
    expect(seen.map((s) => s.raw)).toEqual(['A output']);
    expect(started).toEqual(['Start', 'A', 'Check']);
  });

  it('are joined at the end: the run waits for a last async task', async () => {
    const { llm, gates, started } = gatedByTask(['Last']);
    const { agent } = scriptedAgent('Worker', llm);
    const tasks = [
      new Task({ description: 'First', expectedOutput: 'x', agent }),
      new Task({ description: 'Last', expectedOutput: 'x', agent, asyncExecution: true }),
    ];
    let settled = false;
    const run = new Crew({ agents: [agent], tasks }).kickoff().finally(() => (settled = true));
    await until(() => started.includes('Last'));
    await flush();
    expect(settled).toBe(false);

    gates.Last.resolve('Last output');
    const output = await run;
    expect(output.raw).toBe('Last output');
  });

  it('fail the run at the join when one fails, cancelling the others in flight', async () => {
    const { llm, gates, started, requests } = gatedByTask(['A', 'B']);
    const { agent } = scriptedAgent('Worker', llm, { maxRetryLimit: 0 });
    const a = new Task({
      name: 'broken',
      description: 'A',
      expectedOutput: 'x',
      agent,
      asyncExecution: true,
    });
    const b = new Task({ description: 'B', expectedOutput: 'x', agent, asyncExecution: true });
    const c = new Task({ description: 'C', expectedOutput: 'x', agent });
    const run = new Crew({ agents: [agent], tasks: [a, b, c] }).kickoff();
    await until(() => started.length === 2);

    gates.A.reject(new Error('model down'));
    const error = await run.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).taskId).toBe(a.id);
    expect((error as Error).message).toContain('broken');
    expect((error as Error).message).toContain('model down');
    expect(requests.B.signal?.aborted).toBe(true);
    expect(started).not.toContain('C');
    expect(b.output).toBeUndefined();
  });
});
