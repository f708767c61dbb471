import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  ConditionalTask,
  Crew,
  CrewAbortedError,
  CrewOutput,
  InterpolationError,
  MemoryCheckpointStore,
  Task,
  TaskExecutionError,
  tool,
  type AgentOptions,
  type CrewEvent,
  type LLM,
} from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import { collect, deferred, scriptedAgent, until, withReportedErrors } from '../helpers/crew-fixtures.js';

const TASK_EVENTS = new Set([
  'task.started',
  'task.completed',
  'task.skipped',
  'task.failed',
  'guardrail.failed',
  'human.input.requested',
]);
const AGENT_EVENTS = new Set([
  'agent.step',
  'llm.request',
  'llm.delta',
  'llm.response',
  'llm.failed',
  'tool.called',
  'tool.result',
  'delegation.sent',
  'delegation.replied',
]);

function toolCrew() {
  const search = tool({
    name: 'search',
    description: 'search',
    schema: z.object({ q: z.string() }),
    execute: ({ q }) => `results for ${q}`,
  });
  const researcher = scriptedAgent(
    'Researcher',
    [{ toolCalls: [{ id: 'call-1', name: 'search', arguments: { q: 'ai' } }] }, 'research done'],
    { tools: [search] },
  );
  const writer = scriptedAgent('Writer', ['article done']);
  const research = new Task({ description: 'Research', expectedOutput: 'x', agent: researcher.agent });
  const maybe = new ConditionalTask({
    description: 'Maybe',
    expectedOutput: 'x',
    agent: writer.agent,
    condition: () => false,
  });
  const write = new Task({ description: 'Write', expectedOutput: 'x', agent: writer.agent });
  const crew = new Crew({ agents: [researcher.agent, writer.agent], tasks: [research, maybe, write] });
  return { crew, research, maybe, write, researcher: researcher.agent, writer: writer.agent };
}

describe('crew.stream()', () => {
  it('emits the events of a run with a tool call and a skipped task, in order', async () => {
    const { crew, research, maybe, write, researcher, writer } = toolCrew();

    const events = await collect(crew.stream({}, { runId: 'events-run' }));

    const trace = events
      .filter((e) => e.type !== 'llm.delta')
      .map((e) => {
        const on = 'taskId' in e ? e.taskId : undefined;
        const name =
          on === research.id ? 'research' : on === maybe.id ? 'maybe' : on === write.id ? 'write' : '';
        return name ? `${e.type} ${name}` : e.type;
      });
    expect(trace).toEqual([
      'crew.started',
      'task.started research',
      'llm.request research',
      'llm.response research',
      'agent.step research',
      'tool.called research',
      'agent.step research',
      'tool.result research',
      'agent.step research',
      'llm.request research',
      'llm.response research',
      'agent.step research',
      'task.completed research',
      'task.skipped maybe',
      'task.started write',
      'llm.request write',
      'llm.response write',
      'agent.step write',
      'task.completed write',
      'crew.completed',
    ]);

    const byType = <T extends CrewEvent['type']>(type: T) =>
      events.filter((e): e is Extract<CrewEvent, { type: T }> => e.type === type);
    // The agent's id (agent.id), as every agent event names it — not the actor's systemId `agent:<id>`.
    expect(byType('task.started').map((e) => e.agentId)).toEqual([researcher.id, writer.id]);
    expect(byType('tool.called')[0]).toMatchObject({
      agentId: researcher.id,
      call: { id: 'call-1', name: 'search' },
    });
    expect(byType('tool.result')[0]).toMatchObject({
      result: 'results for ai',
      isError: false,
      cached: false,
    });
    expect(byType('llm.request')[0].toolNames).toEqual(['search']);
    expect(byType('task.skipped')[0].output).toMatchObject({ skipped: true, raw: '' });
    expect(byType('task.completed')[1].output.raw).toBe('article done');
    const completed = byType('crew.completed')[0];
    expect(completed.output).toBeInstanceOf(CrewOutput);
    expect(completed.output.raw).toBe('article done');
  });

  it('gives every event a type and the runId; task events a taskId; agent events an agentId', async () => {
    const { crew } = toolCrew();

    const events = await collect(crew.stream({}, { runId: 'ids-run' }));

    expect(events.length).toBeGreaterThan(10);
    for (const event of events) {
      expect(typeof event.type).toBe('string');
      expect(event.runId).toBe('ids-run');
      if (TASK_EVENTS.has(event.type)) expect(event).toHaveProperty('taskId', expect.any(String));
      if (AGENT_EVENTS.has(event.type)) expect(event).toHaveProperty('agentId', expect.any(String));
    }
  });

  it('names an agent by the same id, agent.id, in every event, so events join by agent', async () => {
    const { crew, research, write, researcher, writer } = toolCrew();

    const events = await collect(crew.stream());

    const agentOf = new Map<string, string>();
    for (const e of events) if (e.type === 'task.started') agentOf.set(e.taskId, e.agentId);
    expect(Object.fromEntries(agentOf)).toEqual({ [research.id]: researcher.id, [write.id]: writer.id });
    const agentEvents = events.filter((e) => AGENT_EVENTS.has(e.type));
    expect(agentEvents.length).toBeGreaterThan(5);
    for (const e of agentEvents) {
      const { agentId, taskId } = e as { agentId: string; taskId?: string };
      expect([researcher.id, writer.id]).toContain(agentId);
      // Joined with task.started on the task: the same agent.
      if (taskId) expect(agentId).toBe(agentOf.get(taskId));
    }
  });

  it('completes right after crew.completed', async () => {
    const { crew } = toolCrew();
    const seen: string[] = [];

    await new Promise<void>((resolve) => {
      crew.stream().subscribe({
        next: (e) => seen.push(e.type),
        complete: () => {
          seen.push('(complete)');
          resolve();
        },
      });
    });

    expect(seen.slice(-2)).toEqual(['crew.completed', '(complete)']);
  });

  it('emits task.failed and crew.failed when the run fails, then completes', async () => {
    const { agent } = scriptedAgent('Worker', [new Error('model down')], { maxRetryLimit: 0 });
    const task = new Task({ name: 'doomed', description: 'Doomed', expectedOutput: 'x', agent });
    const crew = new Crew({ agents: [agent], tasks: [task] });

    const events = await collect(crew.stream());

    expect(events.map((e) => e.type)).toEqual([
      'crew.started',
      'task.started',
      'llm.request',
      'llm.failed',
      'task.failed',
      'crew.failed',
    ]);
    const failed = events.at(-1) as Extract<CrewEvent, { type: 'crew.failed' }>;
    expect(failed.error).toBeInstanceOf(TaskExecutionError);
    expect(failed.error.message).toContain('model down');
    expect((events[4] as Extract<CrewEvent, { type: 'task.failed' }>).taskId).toBe(task.id);
  });

  it('ends every started task: one at work when the run is aborted gets task.failed (cancelled)', async () => {
    const stalled = deferred<string>();
    const { agent, llm } = scriptedAgent('Worker', [() => stalled.promise]);
    const task = new Task({ id: 'slow', description: 'Slow', expectedOutput: 'x', agent });
    const crew = new Crew({ agents: [agent], tasks: [task] });
    const controller = new AbortController();

    const collecting = collect(crew.stream(undefined, { signal: controller.signal }));
    await until(() => llm.calls.length === 1);
    controller.abort();
    const events = await collecting;

    expect(events.map((e) => e.type).slice(-2)).toEqual(['task.failed', 'crew.failed']);
    expect(events.at(-2)).toMatchObject({ taskId: 'slow', cancelled: true });
    expect((events.at(-2) as Extract<CrewEvent, { type: 'task.failed' }>).error).toBeInstanceOf(
      CrewAbortedError,
    );
  });

  it('ends an async task cancelled by its failing sibling with task.failed (cancelled), naming why', async () => {
    const stalled = deferred<string>();
    const failing = scriptedAgent('Failing', [new Error('model down')], { maxRetryLimit: 0 });
    const waiting = scriptedAgent('Waiting', [() => stalled.promise]);
    const crew = new Crew({
      agents: [failing.agent, waiting.agent],
      tasks: [
        new Task({
          id: 'a',
          description: 'A',
          expectedOutput: 'x',
          agent: failing.agent,
          asyncExecution: true,
        }),
        new Task({
          id: 'b',
          description: 'B',
          expectedOutput: 'x',
          agent: waiting.agent,
          asyncExecution: true,
        }),
        new Task({ id: 'c', description: 'C', expectedOutput: 'x', agent: waiting.agent }),
      ],
    });

    const events = await collect(crew.stream());

    const failed = events.filter((e) => e.type === 'task.failed') as Array<
      Extract<CrewEvent, { type: 'task.failed' }>
    >;
    expect(failed.map((e) => [e.taskId, e.cancelled ?? false])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(failed[1].error.message).toMatch(/^Cancelled: the run failed \(Task 'A' failed: model down\)/);
    expect(events.at(-1)?.type).toBe('crew.failed');
  });

  it('emits crew.failed and completes when the kickoff is rejected before the run starts', async () => {
    const { agent, llm } = scriptedAgent('Worker', ['never']);
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Research {topic}', expectedOutput: 'x', agent })],
    });
    const seen: CrewEvent[] = [];

    const error = await new Promise<unknown>((resolve) => {
      crew
        .stream({ other: 'x' })
        .subscribe({ next: (e) => seen.push(e), error: resolve, complete: () => resolve(null) });
    });

    expect(error).toBeNull();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'crew.failed', runId: expect.any(String) });
    expect((seen[0] as Extract<CrewEvent, { type: 'crew.failed' }>).error).toBeInstanceOf(InterpolationError);
    expect(llm.calls).toHaveLength(0);
  });

  it('ends with crew.failed (CrewAbortedError) and makes no model call for an already aborted signal', async () => {
    const { agent, llm } = scriptedAgent('Worker', ['never']);
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Slow', expectedOutput: 'x', agent })],
    });

    const events = await firstValueFrom(
      crew.stream(undefined, { signal: AbortSignal.abort() }).pipe(toArray()),
    );

    expect(events.at(-1)).toMatchObject({ type: 'crew.failed' });
    expect((events.at(-1) as Extract<CrewEvent, { type: 'crew.failed' }>).error).toBeInstanceOf(
      CrewAbortedError,
    );
    expect(llm.calls).toHaveLength(0);
  });

  it('runs nothing for a kickoff whose signal is already aborted, and keeps its reason as the cause', async () => {
    const before: string[] = [];
    const { agent, llm } = scriptedAgent('Worker', ['never']);
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Slow', expectedOutput: 'x', agent })],
      beforeKickoff: [(inputs) => (before.push('ran'), inputs)],
    });
    const shutdown = new Error('server shutting down');
    const error = await crew.kickoff({}, { signal: AbortSignal.abort(shutdown) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrewAbortedError);
    expect((error as CrewAbortedError).cause).toBe(shutdown);
    expect(before).toEqual([]);
    expect(llm.calls).toHaveLength(0);

    // Aborted while running: the reason is kept too.
    const gate = deferred<string>();
    const slow = scriptedAgent('Worker', [() => gate.promise]);
    const running = new Crew({
      agents: [slow.agent],
      tasks: [new Task({ description: 'Slow', expectedOutput: 'x', agent: slow.agent })],
    });
    const controller = new AbortController();
    const run = running.kickoff({}, { signal: controller.signal });
    await expect.poll(() => slow.llm.calls.length).toBe(1);
    controller.abort(shutdown);
    await expect(run).rejects.toMatchObject({ code: 'aborted', cause: shutdown });
  });

  it('ends every llm.request with llm.response or llm.failed, and gives subscribers a copy of the messages', async () => {
    const { agent } = scriptedAgent('Worker', [new Error('model down'), 'second try'], { maxRetryLimit: 1 });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Work', expectedOutput: 'x', agent })],
    });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({
        next: (event) => {
          events.push(event);
          // A subscriber that edits what it was given changes nothing in the run.
          if (event.type === 'llm.request') event.messages.splice(0);
        },
        complete: resolve,
        error: reject,
      }),
    );
    const llm = events.filter((e) => e.type.startsWith('llm.') && e.type !== 'llm.delta').map((e) => e.type);
    expect(llm).toEqual(['llm.request', 'llm.failed', 'llm.request', 'llm.response']);
    expect(events.find((e) => e.type === 'llm.failed')).toMatchObject({
      error: { message: expect.stringContaining('model down') },
    });
    const output = (events.at(-1) as Extract<CrewEvent, { type: 'crew.completed' }>).output;
    expect(output.raw).toBe('second try');
    expect(output.tasksOutput[0].messages.length).toBeGreaterThanOrEqual(3);
  });

  it('ends a request with llm.failed also when the answer is unusable or the agent ran out of time', async () => {
    const typesOf = async (llm: LLM, options: Partial<AgentOptions> = {}) => {
      const agent = new Agent({
        role: 'Worker',
        goal: 'g',
        backstory: 'b',
        llm,
        maxRetryLimit: 0,
        ...options,
      });
      const crew = new Crew({
        agents: [agent],
        tasks: [new Task({ description: 'Work', expectedOutput: 'x', agent })],
      });
      const events = await collect(crew.stream());
      return events.filter((e) => e.type.startsWith('llm.')).map((e) => e.type);
    };
    const unusable = { model: 'm', call: async () => 'a bare string' } as unknown as LLM;
    expect(await typesOf(unusable)).toEqual(['llm.request', 'llm.failed']);
    const never = { model: 'm', call: () => new Promise(() => {}) } as unknown as LLM;
    expect(await typesOf(never, { maxExecutionTime: 50 })).toEqual(['llm.request', 'llm.failed']);
  });

  it('aborts the run when the subscriber unsubscribes', async () => {
    const gate = deferred<string>();
    const { agent, llm } = scriptedAgent('Worker', [() => gate.promise]);
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Slow', expectedOutput: 'x', agent })],
    });

    const subscription = crew.stream().subscribe();
    await until(() => llm.calls.length === 1);
    subscription.unsubscribe();

    await until(() => llm.calls[0].signal?.aborted === true);
  });
});

describe('KickoffOptions.onEvent', () => {
  const withoutTimes = (events: CrewEvent[]) => events.map((e) => JSON.stringify({ ...e, runId: 'r' }));

  it('gives a kickoff the events stream() emits, in the same order', async () => {
    const streamed = await collect(toolCrew().crew.stream({}, { runId: 'by-stream' }));
    const seen: CrewEvent[] = [];
    const output = await toolCrew().crew.kickoff({}, { runId: 'by-listener', onEvent: (e) => seen.push(e) });

    expect(output.raw).toBe('article done');
    expect(seen.map((e) => e.type)).toEqual(streamed.map((e) => e.type));
    expect(seen.every((e) => e.runId === 'by-listener')).toBe(true);
    expect(withoutTimes(seen.filter((e) => e.type === 'tool.result'))).toEqual(
      withoutTimes(streamed.filter((e) => e.type === 'tool.result')),
    );
  });

  it('gives every run of kickoffForEach its events, and a createActor run its own', async () => {
    const agent = new Agent({ role: 'A', goal: 'g', backstory: 'b', llm: new ScriptedLLM(['x', 'y', 'z']) });
    const task = new Task({ description: 'Item {n}', expectedOutput: 'e', agent });
    const crew = new Crew({ agents: [agent], tasks: [task] });
    const seen: CrewEvent[] = [];
    const outputs = await crew.kickoffForEach([{ n: 1 }, { n: 2 }], { onEvent: (e) => seen.push(e) });

    const started = seen.filter((e) => e.type === 'crew.started').map((e) => e.runId);
    expect(started).toEqual(outputs.map((o) => o.runId));
    expect(seen.filter((e) => e.type === 'crew.completed')).toHaveLength(2);

    const byActor: CrewEvent[] = [];
    const actor = crew.createActor({ n: 3 }, { onEvent: (e) => byActor.push(e) }).start();
    await until(() => actor.getSnapshot().status === 'done');
    const types = byActor.map((e) => e.type);
    expect(types[0]).toBe('crew.started');
    expect(types.at(-1)).toBe('crew.completed');
    expect(types).toEqual(expect.arrayContaining(['task.started', 'task.completed']));

    // A listener of an actor stopped mid-run hears it fail, its task cancelled, as after an abort.
    const hung = new Agent({
      role: 'H',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM(() => new Promise(() => {})),
    });
    const stuck = new Crew({
      agents: [hung],
      tasks: [new Task({ description: 'wait', expectedOutput: 'e', agent: hung })],
    });
    const stopped: CrewEvent[] = [];
    const running = stuck.createActor({}, { onEvent: (e) => stopped.push(e) }).start();
    await until(() => stopped.some((e) => e.type === 'llm.request'));
    running.stop();
    await until(() => stopped.some((e) => e.type === 'crew.failed'));
    expect(
      stopped.filter((e) => e.type === 'task.failed').map((e) => e.type === 'task.failed' && e.cancelled),
    ).toEqual([true]);
  });

  it('hears crew.failed alone for a kickoff, resume or replay refused before its run starts', async () => {
    const agent = new Agent({ role: 'A', goal: 'g', backstory: 'b', llm: new ScriptedLLM([]) });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ id: 'only', description: 'About {topic}', expectedOutput: 'e', agent })],
      checkpoint: new MemoryCheckpointStore(),
    });
    const heard: CrewEvent[] = [];
    const onEvent = (e: CrewEvent) => heard.push(e);
    // A missing input, a run that was never stored, a task the crew does not have.
    await expect(crew.kickoff({ other: 'x' }, { runId: 'mine', onEvent })).rejects.toThrow(/topic/);
    await expect(crew.resume('nothing-stored', { onEvent })).rejects.toMatchObject({ code: 'unknown_run' });
    await expect(crew.replay('no-such-task', { onEvent })).rejects.toMatchObject({ code: 'unknown_task' });
    expect(heard.map((e) => e.type)).toEqual(['crew.failed', 'crew.failed', 'crew.failed']);
    expect(heard.map((e) => e.runId).slice(0, 2)).toEqual(['mine', 'nothing-stored']);
  });

  it('keeps the run going when the listener throws, and reports the error outside the run', async () => {
    const thrown = await withReportedErrors(async (reported) => {
      const output = await toolCrew().crew.kickoff(
        {},
        {
          onEvent: (e) => {
            if (e.type === 'task.completed') throw new Error('listener bug');
          },
        },
      );
      expect(output.raw).toBe('article done');
      await until(() => reported.length === 2);
    });
    expect(thrown.map((e) => (e as Error).message)).toEqual(['listener bug', 'listener bug']);
  });
});
