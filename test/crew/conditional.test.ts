import { describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import { toPromise } from 'xstate';
import { ConditionalTask, Crew, Task, TaskExecutionError, type TaskOutput } from '../../src/index.js';
import { scriptedAgent } from '../helpers/crew-fixtures.js';

describe('conditional tasks', () => {
  it('give the condition the output of the task just before', async () => {
    const { agent } = scriptedAgent('Worker', ['first', 'second', 'checked']);
    const seen: TaskOutput[] = [];
    const first = new Task({ description: 'First', expectedOutput: 'x', agent });
    const second = new Task({ description: 'Second', expectedOutput: 'x', agent });
    const check = new ConditionalTask({
      description: 'Check',
      expectedOutput: 'x',
      agent,
      condition: (previous) => {
        seen.push(previous);
        return true;
      },
    });
    await new Crew({ agents: [agent], tasks: [first, second, check] }).kickoff();

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ taskId: second.id, raw: 'second', skipped: false });
  });

  it('skip the task when the condition is false: skipped output, no model call, no task.output', async () => {
    const { agent: worker } = scriptedAgent('Worker', ['first']);
    const { agent: skippedAgent, llm: skippedLlm } = scriptedAgent('Never called', []);
    const first = new Task({ description: 'First', expectedOutput: 'x', agent: worker });
    const skipped = new ConditionalTask({
      description: 'Maybe',
      expectedOutput: 'x',
      agent: skippedAgent,
      condition: (previous) => previous.raw.includes('needs more'),
    });
    const crew = new Crew({ agents: [worker, skippedAgent], tasks: [first, skipped] });

    const output = await crew.kickoff();

    expect(skippedLlm.calls).toHaveLength(0);
    expect(skipped.output).toBeUndefined();
    expect(output.tasksOutput[1]).toMatchObject({
      taskId: skipped.id,
      raw: '',
      skipped: true,
      agent: 'Never called',
    });
    expect(output.raw).toBe('first');
  });

  it('end the skipped task actor in its skipped state', async () => {
    const { agent } = scriptedAgent('Worker', ['first']);
    const skipped = new ConditionalTask({
      description: 'Maybe',
      expectedOutput: 'x',
      agent,
      condition: () => false,
    });
    const first = new Task({ description: 'First', expectedOutput: 'x', agent });
    const actor = new Crew({ agents: [agent], tasks: [first, skipped] }).createActor();
    const states: Record<string, unknown> = {};
    actor.subscribe((snapshot) => {
      for (const [id, child] of Object.entries(snapshot.children)) {
        if (id.startsWith('task:')) states[id] = (child?.getSnapshot() as { value: unknown }).value;
      }
    });
    actor.start();
    await toPromise(actor);

    expect(states[`task:${skipped.id}`]).toBe('skipped');
    expect(states[`task:${first.id}`]).toBe('done');
  });

  it('run the task when the condition is true, also when it answers with a promise', async () => {
    const { agent, llm } = scriptedAgent('Worker', ['first', 'ran']);
    const conditional = new ConditionalTask({
      description: 'Maybe',
      expectedOutput: 'x',
      agent,
      condition: async (previous) => previous.raw === 'first',
    });
    const output = await new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'First', expectedOutput: 'x', agent }), conditional],
    }).kickoff();

    expect(llm.calls).toHaveLength(2);
    expect(conditional.output?.raw).toBe('ran');
    expect(output.tasksOutput[1].skipped).toBe(false);
    expect(output.raw).toBe('ran');
  });

  it("give a condition after a skipped task that task's skipped output (raw '')", async () => {
    const { agent } = scriptedAgent('Worker', ['first', 'third']);
    const seen: TaskOutput[] = [];
    const second = new ConditionalTask({
      description: 'Second',
      expectedOutput: 'x',
      agent,
      condition: () => false,
    });
    const third = new ConditionalTask({
      description: 'Third',
      expectedOutput: 'x',
      agent,
      condition: (previous) => {
        seen.push(previous);
        return previous.skipped;
      },
    });
    const first = new Task({ description: 'First', expectedOutput: 'x', agent });
    const output = await new Crew({ agents: [agent], tasks: [first, second, third] }).kickoff();

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ taskId: second.id, raw: '', skipped: true });
    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['first', '', 'third']);
  });

  it('clear task.output when a task that ran in an earlier kickoff is skipped in a later one', async () => {
    const { agent } = scriptedAgent('Worker', ['go', 'ran', 'stop']);
    const first = new Task({ description: 'First', expectedOutput: 'x', agent });
    const conditional = new ConditionalTask({
      description: 'Maybe',
      expectedOutput: 'x',
      agent,
      condition: (previous) => previous.raw === 'go',
    });
    const crew = new Crew({ agents: [agent], tasks: [first, conditional] });

    await crew.kickoff();
    expect(conditional.output?.raw).toBe('ran');
    await crew.kickoff();
    expect(conditional.output).toBeUndefined();
  });

  it('fail the run, naming the task, when the condition throws', async () => {
    const { agent, llm } = scriptedAgent('Worker', ['first', 'first again']);
    const conditional = new ConditionalTask({
      name: 'gate',
      description: 'Maybe',
      expectedOutput: 'x',
      agent,
      condition: () => {
        throw new Error('condition exploded');
      },
    });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'First', expectedOutput: 'x', agent }), conditional],
    });

    const error = await crew.kickoff().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).taskId).toBe(conditional.id);
    expect((error as Error).message).toContain('gate');
    expect((error as Error).message).toContain('condition exploded');
    expect(llm.calls).toHaveLength(1);

    // The stream (a second kickoff) says which task failed, like any task failure, before the crew fails.
    const events = await firstValueFrom(crew.stream().pipe(toArray()));
    expect(events.map((e) => e.type).slice(-3)).toEqual(['task.completed', 'task.failed', 'crew.failed']);
    const failed = events.find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({
      taskId: conditional.id,
      error: { message: expect.stringContaining('gate') },
    });
  });
});
