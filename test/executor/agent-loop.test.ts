// SPEC §4.1–4.2: the native function-calling loop, driven through `Crew.kickoff()` with a scripted model.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  Crew,
  Task,
  TaskExecutionError,
  tool,
  type AgentStep,
  type LLM,
  type Tool,
} from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import {
  call,
  deferred,
  lastMessage,
  recordingTool,
  rejectionOf,
  soloCrew,
  streamEvents,
  textOf,
  toolContents,
  toolMessages,
  until,
} from '../helpers/loop-fixtures.js';

describe('the native tool loop', () => {
  it('sends the tools as JSON Schema generated from their zod schemas', async () => {
    const forecast = tool({
      name: 'forecast',
      description: 'Weather forecast for a city',
      schema: z.object({
        city: z.string().describe('City name'),
        days: z.number().int().min(1).max(7).optional(),
        units: z.enum(['metric', 'imperial']),
      }),
      execute: () => 'sunny',
    });
    const { crew, llm } = soloCrew({ script: ['done'], agent: { tools: [forecast] } });
    await crew.kickoff();

    expect(llm.calls[0].tools).toEqual([
      {
        name: 'forecast',
        description: 'Weather forecast for a city',
        parameters: expect.objectContaining({
          type: 'object',
          properties: {
            city: { type: 'string', description: 'City name' },
            days: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 7 }),
            units: { type: 'string', enum: ['metric', 'imperial'] },
          },
          required: ['city', 'units'],
        }),
      },
    ]);
    expect(llm.calls[0].tools?.[0].parameters).not.toHaveProperty('$schema');
  });

  it('describes a date argument as an ISO date-time string, which z.coerce.date() turns into a Date', async () => {
    const seen: unknown[] = [];
    const schedule = tool({
      name: 'schedule',
      description: 'Book a slot',
      schema: z.object({ at: z.coerce.date() }),
      execute: ({ at }) => {
        seen.push(at);
        return 'booked';
      },
    });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('schedule', { at: '2030-01-02T03:04:05.000Z' })] }, 'done'],
      agent: { tools: [schedule] },
    });
    await crew.kickoff();

    expect(llm.calls[0].tools?.[0].parameters).toMatchObject({
      properties: { at: { type: 'string', format: 'date-time' } },
    });
    expect(seen).toEqual([new Date('2030-01-02T03:04:05.000Z')]);
  });

  it('refuses a tool whose schema is not a zod schema', () => {
    expect(() =>
      tool({
        name: 'raw',
        description: 'raw JSON Schema by mistake',
        schema: { type: 'object' } as unknown as z.ZodObject,
        execute: () => 'x',
      }),
    ).toThrow(/zod schema/);
  });

  it("makes a crewAI-style name ('Search the internet') into one models accept, as crewAI does", () => {
    const make = (name: string) => tool({ name, description: 'd', schema: z.object({}), execute: () => '' });
    expect(make('Search the internet').name).toBe('search_the_internet');
    expect(make('  Read: a file! ').name).toBe('read_a_file');
    expect(make('Web-Search_2').name).toBe('Web-Search_2');
    for (const hopeless of ['', '!!!', 'x'.repeat(65)])
      expect(() => make(hopeless)).toThrow(/must be 1-64 letters, digits/);
  });

  it('refuses a tool without an execute function', () => {
    const options = { name: 'search', description: 'Search', schema: z.object({}) };
    expect(() => tool(options as never)).toThrow("Tool 'search' needs an execute function (got undefined)");
    expect(() => tool({ ...options, execute: () => '', cacheFunction: true } as never)).toThrow(
      /cacheFunction/,
    );
  });

  it("takes a class instance's execute method, bound to the instance", async () => {
    class Lookup {
      readonly name = 'lookup';
      get description() {
        return 'Looks a word up';
      }
      readonly schema = z.object({ word: z.string() });
      readonly prefix = 'found';
      execute({ word }: { word: string }) {
        return `${this.prefix} ${word}`;
      }
    }
    const lookup = tool(new Lookup());
    expect(lookup.description).toBe('Looks a word up');
    expect(await lookup.execute({ word: 'tea' }, { signal: new AbortController().signal, agent: 'a' })).toBe(
      'found tea',
    );
  });

  it.each([true, false])(
    'fails the task (supportsFunctionCalling %s) when a hand-made tool has no zod schema',
    async (supportsFunctionCalling) => {
      const handMade = { name: 'raw', description: 'raw', schema: {}, execute: () => 'x' } as unknown as Tool;
      const { crew, llm } = soloCrew({
        script: ['never'],
        llmOptions: { supportsFunctionCalling },
        agent: { tools: [handMade], maxRetryLimit: 0 },
      });
      const error = await rejectionOf(crew.kickoff());
      expect(error).toBeInstanceOf(TaskExecutionError);
      expect((error as Error).message).toContain("Tool 'raw'");
      expect(llm.calls).toHaveLength(0);
    },
  );

  it('sends no tools field when the agent has no tools', async () => {
    const { crew, llm } = soloCrew({ script: ['done'] });
    await crew.kickoff();
    expect(llm.calls[0]).not.toHaveProperty('tools');
  });

  it('runs a tool call, appends the assistant message and one tool message, and calls the model again', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'octopus' }, 'c1')] }, 'Octopuses are clever'],
      agent: { tools: [search.tool] },
    });
    const output = await crew.kickoff();

    expect(search.seen).toEqual(['octopus']);
    expect(llm.calls).toHaveLength(2);
    const second = llm.calls[1].messages;
    expect(second.slice(0, 2)).toEqual(llm.calls[0].messages);
    expect(second[2]).toEqual({
      role: 'assistant',
      content: null,
      toolCalls: [{ id: 'c1', name: 'search', arguments: '{"q":"octopus"}' }],
    });
    expect(second[3]).toEqual({ role: 'tool', toolCallId: 'c1', content: 'search:octopus' });
    expect(second).toHaveLength(4);
    expect(output.raw).toBe('Octopuses are clever');
    expect(output.tasksOutput[0].messages.at(-1)).toEqual({
      role: 'assistant',
      content: 'Octopuses are clever',
    });
  });

  it('answers every call of a response with its own tool message, in call order', async () => {
    const search = recordingTool('search');
    const lookup = recordingTool('lookup');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'a' }, 'x1'), call('lookup', { q: 'b' }, 'x2')] }, 'final'],
      agent: { tools: [search.tool, lookup.tool] },
    });
    await crew.kickoff();

    expect(toolMessages(llm.calls[1])).toEqual([
      { role: 'tool', toolCallId: 'x1', content: 'search:a' },
      { role: 'tool', toolCallId: 'x2', content: 'lookup:b' },
    ]);
  });

  it('renders an object returned by a tool as JSON text', async () => {
    const stats = recordingTool('stats', { answer: (q) => ({ q, hearts: 3 }) });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('stats', { q: 'octopus' })] }, 'done'],
      agent: { tools: [stats.tool] },
    });
    await crew.kickoff();
    expect(toolContents(llm.calls[1])).toEqual(['{"q":"octopus","hearts":3}']);
  });

  it('gives the tool its parsed arguments and a context naming the agent and the task', async () => {
    const seen: Array<{ args: unknown; agent: string; task?: string; signal: boolean }> = [];
    const typed = tool({
      name: 'typed',
      description: 'typed',
      schema: z.object({ n: z.coerce.number(), tag: z.string().default('none') }),
      execute: (args, ctx) => {
        seen.push({ args, agent: ctx.agent, task: ctx.task, signal: ctx.signal instanceof AbortSignal });
        return 'ok';
      },
    });
    const { crew, task } = soloCrew({
      script: [{ toolCalls: [call('typed', { n: '4' })] }, 'done'],
      agent: { tools: [typed] },
    });
    await crew.kickoff();
    expect(seen).toEqual([
      { args: { n: 4, tag: 'none' }, agent: 'Field Researcher', task: task.id, signal: true },
    ]);
  });

  it('tells the model when a tool does not exist, lists the available tools, and goes on', async () => {
    const search = recordingTool('search');
    const lookup = recordingTool('lookup');
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('browse', { q: 'x' })] },
        { toolCalls: [call('search', { q: 'y' })] },
        'done',
      ],
      agent: { tools: [search.tool, lookup.tool] },
    });
    const output = await crew.kickoff();

    const [message] = toolContents(llm.calls[1]);
    expect(message).toContain("'browse'");
    expect(message).toMatch(/does not exist/);
    expect(message).toContain('search');
    expect(message).toContain('lookup');
    expect(search.seen).toEqual(['y']);
    expect(output.raw).toBe('done');
  });

  it('takes no loosely named tool when two tools differ only in case, spaces or hyphens', async () => {
    const dashed = recordingTool('web-search');
    const underscored = recordingTool('web_search');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('Web Search', { q: 'x' })] }, 'done'],
      agent: { tools: [dashed.tool, underscored.tool] },
    });
    await crew.kickoff();
    expect(toolContents(llm.calls[1])[0]).toMatch(/'Web Search' does not exist/);
    expect([...dashed.seen, ...underscored.seen]).toEqual([]);
  });

  it('tells the model when the arguments are not valid JSON, without running the tool', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', '{"q": "unterminated')] }, 'done'],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();

    expect(search.seen).toEqual([]);
    const [message] = toolContents(llm.calls[1]);
    expect(message).toMatch(/invalid arguments/i);
    expect(message).toMatch(/JSON/);
  });

  it('answers arguments nested too deep to render again, and goes on', async () => {
    const search = recordingTool('search');
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', deep)] }, 'done'],
      agent: { tools: [search.tool] },
    });
    const output = await crew.kickoff();

    expect(search.seen).toEqual([]);
    expect(toolContents(llm.calls[1])[0]).toMatch(/invalid arguments/i);
    expect(output.raw).toBe('done');
  });

  it('tells the model which argument failed the schema, without running the tool', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 42 })] }, 'done'],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();

    expect(search.seen).toEqual([]);
    const [message] = toolContents(llm.calls[1]);
    expect(message).toMatch(/invalid arguments/i);
    expect(message).toContain('q');
    expect(message).toMatch(/expected string/i);
  });

  it('carries the error text of a throwing tool back to the model and goes on', async () => {
    const flaky = tool({
      name: 'flaky',
      description: 'fails',
      schema: z.object({}),
      execute: () => {
        throw new Error('upstream service unavailable');
      },
    });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('flaky', {})] }, 'answer without the tool'],
      agent: { tools: [flaky] },
    });
    const output = await crew.kickoff();

    expect(toolContents(llm.calls[1])[0]).toContain('upstream service unavailable');
    expect(output.raw).toBe('answer without the tool');
  });

  it('does not run the same tool with the same arguments as the call just before, and says so', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: 'octopus' })] },
        { toolCalls: [call('search', { q: 'octopus' })] },
        'done',
      ],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();

    expect(search.seen).toEqual(['octopus']);
    const [repeat] = toolContents(llm.calls[2]).slice(1);
    expect(repeat).toMatch(/same input/i);
    expect(repeat).not.toContain('search:octopus');
  });

  it('treats arguments that differ only in key order or spacing as the same call', async () => {
    let runs = 0;
    const pair = tool({
      name: 'pair',
      description: 'pair',
      schema: z.object({ a: z.string(), b: z.string() }),
      execute: ({ a, b }) => {
        runs++;
        return `${a}${b}`;
      },
    });
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('pair', '{"a":"1","b":"2"}')] },
        { toolCalls: [call('pair', '{ "b": "2", "a": "1" }')] },
        'done',
      ],
      agent: { tools: [pair] },
    });
    await crew.kickoff();
    expect(runs).toBe(1);
    expect(toolContents(llm.calls[2])[1]).toMatch(/same input/i);
  });

  it('runs a call again after the same call failed, so a model may retry a transient error', async () => {
    let runs = 0;
    const flaky = tool({
      name: 'flaky',
      description: 'fails once',
      schema: z.object({ q: z.string() }),
      execute: ({ q }) => {
        runs++;
        if (runs === 1) throw new Error('timeout upstream');
        return `ok:${q}`;
      },
    });
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('flaky', { q: 'x' })] },
        { toolCalls: [call('flaky', { q: 'x' })] },
        'done',
      ],
      agent: { tools: [flaky] },
    });
    await crew.kickoff();
    expect(runs).toBe(2);
    expect(toolContents(llm.calls[2])).toEqual([expect.stringContaining('timeout upstream'), 'ok:x']);
  });

  it('does not run a repeated call that appears twice in one response', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'x' }), call('search', { q: 'x' })] }, 'done'],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['x']);
    expect(toolContents(llm.calls[1])).toEqual(['search:x', expect.stringMatching(/same input/i)]);
  });

  it('runs the same call again when another call came in between', async () => {
    const search = recordingTool('search');
    const { crew } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: 'a' })] },
        { toolCalls: [call('search', { q: 'b' })] },
        { toolCalls: [call('search', { q: 'a' })] },
        'done',
      ],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['a', 'b', 'a']);
  });

  it('runs the same call again when a failed call came in between', async () => {
    const search = recordingTool('search');
    const { crew } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: 'a' })] },
        { toolCalls: [call('browse', { q: 'a' })] },
        { toolCalls: [call('search', { q: 'a' })] },
        'done',
      ],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['a', 'a']);
  });

  it('keeps refusing a call the model repeats again and again', async () => {
    const search = recordingTool('search');
    const repeat = { toolCalls: [call('search', { q: 'a' })] };
    const { crew, llm } = soloCrew({
      script: [repeat, repeat, repeat, 'done'],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['a']);
    expect(toolContents(llm.calls[3]).slice(1)).toEqual([
      expect.stringMatching(/same input/i),
      expect.stringMatching(/same input/i),
    ]);
  });

  it('runs the tool calls of one response concurrently', async () => {
    const started: string[] = [];
    const gates = { slow: deferred<string>(), fast: deferred<string>() };
    const gated = (name: 'slow' | 'fast') =>
      tool({
        name,
        description: name,
        schema: z.object({}),
        execute: () => {
          started.push(name);
          return gates[name].promise;
        },
      });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('slow', {}, 's'), call('fast', {}, 'f')] }, 'done'],
      agent: { tools: [gated('slow'), gated('fast')] },
    });
    const run = crew.kickoff();

    // Both executes have started while neither has resolved: they run at the same time.
    await until(() => started.length === 2);
    expect(started).toEqual(['slow', 'fast']);
    gates.fast.resolve('fast result');
    gates.slow.resolve('slow result');
    await run;

    expect(toolMessages(llm.calls[1])).toEqual([
      { role: 'tool', toolCallId: 's', content: 'slow result' },
      { role: 'tool', toolCallId: 'f', content: 'fast result' },
    ]);
  });

  it('makes the tool result the task output when the tool has resultAsAnswer', async () => {
    const report = recordingTool('report', { answer: (q) => `REPORT(${q})`, resultAsAnswer: true });
    const { crew, llm, task } = soloCrew({
      script: [{ toolCalls: [call('report', { q: 'octopus' })] }, 'never asked'],
      agent: { tools: [report.tool] },
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('REPORT(octopus)');
    expect(task.output?.raw).toBe('REPORT(octopus)');
    expect(llm.calls).toHaveLength(1);
    expect(llm.remaining).toBe(1);
  });

  it('does not end the task with a resultAsAnswer tool that failed', async () => {
    const broken = tool({
      name: 'broken',
      description: 'broken',
      schema: z.object({}),
      resultAsAnswer: true,
      execute: () => {
        throw new Error('no report today');
      },
    });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('broken', {})] }, 'written by hand'],
      agent: { tools: [broken] },
    });
    const output = await crew.kickoff();
    expect(output.raw).toBe('written by hand');
    expect(llm.calls).toHaveLength(2);
  });

  it('stops running a tool once its maxUsageCount is spent and tells the model', async () => {
    const search = recordingTool('search', { maxUsageCount: 2 });
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: '1' })] },
        { toolCalls: [call('search', { q: '2' })] },
        { toolCalls: [call('search', { q: '3' })] },
        'done',
      ],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();

    expect(search.seen).toEqual(['1', '2']);
    const refused = toolContents(llm.calls[3])[2];
    expect(refused).toContain('usage limit of 2');
  });

  it('counts usage within one response: calls beyond maxUsageCount are refused', async () => {
    const search = recordingTool('search', { maxUsageCount: 1 });
    const { crew, llm } = soloCrew({
      script: [{ toolCalls: [call('search', { q: '1' }), call('search', { q: '2' })] }, 'done'],
      agent: { tools: [search.tool] },
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['1']);
    expect(toolContents(llm.calls[1])).toEqual(['search:1', expect.stringContaining('usage limit of 1')]);
  });

  it('keeps counting usage across a whole-task retry after an error: the retry cannot reset the limit', async () => {
    const search = recordingTool('search', { maxUsageCount: 1 });
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: '1' })] },
        new Error('rate limited'),
        { toolCalls: [call('search', { q: '2' })] },
        'done',
      ],
      agent: { tools: [search.tool], maxRetryLimit: 1 },
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('done');
    expect(search.seen).toEqual(['1']);
    expect(toolContents(llm.calls[3])).toEqual([expect.stringContaining('usage limit of 1')]);
  });

  it('starts a guardrail retry (a new run of the agent) with fresh usage counts', async () => {
    const search = recordingTool('search', { maxUsageCount: 1 });
    let judged = 0;
    const { crew } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: '1' })] },
        'first draft',
        { toolCalls: [call('search', { q: '2' })] },
        'second draft',
      ],
      agent: { tools: [search.tool] },
      task: { guardrail: () => (++judged === 1 ? { ok: false, error: 'again' } : { ok: true }) },
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('second draft');
    expect(search.seen).toEqual(['1', '2']);
  });

  it("uses the task's tools instead of the agent's", async () => {
    const agentTool = recordingTool('agent_tool');
    const taskTool = recordingTool('task_tool');
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('agent_tool', { q: 'x' })] },
        { toolCalls: [call('task_tool', { q: 'y' })] },
        'done',
      ],
      agent: { tools: [agentTool.tool] },
      task: { tools: [taskTool.tool] },
    });
    await crew.kickoff();

    expect(llm.calls[0].tools?.map((t) => t.name)).toEqual(['task_tool']);
    expect(agentTool.seen).toEqual([]);
    expect(taskTool.seen).toEqual(['y']);
    expect(toolContents(llm.calls[1])[0]).toMatch(/does not exist/);
  });

  it("offers no tools when the task's tools are an empty list", async () => {
    const agentTool = recordingTool('agent_tool');
    const { crew, llm } = soloCrew({
      script: ['done'],
      agent: { tools: [agentTool.tool] },
      task: { tools: [] },
    });
    await crew.kickoff();
    expect(llm.calls[0].tools ?? []).toEqual([]);
  });

  it('emits tool.called and tool.result events between the model request and response events', async () => {
    const search = recordingTool('search');
    const { crew, agent, task } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'x' }, 'c1')] }, 'done'],
      agent: { tools: [search.tool] },
    });
    const events = await streamEvents(crew);
    const types = events.map((e) => e.type).filter((t) => t !== 'agent.step' && t !== 'llm.delta');

    expect(types).toEqual([
      'crew.started',
      'task.started',
      'llm.request',
      'llm.response',
      'tool.called',
      'tool.result',
      'llm.request',
      'llm.response',
      'task.completed',
      'crew.completed',
    ]);
    const result = events.find((e) => e.type === 'tool.result');
    expect(result).toMatchObject({
      agentId: agent.id,
      taskId: task.id,
      call: { id: 'c1', name: 'search' },
      result: 'search:x',
      isError: false,
      cached: false,
    });
    const request = events.find((e) => e.type === 'llm.request');
    expect(request).toMatchObject({ toolNames: ['search'], agentId: agent.id, taskId: task.id });
  });
});

describe('usage of the loop', () => {
  it('sums the usage of every model call, tool rounds, structured re-asks and retried attempts included', async () => {
    const search = recordingTool('search');
    const { crew } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: 'x' })] },
        new Error('flaky network'),
        { toolCalls: [call('search', { q: 'y' })], usage: { promptTokens: 100, completionTokens: 1 } },
        'not json',
        '{"ok":true}',
      ],
      agent: { tools: [search.tool], maxRetryLimit: 1 },
      task: { outputSchema: z.object({ ok: z.boolean() }) },
    });
    const output = await crew.kickoff();

    expect(output.tokenUsage).toMatchObject({
      successfulRequests: 4,
      promptTokens: 10 * 3 + 100,
      completionTokens: 5 * 3 + 1,
      totalTokens: 15 * 3 + 101,
    });
    expect(crew.usageMetrics).toEqual(output.tokenUsage);
  });
});

describe('maxIter', () => {
  const loopingScript = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ toolCalls: [call('search', { q: `q${i}` })] }));

  it('after maxIter tool-using calls makes one last call without tools, whose content is the answer', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [...loopingScript(1), 'forced answer'],
      agent: { tools: [search.tool], maxIter: 1 },
    });
    const output = await crew.kickoff();

    expect(llm.calls).toHaveLength(2);
    expect(llm.calls[0].tools?.map((t) => t.name)).toEqual(['search']);
    expect(llm.calls[1]).not.toHaveProperty('tools');
    expect(lastMessage(llm.calls[1])).toMatchObject({ role: 'user' });
    expect(lastMessage(llm.calls[1]).content).toMatch(/final answer/i);
    expect(output.raw).toBe('forced answer');
  });

  it('counts only calls that used tools: maxIter 3 allows three tool rounds, then forces', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [...loopingScript(3), 'forced'],
      agent: { tools: [search.tool], maxIter: 3 },
    });
    await crew.kickoff();

    expect(llm.calls).toHaveLength(4);
    expect(llm.calls.slice(0, 3).every((c) => c.tools?.length === 1)).toBe(true);
    expect(llm.calls[3]).not.toHaveProperty('tools');
    expect(search.seen).toEqual(['q0', 'q1', 'q2']);
  });

  it('asks to fix a forced structured answer without tools too: maxIter is spent', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [...loopingScript(1), 'not json', '{"ok": true}'],
      agent: { tools: [search.tool], maxIter: 1 },
      task: { outputSchema: z.object({ ok: z.boolean() }) },
    });
    const output = await crew.kickoff();

    expect(llm.calls.map((c) => c.tools?.length ?? 0)).toEqual([1, 0, 0]);
    expect(lastMessage(llm.calls[2]).content).toMatch(/JSON/);
    expect(output.json).toEqual({ ok: true });
  });

  it('ignores tool calls in the forced reply and keeps its content', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [...loopingScript(1), { content: 'best effort', toolCalls: [call('search', { q: 'again' })] }],
      agent: { tools: [search.tool], maxIter: 1 },
    });
    const output = await crew.kickoff();
    expect(output.raw).toBe('best effort');
    expect(search.seen).toEqual(['q0']);
    expect(llm.calls).toHaveLength(2);
  });

  it('does not force anything when the model answers before maxIter', async () => {
    const search = recordingTool('search');
    const { crew, llm } = soloCrew({
      script: [...loopingScript(1), 'natural answer'],
      agent: { tools: [search.tool], maxIter: 2 },
    });
    const output = await crew.kickoff();
    expect(llm.calls).toHaveLength(2);
    expect(llm.calls[1].tools?.map((t) => t.name)).toEqual(['search']);
    expect(output.raw).toBe('natural answer');
  });
});

describe('stepCallback', () => {
  it("receives the answer, tool call and tool result steps of the agent's loop, in order", async () => {
    const steps: AgentStep[] = [];
    const search = recordingTool('search');
    const { crew, agent, task } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'x' }, 'c1')] }, 'done'],
      agent: { tools: [search.tool], stepCallback: (step) => void steps.push(step) },
    });
    await crew.kickoff();

    expect(steps.map((s) => s.kind)).toEqual(['answer', 'tool_call', 'tool_result', 'answer']);
    expect(steps[0]).toMatchObject({
      agentId: agent.id,
      role: 'Field Researcher',
      taskId: task.id,
      toolCalls: [{ id: 'c1', name: 'search' }],
    });
    expect(steps[1]).toMatchObject({ kind: 'tool_call', call: { id: 'c1', name: 'search' } });
    expect(steps[2]).toMatchObject({ kind: 'tool_result', result: 'search:x', isError: false });
    expect(steps[3]).toMatchObject({ kind: 'answer', content: 'done' });
  });

  it("falls back to the crew's stepCallback, and an agent's own one takes precedence", async () => {
    const crewSteps: string[] = [];
    const ownSteps: string[] = [];
    const plain = new Agent({ role: 'Plain', goal: 'g', backstory: 'b', llm: new ScriptedLLM(['one']) });
    const own = new Agent({
      role: 'Own',
      goal: 'g',
      backstory: 'b',
      llm: new ScriptedLLM(['two']),
      stepCallback: (step) => void ownSteps.push(`${step.role}:${step.kind}`),
    });
    const crew = new Crew({
      agents: [plain, own],
      tasks: [
        new Task({ description: 'first', expectedOutput: 'x', agent: plain }),
        new Task({ description: 'second', expectedOutput: 'x', agent: own }),
      ],
      stepCallback: (step) => void crewSteps.push(`${step.role}:${step.kind}`),
    });
    await crew.kickoff();

    expect(crewSteps).toEqual(['Plain:answer']);
    expect(ownSteps).toEqual(['Own:answer']);
  });

  it('starts no tool when the run is aborted while the callback handles the tool call', async () => {
    const search = recordingTool('search');
    const controller = new AbortController();
    const { crew } = soloCrew({
      script: [{ toolCalls: [call('search', { q: 'x' })] }, 'done'],
      agent: {
        tools: [search.tool],
        maxExecutionTime: 60_000,
        stepCallback: async (step) => {
          if (step.kind !== 'tool_call') return;
          controller.abort();
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
      },
    });
    await expect(crew.kickoff({}, { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(search.seen).toEqual([]);
  });

  it('fails the task at once, without retries, when the callback throws', async () => {
    const boom = new Error('step boom');
    const { crew, llm } = soloCrew({
      script: ['one', 'two', 'three'],
      agent: {
        maxRetryLimit: 2,
        stepCallback: () => {
          throw boom;
        },
      },
    });
    const error = await rejectionOf(crew.kickoff());
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).cause).toMatchObject({ code: 'callback_failed', cause: boom });
    expect((error as Error).message).toContain(
      "The stepCallback of agent 'Field Researcher' failed: step boom",
    );
    expect(llm.calls).toHaveLength(1);
  });

  it('marks the result of a failed tool call as an error', async () => {
    const steps: AgentStep[] = [];
    const { crew } = soloCrew({
      script: [{ toolCalls: [call('missing', {})] }, 'done'],
      crew: { stepCallback: (step) => void steps.push(step) },
    });
    await crew.kickoff();
    expect(steps.find((s) => s.kind === 'tool_result')).toMatchObject({ isError: true });
  });
});

describe("the crew's tool cache", () => {
  function twoAgentCrew(cache: boolean, cacheFunction?: (args: { q: string }, result: unknown) => boolean) {
    const search = recordingTool('search', { ...(cacheFunction ? { cacheFunction } : {}) });
    const firstLlm = new ScriptedLLM([{ toolCalls: [call('search', { q: 'octopus' })] }, 'first done']);
    const secondLlm = new ScriptedLLM([{ toolCalls: [call('search', { q: 'octopus' })] }, 'second done']);
    const first = new Agent({
      role: 'First',
      goal: 'g',
      backstory: 'b',
      llm: firstLlm,
      tools: [search.tool],
    });
    const second = new Agent({
      role: 'Second',
      goal: 'g',
      backstory: 'b',
      llm: secondLlm,
      tools: [search.tool],
    });
    const crew = new Crew({
      agents: [first, second],
      tasks: [
        new Task({ description: 'one', expectedOutput: 'x', agent: first }),
        new Task({ description: 'two', expectedOutput: 'x', agent: second }),
      ],
      cache,
    });
    return { crew, search, firstLlm, secondLlm };
  }

  it('shares a tool result across agents within a run', async () => {
    const { crew, search, secondLlm } = twoAgentCrew(true);
    await crew.kickoff();
    expect(search.seen).toEqual(['octopus']);
    expect(toolContents(secondLlm.calls[1])).toEqual(['search:octopus']);
  });

  it('marks a cached result in the tool.result event', async () => {
    const { crew } = twoAgentCrew(true);
    const events = await streamEvents(crew);
    const results = events.flatMap((e) => (e.type === 'tool.result' ? [e.cached] : []));
    expect(results).toEqual([false, true]);
  });

  it('runs the tool every time without cache: true', async () => {
    const { crew, search } = twoAgentCrew(false);
    await crew.kickoff();
    expect(search.seen).toEqual(['octopus', 'octopus']);
  });

  it('keeps a result out of the cache when cacheFunction returns false', async () => {
    const verdicts: Array<[{ q: string }, unknown]> = [];
    const { crew, search } = twoAgentCrew(true, (args, result) => {
      verdicts.push([args, result]);
      return false;
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['octopus', 'octopus']);
    expect(verdicts[0]).toEqual([{ q: 'octopus' }, 'search:octopus']);
  });

  it('never caches an error', async () => {
    let runs = 0;
    const flaky = tool({
      name: 'flaky',
      description: 'fails once',
      schema: z.object({ q: z.string() }),
      execute: ({ q }) => {
        runs++;
        if (runs === 1) throw new Error('temporary outage');
        return `ok:${q}`;
      },
    });
    const firstLlm = new ScriptedLLM([{ toolCalls: [call('flaky', { q: 'x' })] }, 'one']);
    const secondLlm = new ScriptedLLM([{ toolCalls: [call('flaky', { q: 'x' })] }, 'two']);
    const first = new Agent({ role: 'First', goal: 'g', backstory: 'b', llm: firstLlm, tools: [flaky] });
    const second = new Agent({ role: 'Second', goal: 'g', backstory: 'b', llm: secondLlm, tools: [flaky] });
    const crew = new Crew({
      agents: [first, second],
      tasks: [
        new Task({ description: 'one', expectedOutput: 'x', agent: first }),
        new Task({ description: 'two', expectedOutput: 'x', agent: second }),
      ],
      cache: true,
    });
    await crew.kickoff();

    expect(runs).toBe(2);
    expect(toolContents(firstLlm.calls[1])[0]).toContain('temporary outage');
    expect(toolContents(secondLlm.calls[1])).toEqual(['ok:x']);
  });

  /** Two agents calling the same tool, each once with its own arguments, then answering with the result. */
  function twoCallers(shared: Tool, firstArgs: Record<string, unknown>, secondArgs: Record<string, unknown>) {
    const agents = [firstArgs, secondArgs].map(
      (args, i) =>
        new Agent({
          role: `Caller ${i + 1}`,
          goal: 'g',
          backstory: 'b',
          llm: new ScriptedLLM([
            { toolCalls: [call(shared.name, args)] },
            (request) => textOf(lastMessage(request)),
          ]),
          tools: [shared],
        }),
    );
    const tasks = agents.map(
      (agent, i) => new Task({ description: `call ${i + 1}`, expectedOutput: 'x', agent }),
    );
    return new Crew({ agents, tasks, cache: true });
  }

  it('caches a call whose schema turns an argument into a bigint, as the model sent it', async () => {
    const seen: bigint[] = [];
    const item = tool({
      name: 'item',
      description: 'an item by id',
      schema: z.object({ id: z.coerce.bigint() }),
      execute: ({ id }) => {
        seen.push(id);
        return `item ${id}`;
      },
    });
    const output = await twoCallers(item, { id: '5' }, { id: '5' }).kickoff();
    expect(seen).toEqual([5n]);
    expect(output.tasksOutput.map((o) => o.raw)).toEqual(['item 5', 'item 5']);
  });

  it('keeps apart calls whose arguments a transform turns into Sets', async () => {
    const seen: string[][] = [];
    const lookup = tool({
      name: 'lookup',
      description: 'items by ids',
      schema: z.object({ ids: z.array(z.string()).transform((ids) => new Set(ids)) }),
      execute: ({ ids }) => {
        seen.push([...ids]);
        return `items ${[...ids].join(',')}`;
      },
    });
    const output = await twoCallers(lookup, { ids: ['a'] }, { ids: ['b'] }).kickoff();
    expect(seen).toEqual([['a'], ['b']]);
    expect(output.tasksOutput.map((o) => o.raw)).toEqual(['items a', 'items b']);
  });

  it('keeps array order in the key while ignoring key order, at any depth', async () => {
    const seen: unknown[] = [];
    const find = tool({
      name: 'find',
      description: 'd',
      schema: z.object({ where: z.object({ x: z.number(), y: z.number() }), order: z.array(z.number()) }),
      execute: (args) => {
        seen.push(args);
        return `found ${seen.length}`;
      },
    });
    const same = await twoCallers(
      find,
      { where: { y: 1, x: 2 }, order: [1, 2] },
      { order: [1, 2], where: { x: 2, y: 1 } },
    ).kickoff();
    expect(same.tasksOutput.map((o) => o.raw)).toEqual(['found 1', 'found 1']);
    const reordered = await twoCallers(
      find,
      { where: { x: 2, y: 1 }, order: [1, 2] },
      { where: { x: 2, y: 1 }, order: [2, 1] },
    ).kickoff();
    expect(reordered.tasksOutput.map((o) => o.raw)).toEqual(['found 2', 'found 3']);
  });

  it('shares an entry between an omitted argument with a zod default and the same value given explicitly', async () => {
    const seen: unknown[] = [];
    const search = tool({
      name: 'search',
      description: 'd',
      schema: z.object({ q: z.string(), limit: z.number().default(3) }),
      execute: (args) => {
        seen.push(args);
        return `results ${seen.length}`;
      },
    });
    const output = await twoCallers(search, { q: 'x' }, { limit: 3, q: 'x' }).kickoff();
    expect(seen).toEqual([{ q: 'x', limit: 3 }]);
    expect(output.tasksOutput.map((o) => o.raw)).toEqual(['results 1', 'results 1']);
  });

  it('keeps apart an omitted default and an explicit value that the schema turns into other arguments', async () => {
    const seen: unknown[] = [];
    const search = tool({
      name: 'search',
      description: 'd',
      // zod 4: the default is used as it is, an explicit value goes through the transform.
      schema: z.object({
        q: z.string(),
        limit: z
          .number()
          .transform((n) => n * 2)
          .default(4),
      }),
      execute: (args) => {
        seen.push(args);
        return `results ${seen.length}`;
      },
    });
    const output = await twoCallers(search, { q: 'x' }, { q: 'x', limit: 4 }).kickoff();
    expect(seen).toEqual([
      { q: 'x', limit: 4 },
      { q: 'x', limit: 8 },
    ]);
    expect(output.tasksOutput.map((o) => o.raw)).toEqual(['results 1', 'results 2']);
  });

  it('keeps the result of a tool whose cacheFunction throws, and leaves it out of the cache', async () => {
    const { crew, search, firstLlm, secondLlm } = twoAgentCrew(true, () => {
      throw new Error('cacheFunction bug');
    });
    const events = await streamEvents(crew);
    expect(search.seen).toEqual(['octopus', 'octopus']);
    expect(toolContents(firstLlm.calls[1])).toEqual(['search:octopus']);
    expect(toolContents(secondLlm.calls[1])).toEqual(['search:octopus']);
    const results = events.flatMap((e) => (e.type === 'tool.result' ? [[e.isError, e.cached]] : []));
    expect(results).toEqual([
      [false, false],
      [false, false],
    ]);
  });

  it('gives a cached result even once maxUsageCount is spent, as crewAI reads the cache first', async () => {
    const search = recordingTool('search', { maxUsageCount: 1 });
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: 'x' })] },
        { toolCalls: [call('search', { q: 'y' })] },
        { toolCalls: [call('search', { q: 'x' })] },
        'done',
      ],
      agent: { tools: [search.tool] },
      crew: { cache: true },
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['x']);
    expect(toolContents(llm.calls[3])).toEqual([
      'search:x',
      expect.stringContaining('usage limit of 1'),
      'search:x',
    ]);
  });

  it('does not count a cache hit as a use of the tool', async () => {
    const search = recordingTool('search', { maxUsageCount: 2 });
    const other = recordingTool('other');
    const { crew, llm } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: 'x' })] },
        { toolCalls: [call('other', { q: 'between' })] },
        { toolCalls: [call('search', { q: 'x' })] },
        { toolCalls: [call('search', { q: 'z' })] },
        'done',
      ],
      agent: { tools: [search.tool, other.tool] },
      crew: { cache: true },
    });
    await crew.kickoff();
    expect(search.seen).toEqual(['x', 'z']);
    expect(toolContents(llm.calls[4])).toEqual(['search:x', 'other:between', 'search:x', 'search:z']);
  });

  it('keeps the cache per run: a second kickoff runs the tool again', async () => {
    const search = recordingTool('search');
    const { crew } = soloCrew({
      script: [
        { toolCalls: [call('search', { q: 'x' })] },
        'one',
        { toolCalls: [call('search', { q: 'x' })] },
        'two',
      ],
      agent: { tools: [search.tool] },
      crew: { cache: true },
    });
    await crew.kickoff();
    await crew.kickoff();
    expect(search.seen).toEqual(['x', 'x']);
  });
});

describe('a hand-written model', () => {
  it.each([
    ['a bare string', 'the answer', 'a string'],
    ['nothing', undefined, 'undefined'],
    ['a content that is not text', { content: 42 }, '{"content":42}'],
    ['an object without content (nor tool calls)', { text: 'Hello' }, '{"text":"Hello"}'],
  ])('that resolves to %s fails the task at once, saying what it got', async (_label, reply, got) => {
    let calls = 0;
    const llm = { model: 'mine', call: async () => (calls++, reply) } as unknown as LLM;
    const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm, maxRetryLimit: 2 });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write', expectedOutput: 'x', agent })],
    });
    const error = await rejectionOf(crew.kickoff());
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).cause).toMatchObject({ code: 'invalid_llm_response' });
    expect((error as Error).message).toContain(`Model 'mine': call() must resolve to`);
    expect((error as Error).message).toContain(`(got ${got})`);
    expect(calls).toBe(1);
  });
});

describe('an empty answer', () => {
  const crewOf = (llm: LLM, maxRetryLimit?: number) => {
    const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm, maxRetryLimit });
    const task = new Task({ description: 'Write', expectedOutput: 'x', agent });
    return new Crew({ agents: [agent], tasks: [task] });
  };

  it("is no answer: the agent's call is retried, as crewAI retries its 'None or empty' response", async () => {
    for (const empty of [{ content: null }, { content: '  \n' }]) {
      const llm = new ScriptedLLM([empty, 'a real answer']);
      expect((await crewOf(llm).kickoff()).raw).toBe('a real answer');
      expect(llm.calls).toHaveLength(2);
    }
  });

  it('fails the task once maxRetryLimit is spent, saying so', async () => {
    const llm = new ScriptedLLM([{ content: '' }]);
    const error = await rejectionOf(crewOf(llm, 0).kickoff());
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as Error).message).toContain("Model 'scripted' gave an empty answer");
  });
});

describe('a hand-written model that calls tools', () => {
  it('may leave content out', async () => {
    const echo = tool({
      name: 'echo',
      description: 'Echoes',
      schema: z.object({ text: z.string() }),
      execute: ({ text }) => text,
    });
    const replies: unknown[] = [
      { toolCalls: [{ id: 'c1', name: 'echo', arguments: '{"text":"hi"}' }] },
      { content: 'done' },
    ];
    const llm = { model: 'mine', call: async () => replies.shift() } as unknown as LLM;
    const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm, tools: [echo] });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write', expectedOutput: 'x', agent })],
    });
    expect((await crew.kickoff()).raw).toBe('done');
  });
});

describe("a hand-written model's usage", () => {
  it('counts a count that is not a number as absent, so the totals stay numbers', async () => {
    const llm = {
      model: 'mine',
      call: async () => ({
        content: 'done',
        usage: { promptTokens: '10', completionTokens: Number.NaN, totalTokens: 7 },
      }),
    } as unknown as LLM;
    const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write', expectedOutput: 'x', agent })],
    });
    const output = await crew.kickoff();
    expect(output.tokenUsage).toMatchObject({
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 7,
      successfulRequests: 1,
    });
  });

  it('whose tool call has arguments that are not JSON text fails the task at once, naming the call', async () => {
    let calls = 0;
    const reply = { content: null, toolCalls: [{ id: 'c1', name: 'search', arguments: { q: 'x' } }] };
    const llm = { model: 'mine', call: async () => (calls++, reply) } as unknown as LLM;
    const agent = new Agent({ role: 'Writer', goal: 'g', backstory: 'b', llm, maxRetryLimit: 2 });
    const crew = new Crew({
      agents: [agent],
      tasks: [new Task({ description: 'Write', expectedOutput: 'x', agent })],
    });
    const error = await rejectionOf(crew.kickoff());
    expect((error as TaskExecutionError).cause).toMatchObject({ code: 'invalid_llm_response' });
    expect((error as Error).message).toContain(
      `Model 'mine': toolCalls[0] must be { id: string, name: string, arguments: string } (JSON text) (got {"id":"c1","name":"search","arguments":{"q":"x"}})`,
    );
    expect(calls).toBe(1);
  });
});
