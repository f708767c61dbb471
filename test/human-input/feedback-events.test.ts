import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { Crew, Task, type CrewActor } from '../../src/index.js';
import type { LLMRequest } from '../../src/llm/types.js';
import {
  contents,
  lastMessage,
  oneTaskCrew,
  until,
  withoutTerminal,
  writer,
} from '../helpers/human-fixtures.js';

let restoreTerminal: () => void;
beforeEach(() => (restoreTerminal = withoutTerminal()));
afterEach(() => restoreTerminal());

const running: CrewActor[] = [];
afterEach(() => running.splice(0).forEach((actor) => actor.stop()));

function start(actor: CrewActor): CrewActor {
  running.push(actor);
  actor.start();
  return actor;
}

// A task actor leaves the system once it is done.
const taskOf = (actor: CrewActor, taskId: string) =>
  actor.system.get(`task:${taskId}`) as AnyActorRef | undefined;
const stateOf = (actor: CrewActor, taskId: string) =>
  JSON.stringify((taskOf(actor, taskId)?.getSnapshot() as { value: unknown } | undefined)?.value ?? 'gone');
const waiting = (actor: CrewActor, taskId: string) => stateOf(actor, taskId) === '"human-input"';
const finished = (actor: CrewActor) => actor.getSnapshot().status === 'done';

describe('human input driven by human.feedback events', () => {
  it('runs to the end on feedback sent to crew.createActor(): a revision, then an approval', async () => {
    const { crew, llm } = oneTaskCrew(['Hi', 'Hello'], { humanInput: true });
    const actor = start(crew.createActor());

    await until(() => waiting(actor, 'draft'), 'the task to wait for a person');
    const persisted = actor.getPersistedSnapshot() as unknown as {
      children: Record<string, { snapshot: { value: unknown } }>;
    };
    expect(persisted.children['task:draft'].snapshot.value).toBe('human-input');

    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: 'Say Hello instead' });
    await until(() => llm.calls.length === 2 && waiting(actor, 'draft'), 'the second round');
    expect(contents(llm.calls[1], 'assistant')).toEqual(['Hi']);
    expect(lastMessage(llm.calls[1])).toContain('User feedback: Say Hello instead');

    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: '' });
    await until(() => finished(actor), 'the run to finish');
    expect(actor.getSnapshot().output?.raw).toBe('Hello');
    expect(llm.calls).toHaveLength(2);
  });

  it('ignores feedback for another task', async () => {
    const { crew } = oneTaskCrew(['Hi'], { humanInput: true });
    const actor = start(crew.createActor());
    await until(() => waiting(actor, 'draft'), 'the task to wait for a person');

    actor.send({ type: 'human.feedback', taskId: 'someone-else', feedback: '' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waiting(actor, 'draft')).toBe(true);

    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: '' });
    await until(() => finished(actor), 'the run to finish');
    expect(actor.getSnapshot().output?.raw).toBe('Hi');
  });

  it('answers the waiting task when the feedback names no task', async () => {
    const { crew } = oneTaskCrew(['Hi'], { humanInput: true });
    const actor = start(crew.createActor());
    await until(() => waiting(actor, 'draft'), 'the task to wait for a person');

    actor.send({ type: 'human.feedback', feedback: '   ' });
    await until(() => finished(actor), 'the run to finish');
    expect(actor.getSnapshot().output?.raw).toBe('Hi');
  });

  it('keeps feedback sent before the task waits, and answers the next rounds with it in order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { crew, llm } = oneTaskCrew([async (_: LLMRequest) => (await gate, 'Hi'), 'Hello'], {
      humanInput: true,
    });
    const actor = start(crew.createActor());
    await until(() => llm.calls.length === 1, 'the first model call');

    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: 'Say Hello instead' });
    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: '' });
    release();
    await until(() => finished(actor), 'the run to finish');

    expect(actor.getSnapshot().output?.raw).toBe('Hello');
    expect(lastMessage(llm.calls[1])).toContain('User feedback: Say Hello instead');
  });

  it('drives an async task waiting for a person (the next sync task joins it first)', async () => {
    const a = writer(['A1', 'A2'], 'a');
    const b = writer(['B1'], 'b');
    const crew = new Crew({
      agents: [a.agent, b.agent],
      tasks: [
        new Task({
          id: 'ta',
          description: 'A',
          expectedOutput: 'a',
          agent: a.agent,
          asyncExecution: true,
          humanInput: true,
        }),
        new Task({ id: 'tb', description: 'B', expectedOutput: 'b', agent: b.agent, context: [] }),
      ],
    });
    const actor = start(crew.createActor());

    await until(() => waiting(actor, 'ta'), 'task A to wait for a person');
    expect(stateOf(actor, 'tb')).toBe('"pending"');
    actor.send({ type: 'human.feedback', taskId: 'ta', feedback: 'More A' });
    await until(() => a.llm.calls.length === 2 && waiting(actor, 'ta'), 'the second round of A');
    actor.send({ type: 'human.feedback', taskId: 'ta', feedback: '' });
    await until(() => finished(actor), 'the run to finish');

    expect(actor.getSnapshot().output?.tasksOutput.map((t) => t.raw)).toEqual(['A2', 'B1']);
  });

  // A JS client's typo (`text` for `feedback`) or a non-string must not pass for an empty answer, which
  // approves: like Ctrl+D at the terminal, nothing is taken for an approval by accident.
  it.each([
    ['a `text` field instead of `feedback`', { text: 'Say Hello instead' }],
    ['a number', { feedback: 42 }],
    ['null', { feedback: null }],
  ])('ignores a human.feedback event whose feedback is %s: no approval, no revision', async (_, body) => {
    const { crew, llm } = oneTaskCrew(['Hi', 'Hello'], { humanInput: true });
    const actor = start(crew.createActor());
    await until(() => waiting(actor, 'draft'), 'the task to wait for a person');

    actor.send({ type: 'human.feedback', taskId: 'draft', ...body } as never);
    actor.send({ type: 'human.feedback', ...body } as never);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waiting(actor, 'draft')).toBe(true);
    expect(finished(actor)).toBe(false);
    expect(llm.calls).toHaveLength(1);

    // The task still takes real feedback afterwards.
    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: 'Say Hello instead' });
    await until(() => llm.calls.length === 2 && waiting(actor, 'draft'), 'the second round');
    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: '' });
    await until(() => finished(actor), 'the run to finish');
    expect(actor.getSnapshot().output?.raw).toBe('Hello');
  });

  it('does not queue a human.feedback event without a string feedback sent before the task waits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { crew, llm } = oneTaskCrew([async (_: LLMRequest) => (await gate, 'Hi')], { humanInput: true });
    const actor = start(crew.createActor());
    await until(() => llm.calls.length === 1, 'the first model call');

    actor.send({ type: 'human.feedback', taskId: 'draft', text: 'fine' } as never);
    release();
    await until(() => waiting(actor, 'draft'), 'the task to wait for a person');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waiting(actor, 'draft')).toBe(true);
    const task = taskOf(actor, 'draft')?.getSnapshot() as { context: { pendingFeedback: string[] } };
    expect(task.context.pendingFeedback).toEqual([]);

    actor.send({ type: 'human.feedback', taskId: 'draft', feedback: '' });
    await until(() => finished(actor), 'the run to finish');
    expect(actor.getSnapshot().output?.raw).toBe('Hi');
  });

  it('does not keep feedback without a taskId for a task that is not waiting yet', async () => {
    const { agent } = writer(['one', 'two']);
    const crew = new Crew({
      agents: [agent],
      tasks: [
        new Task({ id: 't1', description: 'One', expectedOutput: 'x', agent, humanInput: true }),
        new Task({ id: 't2', description: 'Two', expectedOutput: 'x', agent, humanInput: true }),
      ],
    });
    const actor = start(crew.createActor());
    await until(() => waiting(actor, 't1'), 'task 1 to wait for a person');

    actor.send({ type: 'human.feedback', feedback: '' });
    await until(() => waiting(actor, 't2') || finished(actor), 'task 2 to wait, or the run to end');
    expect(waiting(actor, 't2')).toBe(true);
  });
});
