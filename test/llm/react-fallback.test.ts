import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  Crew,
  LLMError,
  OpenAILLM,
  Task,
  TaskExecutionError,
  tool,
  type CrewEvent,
} from '../../src/index.js';
import { isToolsUnsupportedError } from '../../src/llm/tool-support.js';
import {
  startFakeOpenAI,
  type FakeOpenAIServer,
  type FakeReply,
  type RecordedRequest,
} from '../../src/testing/index.js';

const OLLAMA_REFUSAL = 'registry.ollama.ai/library/gemma2:2b does not support tools';

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const echo = tool({
  name: 'echo',
  description: 'Echo a word',
  schema: z.object({ word: z.string() }),
  execute: ({ word }) => `echoed ${word}`,
});

const refusal = (message = OLLAMA_REFUSAL) => ({
  status: 400,
  body: { error: { message, type: 'api_error', param: null, code: null } },
});

/** A model without tool support: 400 on `tools`, else a ReAct conversation (one action, then the answer). */
function toolLessModel(request: RecordedRequest) {
  if (request.body.tools) return refusal();
  const last = request.body.messages.at(-1);
  const content = typeof last?.content === 'string' ? last.content : '';
  if (content.startsWith('Observation:')) {
    return `Thought: I now know the final answer\nFinal Answer: ${content.split('\n')[0].slice(13)}`;
  }
  return 'Thought: I should echo\nAction: echo\nAction Input: {"word": "ping"}';
}

async function serve(handler: (request: RecordedRequest) => FakeReply) {
  const server = await startFakeOpenAI({ handler });
  servers.push(server);
  return server;
}

function crewOn(
  server: FakeOpenAIServer,
  options: { supportsFunctionCalling?: boolean; tasks?: number } = {},
) {
  const llm = new OpenAILLM({
    model: 'gemma2:2b',
    baseURL: server.url,
    maxRetries: 0,
    ...(options.supportsFunctionCalling === undefined
      ? {}
      : { supportsFunctionCalling: options.supportsFunctionCalling }),
  });
  const agent = new Agent({
    id: 'worker',
    role: 'Worker',
    goal: 'Work',
    backstory: 'Diligent.',
    llm,
    tools: [echo],
    maxRetryLimit: 0,
  });
  const tasks = Array.from(
    { length: options.tasks ?? 1 },
    (_, i) => new Task({ id: `job${i}`, description: `Do job ${i}`, expectedOutput: 'done', agent }),
  );
  return new Crew({ agents: [agent], tasks });
}

function systemPrompt(request: RecordedRequest): string {
  return String(request.body.messages[0].content);
}

describe('OpenAILLM supportsFunctionCalling', () => {
  it('defaults to true and can be turned off', () => {
    expect(new OpenAILLM({ model: 'm' }).supportsFunctionCalling).toBe(true);
    expect(new OpenAILLM({ model: 'm', supportsFunctionCalling: false }).supportsFunctionCalling).toBe(false);
  });

  it('false: a tool-using agent runs in ReAct over HTTP and never sends tools', async () => {
    const server = await serve(toolLessModel);
    const output = await crewOn(server, { supportsFunctionCalling: false }).kickoff();
    expect(output.raw).toBe('echoed ping');
    expect(server.requests).toHaveLength(2);
    expect(server.requests.every((r) => r.body.tools === undefined)).toBe(true);
    expect(systemPrompt(server.requests[0])).toContain('Tool Name: echo');
    expect(server.requests[1].body.messages.at(-1)?.content).toContain('Observation: echoed ping');
  });
});

describe('falling back to ReAct when the provider refuses tools', () => {
  it('retries the refused call in ReAct, keeps ReAct from then on, and warns once', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const server = await serve(toolLessModel);
    const crew = crewOn(server, { tasks: 2 });
    const events: CrewEvent[] = [];
    const output = await new Promise<CrewEvent>((resolve, reject) => {
      crew.stream().subscribe({
        next: (e) => events.push(e),
        error: reject,
        complete: () => resolve(events.at(-1)!),
      });
    });
    expect(output).toMatchObject({ type: 'crew.completed', output: { raw: 'echoed ping' } });
    // One refused request, then ReAct only: two calls per task, and the second task never offers tools.
    const withTools = server.requests.filter((r) => r.body.tools !== undefined);
    expect(withTools).toHaveLength(1);
    expect(server.requests).toHaveLength(5);
    for (const request of server.requests.slice(1)) {
      expect(systemPrompt(request)).toContain('Tool Name: echo');
      expect(systemPrompt(request).match(/Tool Name: echo/g)).toHaveLength(1);
    }
    // The tasks' saved conversations begin with the system message that was sent: the ReAct one.
    const completed = output as Extract<CrewEvent, { type: 'crew.completed' }>;
    for (const task of completed.output.tasksOutput) {
      expect(task.messages[0]).toMatchObject({
        role: 'system',
        content: expect.stringContaining('Tool Name: echo'),
      });
    }
    // The retry is a request of its own in the event stream, without tools.
    const requests = events.filter((e) => e.type === 'llm.request');
    expect(requests.slice(0, 2).map((e) => e.type === 'llm.request' && e.toolNames)).toEqual([['echo'], []]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(
      /does not support tools.*ReAct.*supportsFunctionCalling: false/s,
    );
  });

  it('remembers the refusal for the model: a later kickoff and another agent on it never offer tools', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const server = await serve(toolLessModel);
    const crew = crewOn(server);
    expect((await crew.kickoff()).raw).toBe('echoed ping');
    expect(server.requests.map((r) => r.body.tools !== undefined)).toEqual([true, false, false]);

    expect((await crew.kickoff()).raw).toBe('echoed ping');
    const shared = crew.agents[0].llm as OpenAILLM;
    const colleague = new Agent({
      role: 'Colleague',
      goal: 'Work',
      backstory: 'New.',
      llm: shared,
      tools: [echo],
    });
    const other = new Crew({
      agents: [colleague],
      tasks: [new Task({ description: 'Echo', expectedOutput: 'done', agent: colleague })],
    });
    expect((await other.kickoff()).raw).toBe('echoed ping');
    // Two ReAct calls per run after the first: no request offered tools again.
    expect(server.requests.map((r) => r.body.tools !== undefined)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(systemPrompt(server.requests[5])).toContain('Tool Name: echo');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('keeps the rewritten system message in the conversation when a later call falls back', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    // Tools work for the first call (a native tool call), then the provider refuses them.
    const server = await serve((request) => {
      if (request.index === 0) return { toolCalls: [{ name: 'echo', arguments: { word: 'ping' } }] };
      if (request.body.tools) return refusal();
      return 'Thought: I now know the final answer\nFinal Answer: echoed ping';
    });
    const output = await crewOn(server).kickoff();

    expect(output.raw).toBe('echoed ping');
    expect(server.requests.map((r) => r.body.tools !== undefined)).toEqual([true, true, false]);
    expect(systemPrompt(server.requests[0])).not.toContain('Tool Name: echo');
    expect(systemPrompt(server.requests[2])).toContain('Tool Name: echo');
    const saved = output.tasksOutput[0].messages;
    expect(saved[0]).toMatchObject({ role: 'system', content: expect.stringContaining('Tool Name: echo') });
    expect(saved.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
  });

  it('does not loop when the model refuses the ReAct retry too', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const server = await serve(() => refusal());
    const error = await crewOn(server)
      .kickoff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).cause).toBeInstanceOf(LLMError);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].body.tools).toBeUndefined();
  });

  it('does not fall back on another 400', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const server = await serve(() => refusal("Invalid value for 'temperature'"));
    const error = await crewOn(server)
      .kickoff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect(server.requests).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('isToolsUnsupportedError', () => {
  it.each([
    OLLAMA_REFUSAL,
    'Model llama2 does not support tool calling',
    'tools are not supported for this model',
    'function calling is not supported',
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
  ])('recognises a 400 saying %j', (message) => {
    expect(
      isToolsUnsupportedError(new LLMError(`Model "m": HTTP 400 Bad Request: ${message}`, { status: 400 })),
    ).toBe(true);
  });

  it('is false for other statuses, other messages and other errors', () => {
    expect(isToolsUnsupportedError(new LLMError(`HTTP 500: ${OLLAMA_REFUSAL}`, { status: 500 }))).toBe(false);
    expect(
      isToolsUnsupportedError(new LLMError('HTTP 400: messages must not be empty', { status: 400 })),
    ).toBe(false);
    expect(isToolsUnsupportedError(new Error(OLLAMA_REFUSAL))).toBe(false);
  });
});
