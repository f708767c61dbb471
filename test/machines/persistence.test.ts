import { afterEach, describe, expect, it } from 'vitest';
import { createActor, toPromise, type Snapshot } from 'xstate';
import {
  Agent,
  Crew,
  CrewOutput,
  MemoryCheckpointStore,
  Process,
  Task,
  TaskExecutionError,
} from '../../src/index.js';
import type { CrewContext } from '../../machines/crew-chart.js';
import { recordedOutcomes } from '../../machines/crew-outcomes.js';
import { unregisterRun } from '../../src/runtime/run-env.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';
import { deferred, taskPrompt, until } from '../helpers/crew-fixtures.js';

/** The same crew definition every time it is built (as in another process), with the given models. */
function buildCrew(research: ScriptedReply[], writing: ScriptedReply[]) {
  const researchLlm = new ScriptedLLM(research, { model: 'research' });
  const writingLlm = new ScriptedLLM(writing, { model: 'writing' });
  const researcher = new Agent({
    role: 'Researcher',
    goal: 'Find {topic}',
    backstory: 'b',
    llm: researchLlm,
  });
  const writer = new Agent({ role: 'Writer', goal: 'Write', backstory: 'b', llm: writingLlm });
  const tasks = [
    new Task({ description: 'Research {topic}', expectedOutput: 'facts', agent: researcher }),
    new Task({ description: 'Draft about {topic}', expectedOutput: 'draft', agent: writer }),
    new Task({ description: 'Polish the draft', expectedOutput: 'article', agent: writer }),
  ];
  const crew = new Crew({ agents: [researcher, writer], tasks });
  return { crew, tasks, researcher, writer, researchLlm, writingLlm };
}

interface PersistedChild {
  src: string;
  systemId?: string;
  snapshot: {
    value?: unknown;
    status: string;
    context?: { loop?: unknown };
    children?: Record<string, PersistedChild>;
    input?: unknown;
  };
}
interface PersistedCrew {
  value: unknown;
  status: string;
  context: CrewContext;
  children: Record<string, PersistedChild>;
}

const runIds: string[] = [];
afterEach(() => {
  for (const runId of runIds.splice(0)) unregisterRun(runId);
});

describe('actors of a running crew', () => {
  it('registers every task as task:<id>, every agent as agent:<id>, and the manager as manager', async () => {
    const gate = deferred<string>();
    const { crew, tasks, researcher, writer, researchLlm } = buildCrew([() => gate.promise], ['d', 'p']);
    const actor = crew.createActor({ topic: 'bees' });
    actor.start();
    await until(() => researchLlm.calls.length === 1);

    for (const task of tasks) expect(actor.system.get(`task:${task.id}`)?.id).toBe(`task:${task.id}`);
    for (const agent of [researcher, writer]) expect(actor.system.get(`agent:${agent.id}`)).toBeDefined();
    gate.resolve('facts');
    expect((await toPromise(actor)).raw).toBe('p');

    const boss = new ScriptedLLM([() => new Promise<string>(() => {})], { model: 'boss' });
    const hierarchical = new Crew({
      agents: [researcher],
      tasks: [new Task({ description: 'Lead', expectedOutput: 'x' })],
      process: Process.hierarchical,
      managerLlm: boss,
    });
    const managed = hierarchical.createActor();
    managed.start();
    await until(() => boss.calls.length === 1);
    expect(managed.system.get('manager')).toBeDefined();
    expect(managed.system.get(`agent:${researcher.id}`)).toBeDefined();
    managed.stop();
    // Stopping releases the run; unregistering it again after the test is harmless.
    runIds.push(managed.getSnapshot().context.runId);
  });
});

describe('a persisted snapshot taken mid-run', () => {
  it('holds every task actor, survives JSON, and restores to finish the run in a rebuilt crew', async () => {
    const runId = 'persisted-mid-run';
    runIds.push(runId);
    const inputs = { topic: 'bees' };
    const pendingDraft = deferred<string>();
    const first = buildCrew(['facts about bees'], [() => pendingDraft.promise]);
    const actor = first.crew.createActor(inputs, { runId });
    actor.start();
    await until(() => first.writingLlm.calls.length === 1);

    const text = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();
    const saved = JSON.parse(text) as PersistedCrew;
    const [research, draft, polish] = first.tasks;

    expect(saved.status).toBe('active');
    expect(saved.context.runId).toBe(runId);
    expect(Object.keys(recordedOutcomes(saved.context))).toEqual([research.id]);
    const taskChild = (id: string) => saved.children[`task:${id}`];
    expect(Object.keys(saved.children).filter((id) => id.startsWith('task:'))).toHaveLength(3);
    expect(taskChild(research.id)).toMatchObject({
      src: 'task',
      systemId: `task:${research.id}`,
      snapshot: { value: 'done' },
    });
    // The writer's loop runs in the draft task's own states, waiting for its model call.
    expect(taskChild(draft.id).snapshot.value).toEqual({ running: { working: 'thinking' } });
    expect(taskChild(polish.id).snapshot.value).toBe('pending');
    expect(saved.children[`agent:${first.writer.id}`]).toMatchObject({
      src: 'agent',
      systemId: `agent:${first.writer.id}`,
    });
    const modelCall = Object.values(taskChild(draft.id).snapshot.children ?? {})[0] as PersistedChild;
    expect(modelCall).toMatchObject({ src: 'callModel', snapshot: { status: 'active' } });
    expect(taskChild(draft.id).snapshot.context?.loop).toMatchObject({ iterations: 0, attempts: 0 });

    // "Another process": the first run's registration is gone with it, and the crew is rebuilt from
    // the same code (same ids) with fresh models.
    unregisterRun(runId);
    const second = buildCrew([], ['draft about bees', 'polished article']);
    expect(second.tasks.map((t) => t.id)).toEqual(first.tasks.map((t) => t.id));
    // Restored with XState's own createActor, to pin that the persisted snapshot alone is enough
    // (crew.resumeActor is the public way): crew.createActor() with the run's id registers the run's
    // environment and gives the crew input; its own actor is left unstarted.
    const registration = second.crew.createActor(inputs, { runId });
    const restored = createActor(second.crew.machine, {
      snapshot: saved as unknown as Snapshot<unknown>,
      input: registration.options.input!,
    });
    restored.start();
    const output = await toPromise(restored);

    expect(output).toBeInstanceOf(CrewOutput);
    expect(output.runId).toBe(runId);
    expect(output.tasksOutput.map((t) => t.raw)).toEqual([
      'facts about bees',
      'draft about bees',
      'polished article',
    ]);
    expect(second.researchLlm.calls).toHaveLength(0);
    // The model call in flight was made again, from its persisted input.
    expect(taskPrompt(second.writingLlm.calls[0])).toBe(taskPrompt(first.writingLlm.calls[0]));
    expect(taskPrompt(second.writingLlm.calls[0])).toContain('facts about bees');
    expect(second.tasks[2].output?.raw).toBe('polished article');
  });
});

describe('a crew persisted after a task failed', () => {
  it('throws the run error again when restored, instead of waiting forever', async () => {
    const runId = 'persisted-failure';
    runIds.push(runId);
    const agent = new Agent({
      role: 'Worker',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM([new Error('model down')]),
      maxRetryLimit: 0,
    });
    const task = new Task({ name: 'doomed', description: 'Doomed', expectedOutput: 'x', agent });
    const crew = new Crew({ agents: [agent], tasks: [task] });
    const actor = crew.createActor({}, { runId });
    let saved: string | undefined;
    actor.subscribe({
      next: (snapshot) => {
        if (snapshot.value === 'failed') saved ??= JSON.stringify(actor.getPersistedSnapshot());
      },
      error: () => {},
    });
    actor.start();
    await expect(toPromise(actor)).rejects.toThrow('model down');
    expect(saved).toBeDefined();

    const registration = crew.createActor({}, { runId });
    const restored = createActor(crew.machine, {
      snapshot: JSON.parse(saved!) as Snapshot<unknown>,
      input: registration.options.input!,
    });
    restored.start();
    const error = await toPromise(restored).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as Error).message).toContain('doomed');
  });

  it('crew.resume() runs the failed task again from the last checkpoint before the failure', async () => {
    const store = new MemoryCheckpointStore();
    const build = (llm: ScriptedLLM) => {
      const agent = new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm, maxRetryLimit: 0 });
      const tasks = [
        new Task({ description: 'First', expectedOutput: 'x', agent }),
        new Task({ description: 'Second', expectedOutput: 'x', agent }),
      ];
      return new Crew({ agents: [agent], tasks, checkpoint: store });
    };
    await expect(
      build(new ScriptedLLM(['one', new Error('model down')])).kickoff({}, { runId: 'resume-after-failure' }),
    ).rejects.toThrow('model down');

    const retry = new ScriptedLLM(['two']);
    const output = await build(retry).resume('resume-after-failure');

    expect(output.tasksOutput.map((t) => t.raw)).toEqual(['one', 'two']);
    expect(retry.calls).toHaveLength(1);
  });
});
