import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, ConditionalTask, Crew, Task, tool, type CrewEvent } from '../../src/index.js';
import type { LLMRequest } from '../../src/llm/types.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';

const lookup = tool({
  name: 'lookup',
  description: 'Look a fact up',
  schema: z.object({ topic: z.string() }),
  execute: ({ topic }) => `fact about ${topic}`,
});

function team(manager: ScriptedReply[], researcher: ScriptedReply[] = [], writer: ScriptedReply[] = []) {
  const managerLlm = new ScriptedLLM(manager, { model: 'manager-model' });
  const researcherLlm = new ScriptedLLM(researcher, { model: 'researcher-model' });
  const writerLlm = new ScriptedLLM(writer, { model: 'writer-model' });
  const researcherAgent = new Agent({
    id: 'researcher',
    role: 'Researcher',
    goal: 'Find facts',
    backstory: 'Curious.',
    tools: [lookup],
    llm: researcherLlm,
  });
  const writerAgent = new Agent({
    id: 'writer',
    role: 'Senior Writer',
    goal: 'Write well',
    backstory: 'Clear.',
    llm: writerLlm,
  });
  return { managerLlm, researcherLlm, writerLlm, researcherAgent, writerAgent };
}

const delegate = (coworker: string, task = 'do it', context = 'all you need') => ({
  name: 'delegate_work',
  arguments: { task, context, coworker },
});
const ask = (coworker: string, question = 'why?', context = 'ctx') => ({
  name: 'ask_question',
  arguments: { question, context, coworker },
});
const idOf = (ref: unknown) => (ref as { id?: string } | undefined)?.id;
const toolMessages = (request: LLMRequest) =>
  request.messages.filter((m) => m.role === 'tool').map((m) => m.content);

describe('the hierarchical process', () => {
  it('runs every task through the manager, whose delegations reach the right worker', async () => {
    const t = team(
      [
        { toolCalls: [delegate('Researcher', 'Research octopus brains')] },
        { toolCalls: [ask('Senior Writer', 'Which tone?')] },
        'Octopus report',
      ],
      ['Octopuses have nine brains'],
      ['A playful tone'],
    );
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Report on octopus brains', expectedOutput: 'a report' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('Octopus report');
    expect(output.tasksOutput[0].agent).toBe('Crew Manager');
    expect(t.researcherLlm.calls[0].messages[1].content).toContain('Research octopus brains');
    expect(t.researcherLlm.calls[0].messages[1].content).toContain('all you need');
    expect(t.writerLlm.calls[0].messages[1].content).toContain('Which tone?');
    expect(toolMessages(t.managerLlm.calls[1])).toEqual(['Octopuses have nine brains']);
    expect(toolMessages(t.managerLlm.calls[2])).toEqual(['Octopuses have nine brains', 'A playful tone']);
  });

  it('refuses a delegation repeated as it was just sent, as any tool repeat (crewAI checks every tool)', async () => {
    const same = delegate('Researcher', 'same work', 'same context');
    const t = team(
      [
        { toolCalls: [same] },
        { toolCalls: [same] },
        { toolCalls: [delegate('Researcher', 'other work')] },
        'done',
      ],
      ['first answer', 'second answer'],
    );
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Report', expectedOutput: 'a report' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    await crew.kickoff();

    // The researcher worked twice: the first call and the different one; the repeat ran nothing.
    expect(t.researcherLlm.calls).toHaveLength(2);
    expect(toolMessages(t.managerLlm.calls[2]).at(-1)).toContain('I tried reusing the same input');
    expect(toolMessages(t.managerLlm.calls[3]).at(-1)).toBe('second answer');
  });

  it('keeps both answers when a provider gives two calls of one response the same id', async () => {
    const t = team(
      [
        {
          toolCalls: [
            { id: 'dup', ...delegate('Researcher', 'job one') },
            { id: 'dup', ...delegate('Senior Writer', 'job two') },
          ],
        },
        'done',
      ],
      ['answer to job one'],
      ['answer to job two'],
    );
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Report', expectedOutput: 'a report' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    const output = await crew.kickoff();

    const second = t.managerLlm.calls[1].messages;
    expect(toolMessages(t.managerLlm.calls[1])).toEqual(['answer to job one', 'answer to job two']);
    const ids = second.flatMap((m) => (m.role === 'assistant' ? (m.toolCalls ?? []).map((c) => c.id) : []));
    expect(ids).toEqual(['dup', 'dup~2']);
    expect(second.filter((m) => m.role === 'tool').map((m) => m.role === 'tool' && m.toolCallId)).toEqual(
      ids,
    );
    expect(output.tokenUsage.successfulRequests).toBe(4);
  });

  it('gives the manager only the delegation tools, and the workers their own tools', async () => {
    const t = team(
      [{ toolCalls: [delegate('researcher')] }, 'done'],
      [{ toolCalls: [{ name: 'lookup', arguments: { topic: 'squid' } }] }, 'squid facts'],
    );
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Research squid', expectedOutput: 'facts' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    await crew.kickoff();

    expect(t.managerLlm.calls[0].tools?.map((d) => d.name)).toEqual(['delegate_work', 'ask_question']);
    expect(t.researcherLlm.calls[0].tools?.map((d) => d.name)).toEqual(['lookup']);
    expect(toolMessages(t.researcherLlm.calls[1])).toEqual(['fact about squid']);
  });

  it('offers only the task agent as coworker when the task has one, else every agent', async () => {
    const t = team(['a', 'b']);
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [
        new Task({ description: 'Assigned', expectedOutput: 'x', agent: t.writerAgent }),
        new Task({ description: 'Open', expectedOutput: 'y' }),
      ],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    await crew.kickoff();
    const describes = (call: number) => t.managerLlm.calls[call].tools![0].description;
    expect(describes(0)).toContain('coworkers: Senior Writer\n');
    expect(describes(1)).toContain('coworkers: Researcher, Senior Writer\n');
  });

  it('matches coworker names loosely and answers an unknown coworker with the valid ones', async () => {
    const t = team(
      [
        {
          toolCalls: [
            delegate('  "RESEARCHER"  '),
            ask('"[senior   writer, researcher]"'),
            delegate('Editor'),
          ],
        },
        'done',
      ],
      ['from researcher'],
      ['from writer'],
    );
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    const output = await crew.kickoff();

    const [first, second, third] = toolMessages(t.managerLlm.calls[1]);
    expect([first, second]).toEqual(['from researcher', 'from writer']);
    expect(third).toContain("'Editor' not found");
    expect(third).toContain('- researcher\n- senior writer');
    expect(output.raw).toBe('done');
  });

  it("takes crewAI's co_worker for coworker", async () => {
    const asCrewAI = {
      name: 'delegate_work',
      arguments: { task: 'do it', context: 'c', co_worker: 'Researcher' },
    };
    const t = team([{ toolCalls: [asCrewAI] }, 'done'], ['from researcher'], []);
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    await crew.kickoff();
    expect(toolMessages(t.managerLlm.calls[1])).toEqual(['from researcher']);
  });

  it('runs the delegations of one manager response in parallel on different workers', async () => {
    const started: string[] = [];
    const release: Array<() => void> = [];
    const held = (name: string, answer: string) => () => {
      started.push(name);
      return new Promise<string>((resolve) => release.push(() => resolve(answer)));
    };
    const t = team(
      [{ toolCalls: [delegate('Researcher'), delegate('Senior Writer')] }, 'combined'],
      [held('researcher', 'r')],
      [held('writer', 'w')],
    );
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Two things', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    const running = crew.kickoff();
    await expect.poll(() => started.length).toBe(2);
    expect(started.sort()).toEqual(['researcher', 'writer']);
    release.forEach((go) => go());
    expect((await running).raw).toBe('combined');
  });

  it('sends delegate_work and ask_question as events from the manager actor to the worker actors', async () => {
    const t = team([{ toolCalls: [delegate('Researcher'), ask('Senior Writer')] }, 'done'], ['r'], ['w']);
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ id: 'job', description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    const trace: string[] = [];
    await crew.kickoff(
      {},
      {
        inspect: (e) => {
          if (
            e.type === '@xstate.event' &&
            ['delegate_work', 'ask_question', 'agent.result', 'delegation.reply'].includes(e.event.type)
          ) {
            trace.push(`${idOf(e.sourceRef)} -> ${idOf(e.actorRef)}: ${e.event.type}`);
          }
        },
      },
    );
    // The task runs the manager's loop in its own states; the loop's delegations leave through the
    // manager actor, and each answer comes back through it to the task.
    expect(trace).toContain('manager -> agent:researcher: delegate_work');
    expect(trace).toContain('manager -> agent:writer: ask_question');
    expect(trace).toContain('agent:researcher -> manager: agent.result');
    expect(trace).toContain('agent:writer -> manager: agent.result');
    expect(trace.filter((line) => line === 'manager -> task:job: delegation.reply')).toHaveLength(2);
    expect(trace.at(-1)).toBe('manager -> task:job: delegation.reply');
  });

  it('counts the manager and the workers in the token usage, and streams the delegation', async () => {
    const t = team([{ toolCalls: [delegate('Researcher')] }, 'done'], ['r']);
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: t.managerLlm,
    });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({ next: (e) => events.push(e), complete: resolve, error: reject }),
    );
    const completed = events.find((e) => e.type === 'crew.completed');
    expect(completed?.type === 'crew.completed' && completed.output.tokenUsage).toMatchObject({
      successfulRequests: 3,
      totalTokens: 45,
    });
    const sent = events.find((e) => e.type === 'delegation.sent');
    const replied = events.find((e) => e.type === 'delegation.replied');
    // `to` and `from` are agent ids (agent.id), like every agentId; the coworker's role is `fromRole`.
    expect(sent).toMatchObject({ kind: 'delegate_work', to: 'researcher' });
    expect(replied).toMatchObject({
      kind: 'delegate_work',
      from: 'researcher',
      fromRole: 'Researcher',
      reply: 'r',
    });
  });

  it("names the manager and the workers by their agent ids in every event (the manager's for its tasks)", async () => {
    const managerLlm = new ScriptedLLM(
      [{ toolCalls: [delegate('Researcher'), ask('Senior Writer')] }, 'done'],
      {
        model: 'manager-model',
      },
    );
    const t = team([], ['r'], ['w']);
    const crew = new Crew({
      agents: [t.researcherAgent, t.writerAgent],
      tasks: [new Task({ id: 'job', description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerAgent: new Agent({ id: 'boss', role: 'Boss', goal: 'Lead', backstory: 'b', llm: managerLlm }),
    });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({ next: (e) => events.push(e), complete: resolve, error: reject }),
    );

    const started = events.find((e) => e.type === 'task.started');
    expect(started).toMatchObject({ taskId: 'job', agentId: 'boss' });
    const requests = events.filter((e) => e.type === 'llm.request');
    expect(requests.map((e) => [e.model, e.agentId])).toEqual(
      expect.arrayContaining([
        ['manager-model', 'boss'],
        ['researcher-model', 'researcher'],
        ['writer-model', 'writer'],
      ]),
    );
    const sent = events.filter((e) => e.type === 'delegation.sent');
    expect(sent.map((e) => [e.agentId, e.kind, e.to])).toEqual([
      ['boss', 'delegate_work', 'researcher'],
      ['boss', 'ask_question', 'writer'],
    ]);
    const replied = events.filter((e) => e.type === 'delegation.replied');
    expect(replied.map((e) => [e.agentId, e.from, e.fromRole, e.reply]).sort()).toEqual([
      ['boss', 'researcher', 'Researcher', 'r'],
      ['boss', 'writer', 'Senior Writer', 'w'],
    ]);
    // Every agent field names one of the crew's agents by id.
    const ids = new Set(['boss', 'researcher', 'writer']);
    for (const e of events) {
      for (const field of ['agentId', 'to', 'from'] as const) {
        if (field in e) expect(ids).toContain((e as unknown as Record<string, unknown>)[field]);
      }
    }
  });

  it("ties a worker's delegated work to the asking task: events, steps and its tools' context name it", async () => {
    const seenByTool: Array<string | undefined> = [];
    const probe = tool({
      name: 'lookup',
      description: 'Look a fact up',
      schema: z.object({ topic: z.string() }),
      execute: ({ topic }, { task }) => (seenByTool.push(task), `fact about ${topic}`),
    });
    const steps: Array<string | undefined> = [];
    const worker = new Agent({
      id: 'researcher',
      role: 'Researcher',
      goal: 'Find facts',
      backstory: 'Curious.',
      tools: [probe],
      stepCallback: (step) => void steps.push(step.taskId),
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'lookup', arguments: { topic: 'tea' } }] }, 'found']),
    });
    const crew = new Crew({
      agents: [worker],
      tasks: [new Task({ id: 'job', description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: new ScriptedLLM([{ toolCalls: [delegate('Researcher')] }, 'done']),
    });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({ next: (e) => events.push(e), complete: resolve, error: reject }),
    );

    const workerEvents = events.filter((e) => 'agentId' in e && e.agentId === 'researcher');
    expect(workerEvents.length).toBeGreaterThan(4);
    for (const e of workerEvents) expect((e as { taskId?: string }).taskId).toBe('job');
    expect(seenByTool).toEqual(['job']);
    expect(steps.length).toBeGreaterThan(0);
    expect(new Set(steps)).toEqual(new Set(['job']));
  });

  it("answers the manager's delegation tool call with tool.result, marked as an error when the work failed", async () => {
    const ok = team([{ toolCalls: [delegate('Researcher')] }, 'done'], ['the facts']);
    const failing = new Agent({
      id: 'writer',
      role: 'Senior Writer',
      goal: 'Write',
      backstory: 'b',
      maxRetryLimit: 0,
      llm: new ScriptedLLM([new Error('writer down')]),
    });
    const crew = new Crew({
      agents: [ok.researcherAgent, failing],
      tasks: [new Task({ id: 'job', description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: new ScriptedLLM([{ toolCalls: [delegate('Researcher'), ask('Senior Writer')] }, 'done']),
    });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({ next: (e) => events.push(e), complete: resolve, error: reject }),
    );

    const called = events.filter((e) => e.type === 'tool.called' && e.agentId !== 'researcher');
    const results = events.filter((e) => e.type === 'tool.result' && e.agentId !== 'researcher');
    expect(called.map((e) => e.type === 'tool.called' && e.call.name)).toEqual([
      'delegate_work',
      'ask_question',
    ]);
    const byCall = new Map(results.map((e) => [e.type === 'tool.result' && e.call.id, e]));
    for (const c of called) expect(byCall.has(c.type === 'tool.called' && c.call.id)).toBe(true);
    const [researched, asked] = called.map((c) => byCall.get(c.type === 'tool.called' && c.call.id));
    expect(researched).toMatchObject({ result: 'the facts', isError: false, taskId: 'job' });
    expect(asked).toMatchObject({ isError: true, result: expect.stringContaining('writer down') });
  });

  it("gives the delegating agent's stepCallback the delegation's result, like any tool result", async () => {
    const steps: string[] = [];
    const t = team([], ['the facts']);
    const boss = new Agent({
      id: 'boss',
      role: 'Boss',
      goal: 'Lead',
      backstory: 'b',
      llm: new ScriptedLLM([{ toolCalls: [delegate('Researcher')] }, 'done']),
      stepCallback: (step) =>
        void steps.push(
          step.kind === 'tool_result'
            ? `tool_result:${step.call.name}:${step.result}:${step.isError}`
            : step.kind,
        ),
    });
    const crew = new Crew({
      agents: [t.researcherAgent],
      tasks: [new Task({ id: 'job', description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerAgent: boss,
    });
    await crew.kickoff();
    expect(steps).toEqual(['answer', 'tool_call', 'tool_result:delegate_work:the facts:false', 'answer']);
  });

  it('names the worker in delegation.replied when its work failed', async () => {
    const worker = new Agent({
      id: 'researcher',
      role: 'Researcher',
      goal: 'Find facts',
      backstory: 'Curious.',
      maxRetryLimit: 0,
      llm: new ScriptedLLM([new Error('worker model down')]),
    });
    const crew = new Crew({
      agents: [worker],
      tasks: [new Task({ description: 'Work', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm: new ScriptedLLM([{ toolCalls: [delegate('Researcher')] }, 'done without help']),
    });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({ next: (e) => events.push(e), complete: resolve, error: reject }),
    );

    const replied = events.find((e) => e.type === 'delegation.replied');
    expect(replied).toMatchObject({ kind: 'delegate_work', from: 'researcher', fromRole: 'Researcher' });
    expect(replied?.type === 'delegation.replied' && replied.reply).toContain('worker model down');
    expect(events.at(-1)).toMatchObject({ type: 'crew.completed', output: { raw: 'done without help' } });
  });

  it('can be kicked off twice, at the same time', async () => {
    const managerLlm = new ScriptedLLM([
      (request) => `managed ${String(request.messages[1].content).includes('alpha') ? 'alpha' : 'beta'}`,
      (request) => `managed ${String(request.messages[1].content).includes('alpha') ? 'alpha' : 'beta'}`,
    ]);
    const worker = new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm: new ScriptedLLM([]) });
    const crew = new Crew({
      agents: [worker],
      tasks: [new Task({ description: 'Handle {name}', expectedOutput: 'x' })],
      process: 'hierarchical',
      managerLlm,
    });
    const [a, b] = await Promise.all([crew.kickoff({ name: 'alpha' }), crew.kickoff({ name: 'beta' })]);
    expect([a.raw, b.raw]).toEqual(['managed alpha', 'managed beta']);
  });

  it('uses a given manager agent, and runs async and conditional tasks under it', async () => {
    const managerAgent = new Agent({
      role: 'Boss',
      goal: 'Lead',
      backstory: 'Experienced.',
      llm: new ScriptedLLM(['first', 'second', 'third']),
    });
    const worker = new Agent({ role: 'Worker', goal: 'g', backstory: 'b', llm: new ScriptedLLM([]) });
    const crew = new Crew({
      agents: [worker],
      tasks: [
        new Task({ description: 'A', expectedOutput: 'x', asyncExecution: true }),
        new Task({ description: 'B', expectedOutput: 'x' }),
        new ConditionalTask({
          description: 'C',
          expectedOutput: 'x',
          condition: (previous) => previous.raw === 'nope',
        }),
        new Task({ description: 'D', expectedOutput: 'x' }),
      ],
      process: 'hierarchical',
      managerAgent,
    });
    const output = await crew.kickoff();
    expect(output.tasksOutput.map((o) => [o.raw, o.agent, o.skipped])).toEqual([
      ['first', 'Boss', false],
      ['second', 'Boss', false],
      ['', 'Boss', true],
      ['third', 'Boss', false],
    ]);
  });
});

describe('delegation in a sequential crew', () => {
  it('gives an agent with allowDelegation the two tools, targeting every other agent', async () => {
    const leadLlm = new ScriptedLLM([{ toolCalls: [ask('Helper', 'Any tips?')] }, 'done with help']);
    const helperLlm = new ScriptedLLM(['a tip']);
    const lead = new Agent({
      id: 'lead',
      role: 'Lead',
      goal: 'g',
      backstory: 'b',
      allowDelegation: true,
      llm: leadLlm,
    });
    const helper = new Agent({
      id: 'helper',
      role: 'Helper',
      goal: 'g',
      backstory: 'b',
      allowDelegation: true,
      llm: helperLlm,
    });
    const crew = new Crew({
      agents: [lead, helper],
      tasks: [new Task({ description: 'Lead it', expectedOutput: 'x', agent: lead })],
    });
    const trace: string[] = [];
    const output = await crew.kickoff(
      {},
      {
        inspect: (e) =>
          void (
            e.type === '@xstate.event' &&
            e.event.type === 'ask_question' &&
            trace.push(`${idOf(e.sourceRef)} -> ${idOf(e.actorRef)}`)
          ),
      },
    );

    expect(output.raw).toBe('done with help');
    expect(leadLlm.calls[0].tools?.[0].description).toContain('coworkers: Helper\n');
    expect(toolMessages(leadLlm.calls[1])).toEqual(['a tip']);
    expect(trace).toEqual(['agent:lead -> agent:helper']);
    // The delegated worker never delegates back up its chain: it gets no delegation tools.
    expect(helperLlm.calls[0].tools).toBeUndefined();
  });

  it('streams the delegation between agents by their ids', async () => {
    const lead = new Agent({
      id: 'lead',
      role: 'Lead',
      goal: 'g',
      backstory: 'b',
      allowDelegation: true,
      llm: new ScriptedLLM([{ toolCalls: [ask('Helper', 'Any tips?')] }, 'done with help']),
    });
    const helper = new Agent({
      id: 'helper',
      role: 'Helper',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM(['a tip']),
    });
    const crew = new Crew({
      agents: [lead, helper],
      tasks: [new Task({ id: 'lead-it', description: 'Lead it', expectedOutput: 'x', agent: lead })],
    });
    const events: CrewEvent[] = [];
    await new Promise<void>((resolve, reject) =>
      crew.stream().subscribe({ next: (e) => events.push(e), complete: resolve, error: reject }),
    );

    expect(events.find((e) => e.type === 'task.started')).toMatchObject({
      taskId: 'lead-it',
      agentId: 'lead',
    });
    expect(events.find((e) => e.type === 'delegation.sent')).toMatchObject({
      agentId: 'lead',
      taskId: 'lead-it',
      kind: 'ask_question',
      to: 'helper',
    });
    expect(events.find((e) => e.type === 'delegation.replied')).toMatchObject({
      agentId: 'lead',
      taskId: 'lead-it',
      from: 'helper',
      fromRole: 'Helper',
      reply: 'a tip',
    });
    const helperRequest = events.find((e) => e.type === 'llm.request' && e.agentId === 'helper');
    expect(helperRequest).toBeDefined();
  });

  it('gives no delegation tools when the crew has a single agent', async () => {
    const llm = new ScriptedLLM(['alone']);
    const solo = new Agent({ role: 'Solo', goal: 'g', backstory: 'b', allowDelegation: true, llm });
    await new Crew({
      agents: [solo],
      tasks: [new Task({ description: 'd', expectedOutput: 'e', agent: solo })],
    }).kickoff();
    expect(llm.calls[0].tools).toBeUndefined();
  });
});
