import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type EventFromLogic, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import {
  agentJobMachine,
  agentMachine,
  hierarchicalCrewMachine,
  managerMachine,
  sequentialCrewMachine,
  taskMachine,
  type AgentSpec,
  type TaskOutcome,
  type TaskSpec,
  type WorkRequest,
} from '../../machines/index.js';
import { outcomeOf, recordedOutcomes } from '../../machines/crew-outcomes.js';
import type { TaskOutputData } from '../../src/outputs.js';
import { emptyUsage } from '../../src/usage.js';

// The charts are traversed without the runtime: invoked and spawned children are created but never
// started, so the tests answer for them with the events XState would send (`xstate.done.actor.<id>`).

const usage = emptyUsage();
const worker: AgentSpec = { id: 'worker', role: 'Worker', maxIter: 1, maxRetryLimit: 1 };

function spec(id: string, options: Partial<TaskSpec> = {}): TaskSpec {
  return {
    id,
    name: id,
    description: `Do ${id}`,
    expectedOutput: 'x',
    executor: 'agent:worker',
    agent: worker,
    async: false,
    conditional: false,
    context: null,
    humanInput: false,
    guardrails: 0,
    guardrailMaxRetries: 3,
    structured: false,
    awaitsCompletion: true,
    ...options,
  };
}

function outputData(taskId: string, raw = `${taskId} output`): TaskOutputData {
  return {
    taskId,
    name: taskId,
    description: `Do ${taskId}`,
    expectedOutput: 'x',
    raw,
    agent: 'Worker',
    outputFormat: 'raw',
    messages: [],
    skipped: false,
  };
}

/** The top-level state of a snapshot value: `'done'`, or `'running'` for `{ running: 'working' }`. */
function topLevel(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0];
}

const typesOf = (steps: Array<{ event: { type: string } }>) => steps.map((s) => s.event.type);

describe('taskMachine', () => {
  type TaskEvent = EventFromLogic<typeof taskMachine>;
  type TaskSnapshot = SnapshotFrom<typeof taskMachine>;
  const synthetic = (event: { type: string } & Record<string, unknown>) => event as unknown as TaskEvent;
  /** What the loop's model call gives: a final answer (no tool calls). */
  const modelAnswer = (content: string) => ({
    assistant: { role: 'assistant', content },
    content,
    toolCalls: [] as unknown[],
    usage,
    protocol: 'native',
  });
  /** The done event of the one actor the task has invoked now. */
  const childDone = (snapshot: TaskSnapshot, output: unknown) => {
    const id = Object.keys(snapshot.children)[0];
    return synthetic({ type: `xstate.done.actor.${id}`, output, actorId: id });
  };
  const input = {
    runId: 'graph',
    spec: spec('t', { guardrails: 1, guardrailMaxRetries: 1, humanInput: true }),
  };

  function taskEvents(snapshot: TaskSnapshot): TaskEvent[] {
    const { context } = snapshot;
    const events: TaskEvent[] = [
      { type: 'task.start', contextText: null },
      { type: 'task.skip', output: { ...outputData('t', ''), skipped: true } },
      { type: 'human.feedback', taskId: 'other-task', feedback: 'not for me' },
    ];
    const invoked = Object.keys(snapshot.children)[0];
    if (!invoked) return events;
    const done = (output: unknown) =>
      synthetic({ type: `xstate.done.actor.${invoked}`, output, actorId: invoked });
    const failed = synthetic({
      type: `xstate.error.actor.${invoked}`,
      error: new Error('boom'),
      actorId: invoked,
    });
    if (snapshot.matches({ running: 'validating' })) {
      events.push(done({ ok: true, output: outputData('t', 'checked'), usage }));
      events.push(done({ ok: false, error: 'too short', rejected: 'draft', usage }));
    } else if (context.loop) {
      // The agent's loop (in the task's own states) waits for its model call: an answer, or an error
      // (retried once: the worker's maxRetryLimit is 1).
      events.push(done(modelAnswer('draft')));
    } else if (snapshot.matches('human-input')) {
      events.push(done(''), { type: 'human.feedback', taskId: 't', feedback: '  ' });
      // One round of revision is enough to see the loop, and keeps the graph finite.
      if (context.humanRound < 1) {
        events.push(done('more detail'), { type: 'human.feedback', taskId: 't', feedback: 'again' });
      }
    } else {
      events.push(done(outputData('t', 'final')));
    }
    events.push(failed);
    return events;
  }

  const paths = getShortestPaths(taskMachine, {
    input,
    events: taskEvents,
    serializeState: (s) =>
      JSON.stringify({
        value: s.value,
        retries: s.context.guardrailRetries,
        round: s.context.humanRound,
        error: s.context.error?.name,
        attempts: s.context.loop?.attempts,
      }),
    limit: 1000,
  });

  it('has exactly the seven top-level states, three of them final', () => {
    const states = taskMachine.root.states;
    expect(Object.keys(states).sort()).toEqual(
      ['pending', 'running', 'guardrail-retry', 'human-input', 'done', 'skipped', 'failed'].sort(),
    );
    const finals = Object.entries(states)
      .filter(([, node]) => node.type === 'final')
      .map(([key]) => key);
    expect(finals.sort()).toEqual(['done', 'failed', 'skipped']);
  });

  it('reaches every top-level state from pending', () => {
    expect(new Set(paths.map((p) => topLevel(p.state.value)))).toEqual(
      new Set(['pending', 'running', 'guardrail-retry', 'human-input', 'done', 'skipped', 'failed']),
    );
  });

  it('is skipped by task.skip straight from pending, with a skipped outcome', () => {
    const skipped = paths.find((p) => p.state.value === 'skipped')!;
    expect(typesOf(skipped.steps)).toEqual(['xstate.init', 'task.skip']);
    expect(skipped.state.output).toMatchObject({ status: 'skipped', taskId: 't' });
  });

  it('is done after the answer passes its guardrail, the person accepts it and its callbacks ran', () => {
    const done = paths.find((p) => p.state.value === 'done')!;
    expect(done.steps.map((s) => topLevel(s.state.value))).toEqual([
      'pending',
      'running',
      'running',
      'human-input',
      'running',
      'done',
    ]);
    expect(done.state.output).toMatchObject({ status: 'done', output: { raw: 'final' } });
  });

  it('fails once the guardrail budget is spent, and not before', () => {
    const exhausted = paths.find(
      (p) => p.state.value === 'failed' && p.state.context.error?.name === 'GuardrailError',
    )!;
    expect(exhausted.steps.map((s) => topLevel(s.state.value))).toEqual([
      'pending',
      'running',
      'running',
      'guardrail-retry',
      'running',
      'failed',
    ]);
    expect(exhausted.state.output).toMatchObject({
      status: 'failed',
      error: { name: 'GuardrailError', message: expect.stringContaining('too short') },
    });
  });

  it('goes back to running with human feedback, and ignores feedback for another task', () => {
    const revised = paths.find(
      (p) => p.state.context.humanRound === 1 && p.state.matches({ running: 'working' }),
    );
    expect(revised).toBeDefined();
    const waiting = paths.find((p) => p.state.matches('human-input'))!.state;
    const [after] = transition(taskMachine, waiting, {
      type: 'human.feedback',
      taskId: 'other',
      feedback: 'x',
    });
    expect(after.value).toBe('human-input');
  });

  it("runs the agent's loop in its own states, anew for a guardrail retry", () => {
    const working = paths.find((p) => p.state.matches({ running: { working: 'thinking' } }))!;
    expect(Object.values(working.state.children).map((c) => c?.src)).toEqual(['callModel']);
    expect(working.state.context.loop?.request.requestId).toBe('t#0');
    const retrying = paths.find((p) => p.state.matches({ 'guardrail-retry': 'thinking' }))!;
    expect(Object.values(retrying.state.children).map((c) => c?.src)).toEqual(['callModel']);
    expect(retrying.state.context.attempt).toBe(1);
    expect(retrying.state.context.loop?.request.requestId).toBe('t#1');
    expect(retrying.state.context.loop?.messages.at(-1)?.content).toContain('too short');
  });

  it("takes a coworker's reply in the loop's tool round, and ends the round with the last one", () => {
    let [snapshot] = initialTransition(taskMachine, input);
    [snapshot] = transition(taskMachine, snapshot, { type: 'task.start', contextText: null });
    const callTools = { ...modelAnswer(''), toolCalls: [{ id: 'c1', name: 'delegate_work', arguments: {} }] };
    [snapshot] = transition(taskMachine, snapshot, childDone(snapshot, callTools));
    expect(snapshot.value).toEqual({ running: { working: { acting: 'tools' } } });
    const dispatch = { callId: 'c1', kind: 'delegate_work', to: 'agent:w', request: 'r', context: 'c' };
    const round = { results: {}, dispatches: [dispatch], usageCounts: {} };
    [snapshot] = transition(taskMachine, snapshot, childDone(snapshot, round));
    expect(snapshot.value).toEqual({ running: { working: { acting: { delegating: 'waiting' } } } });
    expect(snapshot.context.loop?.awaiting).toEqual({ 't#0/c1': 'c1' });

    const stranger = synthetic({
      type: 'delegation.reply',
      requestId: 'x#0/c1',
      from: 'w',
      answer: '?',
      usage,
    });
    expect(transition(taskMachine, snapshot, stranger)[0].context.loop?.awaiting).toEqual({ 't#0/c1': 'c1' });
    const reply = synthetic({ type: 'delegation.reply', requestId: 't#0/c1', from: 'w', answer: 'a', usage });
    [snapshot] = transition(taskMachine, snapshot, reply);
    // maxIter is 1: the round spent it, so the agent is made to answer.
    expect(snapshot.value).toEqual({ running: { working: 'forcing' } });
    expect(snapshot.context.loop?.messages.at(-2)).toEqual({ role: 'tool', toolCallId: 'c1', content: 'a' });
  });

  it('finishes in the step that accepts its output when nothing waits for it (no callback, no file)', () => {
    const plain = { runId: 'graph', spec: spec('t', { awaitsCompletion: false }) };
    let [snapshot] = initialTransition(taskMachine, plain);
    [snapshot] = transition(taskMachine, snapshot, { type: 'task.start', contextText: null });
    const [done] = transition(taskMachine, snapshot, childDone(snapshot, modelAnswer('final')));
    expect(done.value).toBe('done');
    expect(done.children).toEqual({});
    expect(done.output).toMatchObject({ status: 'done', output: { raw: 'final' } });
  });
});

describe('the crew machines', () => {
  type CrewEvent = EventFromLogic<typeof sequentialCrewMachine>;
  type CrewSnapshot = SnapshotFrom<typeof sequentialCrewMachine>;
  const synthetic = (event: { type: string } & Record<string, unknown>) => event as unknown as CrewEvent;
  const tasks = [spec('t1'), spec('t2', { conditional: true }), spec('t3', { async: true }), spec('t4')];

  function outcome(taskId: string, status: TaskOutcome['status']): TaskOutcome {
    return status === 'failed'
      ? { status, taskId, error: { name: 'Error', message: `${taskId} broke` }, usage }
      : { status, taskId, output: outputData(taskId), usage };
  }

  function crewEvents(snapshot: CrewSnapshot): CrewEvent[] {
    const { context } = snapshot;
    const started = [...context.pendingAsync];
    if (snapshot.matches({ running: 'runningTask' })) started.push(context.tasks[context.index].id);
    const events: CrewEvent[] = [];
    for (const id of started.filter((taskId) => !outcomeOf(context, taskId))) {
      const statuses: Array<TaskOutcome['status']> = ['done', 'failed'];
      if (tasks.find((t) => t.id === id)?.conditional) statuses.push('skipped');
      for (const status of statuses) {
        events.push(
          synthetic({
            type: `xstate.done.actor.task:${id}`,
            actorId: `task:${id}`,
            output: outcome(id, status),
          }),
        );
      }
    }
    for (const id of Object.keys(snapshot.children).filter((c) => !/^(task:|agent:|manager$)/.test(c))) {
      const output = id === 'evaluateCondition' ? [true, false] : [{ raw: 'crew output' }];
      for (const value of output)
        events.push(synthetic({ type: `xstate.done.actor.${id}`, actorId: id, output: value }));
      events.push(synthetic({ type: `xstate.error.actor.${id}`, actorId: id, error: new Error('boom') }));
    }
    return events;
  }

  for (const [machine, process] of [
    [sequentialCrewMachine, 'sequential'],
    [hierarchicalCrewMachine, 'hierarchical'],
  ] as const) {
    describe(`crew.${process}`, () => {
      const input = {
        runId: 'graph',
        tasks,
        agents: [worker],
        ...(process === 'hierarchical' ? { manager: { ...worker, id: 'boss', role: 'Crew Manager' } } : {}),
      };
      const paths = getShortestPaths(machine, { input, events: crewEvents, limit: 2000 });
      const states = paths.map((p) => p.state);

      it(`has the id crew.${process} and spawns every task and agent actor`, () => {
        expect(machine.id).toBe(`crew.${process}`);
        const [initial] = initialTransition(machine, input);
        const expected = ['task:t1', 'task:t2', 'task:t3', 'task:t4', 'agent:worker'];
        if (process === 'hierarchical') expected.push('manager');
        expect(Object.keys(initial.children).sort()).toEqual(expected.sort());
      });

      it('reaches every state a run goes through', () => {
        const reached = new Set(
          states.map((s) =>
            typeof s.value === 'string' ? s.value : `running.${String(Object.values(s.value)[0])}`,
          ),
        );
        expect(reached).toEqual(
          new Set([
            'running.runningTask',
            'running.evaluatingCondition',
            'running.joiningBeforeTask',
            'completing',
            'done',
            'failed',
          ]),
        );
      });

      it('completes once every task has an outcome, in the shortest run', () => {
        const done = paths.find((p) => p.state.status === 'done')!;
        expect(typesOf(done.steps)).toEqual([
          'xstate.init',
          'xstate.done.actor.task:t1',
          'xstate.done.actor.evaluateCondition',
          'xstate.done.actor.task:t2',
          'xstate.done.actor.task:t3',
          'xstate.done.actor.task:t4',
          'xstate.done.actor.completeRun',
        ]);
        expect(Object.keys(recordedOutcomes(done.state.context)).sort()).toEqual(['t1', 't2', 't3', 't4']);
      });

      it('is done in the step that joins its last task when no afterKickoff callback waits', () => {
        const atOnce = getShortestPaths(machine, {
          input: { ...input, awaitsCompletion: false },
          events: crewEvents,
          limit: 2000,
        }).find((p) => p.state.status === 'done')!;
        expect(typesOf(atOnce.steps).at(-1)).toBe('xstate.done.actor.task:t4');
        expect(atOnce.steps.some((step) => step.state.matches('completing'))).toBe(false);
      });

      it('never starts the sync task after an async one before the async one has an outcome', () => {
        for (const state of states) {
          if (state.matches({ running: 'runningTask' }) && state.context.index === 3) {
            expect(outcomeOf(state.context, 't3')).toBeDefined();
          }
        }
        expect(
          states.some((s) => s.matches({ running: 'joiningBeforeTask' }) && !outcomeOf(s.context, 't3')),
        ).toBe(true);
      });

      it('fails when a task fails, also an async one at its join', () => {
        const failures = paths.filter((p) => p.state.value === 'failed');
        const failedTasks = failures.map((p) => p.state.context.failure?.taskId).filter(Boolean);
        expect(new Set(failedTasks)).toEqual(new Set(['t1', 't2', 't3', 't4']));
      });
    });
  }
});

describe('agentMachine and managerMachine', () => {
  for (const [machine, systemId] of [
    [agentMachine, 'agent:worker'],
    [managerMachine, 'manager'],
  ] as const) {
    it(`${machine.id}: runs each coworker's request in a job child named by its request id, and stops it when done`, () => {
      type AgentEvent = EventFromLogic<typeof machine>;
      const request: AgentEvent = {
        type: 'delegate_work',
        requestId: 'r1',
        replyTo: 'agent:boss',
        askingTask: 'task:t',
        request: 'Find the numbers',
        context: 'For the report',
        chain: ['agent:boss', systemId],
      };
      const jobDone = {
        type: 'xstate.done.actor.r1',
        actorId: 'r1',
        output: {
          ok: true,
          replyTo: 'agent:boss',
          result: {
            requestId: 'r1',
            kind: 'delegate_work',
            askingTask: 'task:t',
            agentRole: 'Worker',
            answer: 'a',
            messages: [],
            usage,
          },
        },
      } as unknown as AgentEvent;
      const paths = getShortestPaths(machine, {
        input: { runId: 'graph', spec: worker, systemId },
        events: (snapshot) => [...(snapshot.children.r1 ? [jobDone] : [request])],
        serializeState: (s) =>
          JSON.stringify({ value: s.value, active: s.context.active, children: Object.keys(s.children) }),
        limit: 100,
      });

      const working = paths.find((p) => p.state.context.active === 1)!;
      expect(Object.keys(working.state.children)).toEqual(['r1']);
      expect(typesOf(working.steps)).toEqual(['xstate.init', 'delegate_work']);
      // The job's end brings the agent back to the same state it started in (so the traversal meets it again).
      const [finished] = transition(machine, working.state, jobDone);
      expect(finished.context.active).toBe(0);
      expect(Object.keys(finished.children)).toEqual([]);
      expect(paths).toHaveLength(2);
    });
  }
});

describe('agentJobMachine', () => {
  type JobEvent = EventFromLogic<typeof agentJobMachine>;
  type JobSnapshot = SnapshotFrom<typeof agentJobMachine>;
  const synthetic = (event: { type: string } & Record<string, unknown>) => event as unknown as JobEvent;
  const request: WorkRequest = {
    requestId: 't#0',
    kind: 'task',
    replyTo: 'task:t',
    taskId: 't',
    context: null,
    conversation: [],
    structured: true,
    chain: ['agent:worker'],
  };
  const call = { id: 'c1', name: 'search', arguments: '{}' };
  const turn = (toolCalls: (typeof call)[], content: string | null) => ({
    assistant: { role: 'assistant', content, ...(toolCalls.length ? { toolCalls } : {}) },
    content,
    toolCalls,
    usage,
    protocol: 'native',
  });

  const jobEvents =
    (delegations: boolean) =>
    (snapshot: JobSnapshot): JobEvent[] => {
      const events: JobEvent[] = [];
      for (const requestId of Object.keys(snapshot.context.awaiting)) {
        events.push(
          synthetic({ type: 'delegation.reply', requestId, from: 'Coworker', answer: 'done', usage }),
        );
      }
      const invoked = Object.keys(snapshot.children)[0];
      if (!invoked) return events;
      const done = (output: unknown) =>
        synthetic({ type: `xstate.done.actor.${invoked}`, actorId: invoked, output });
      if (invoked === 'runTools') {
        const round = { results: { c1: 'result' }, dispatches: [], usageCounts: {} };
        events.push(done(round));
        if (delegations)
          events.push(
            done({
              ...round,
              results: {},
              dispatches: [
                { callId: 'c1', kind: 'delegate_work', to: 'agent:b', request: 'r', context: 'c' },
              ],
            }),
          );
      } else if (invoked === 'checkAnswer') {
        events.push(
          done({ ok: true, parsed: { a: 1 }, json: { a: 1 } }),
          done({ ok: false, error: 'not JSON' }),
        );
      } else {
        events.push(done(turn([call], null)), done(turn([], '{"a":1}')));
      }
      events.push(
        synthetic({
          type: `xstate.error.actor.${invoked}`,
          actorId: invoked,
          error: new Error('model down'),
        }),
      );
      return events;
    };

  const traverse = (delegations: boolean, agent: AgentSpec = worker) =>
    getShortestPaths(agentJobMachine, {
      input: { runId: 'graph', agent, owner: 'agent:worker', request },
      events: jobEvents(delegations),
      serializeState: (s) =>
        JSON.stringify({
          value: s.value,
          status: s.status,
          iterations: s.context.iterations,
          attempts: s.context.attempts,
          parses: s.context.parseAttempts,
          awaiting: Object.keys(s.context.awaiting).length,
        }),
      limit: 2000,
    });
  const paths = traverse(false);

  it('reaches thinking, acting, forcing, checking, done and failed', () => {
    expect(new Set(paths.map((p) => topLevel(p.state.value)))).toEqual(
      new Set(['thinking', 'acting', 'forcing', 'checking', 'done', 'failed']),
    );
  });

  it('forces a final answer once maxIter tool rounds are spent', () => {
    const forcing = paths.find((p) => p.state.matches('forcing'))!;
    expect(forcing.state.context.iterations).toBe(worker.maxIter);
    expect(forcing.state.context.messages.at(-1)).toMatchObject({ role: 'user' });
  });

  it('waits in acting.delegating until every delegation has replied', () => {
    const delegating = traverse(true).find((p) => p.state.matches({ acting: 'delegating' }))!;
    expect(Object.keys(delegating.state.context.awaiting)).toEqual(['t#0/c1']);
    expect(delegating.state.matches({ acting: { delegating: 'waiting' } })).toBe(true);
    expect(Object.keys(delegating.state.children)).toEqual([]);
  });

  it('with a maxExecutionTime, waits for replies under a timer whose expiry fails the job', () => {
    const timed = traverse(true, { ...worker, maxExecutionTime: 1000 });
    const waiting = timed.find((p) => p.state.matches({ acting: { delegating: 'untilDeadline' } }))!;
    const [timer] = Object.keys(waiting.state.children);
    expect(timer).toBeDefined();
    const expired = transition(agentJobMachine, waiting.state, {
      type: `xstate.error.actor.${timer}`,
      actorId: timer,
      error: Object.assign(new Error('too slow'), {
        name: 'ExecutionTimeoutError',
        code: 'execution_timeout',
      }),
    } as unknown as JobEvent)[0];
    expect(expired.value).toBe('failed');
    expect(expired.output).toMatchObject({ ok: false, error: { code: 'execution_timeout' } });
    // Without delegations the timer is never entered.
    expect(
      traverse(false, { ...worker, maxExecutionTime: 1000 }).some((p) =>
        p.state.matches({ acting: { delegating: 'untilDeadline' } }),
      ),
    ).toBe(false);
  });

  it('fails after maxRetryLimit re-runs, and with unparseable structured output', () => {
    const failed = paths.filter((p) => p.state.value === 'failed').map((p) => p.state.output);
    expect(failed).toContainEqual(
      expect.objectContaining({ ok: false, error: expect.objectContaining({ message: 'model down' }) }),
    );
    expect(failed.every((o) => o?.ok === false)).toBe(true);
    const done = paths.find((p) => p.state.value === 'done')!;
    expect(done.state.output).toMatchObject({ ok: true, result: { answer: '{"a":1}', parsed: { a: 1 } } });
  });
});

describe("every exported chart with xstate/graph's default options", () => {
  // A user walks a chart as XState documents it: bare `{ type }` events, no payloads, no runtime.
  const crewInput = {
    runId: 'r',
    tasks: [spec('a'), spec('b', { guardrails: 1, humanInput: true })],
    agents: [worker],
    awaitsCompletion: false,
  };
  const agentInput = { runId: 'r', spec: worker, systemId: 'agent:worker' };
  const charts: Array<[string, Parameters<typeof getShortestPaths>[0], unknown]> = [
    ['taskMachine', taskMachine, { runId: 'r', spec: spec('t', { guardrails: 1, humanInput: true }) }],
    ['sequentialCrewMachine', sequentialCrewMachine, crewInput],
    ['hierarchicalCrewMachine', hierarchicalCrewMachine, { ...crewInput, manager: worker }],
    ['agentMachine', agentMachine, agentInput],
    ['managerMachine', managerMachine, { ...agentInput, systemId: 'manager' }],
  ];

  it.each(charts)('walks %s with getShortestPaths and getSimplePaths', (_name, chart, input) => {
    const shortest = getShortestPaths(chart, { input, limit: 5_000 });
    const simple = getSimplePaths(chart, { input, limit: 5_000 });
    expect(shortest.length).toBeGreaterThan(0);
    expect(simple.length).toBeGreaterThanOrEqual(shortest.length);
  });

  it("reaches the task chart's top-level states from bare events (a bare verdict passes: no guardrail-retry)", () => {
    const input = { runId: 'r', spec: spec('t', { guardrails: 1, humanInput: true }) };
    const reached = new Set(getShortestPaths(taskMachine, { input }).map((p) => topLevel(p.state.value)));
    expect(reached).toEqual(new Set(['pending', 'running', 'human-input', 'done', 'skipped', 'failed']));
  });
});
