import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { LLMError } from '../../src/errors.js';
import { flush, until } from '../helpers/crew-fixtures.js';
import { OpenAILLM, type OpenAILLMOptions } from '../../src/llm/openai.js';
import type { ChatMessage, LLMRequest } from '../../src/llm/types.js';
import {
  startFakeOpenAI,
  type FakeOpenAIOptions,
  type FakeOpenAIServer,
} from '../../src/testing/fake-openai.js';

const KEY = 'sk-test-key';
const servers: FakeOpenAIServer[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(options: FakeOpenAIOptions, llmOptions: Partial<OpenAILLMOptions> = {}) {
  const server = await startFakeOpenAI(options);
  servers.push(server);
  const llm = new OpenAILLM({
    model: 'gpt-test',
    baseURL: server.url,
    apiKey: KEY,
    maxRetries: 0,
    timeout: 2_000,
    ...llmOptions,
  });
  return { server, llm };
}

const ask = (content = 'Hi', extra: Partial<LLMRequest> = {}): LLMRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('OpenAILLM request mapping', () => {
  it('should map every message kind, tool calls and tool results to the wire format', async () => {
    const { server, llm } = await setup({ script: ['done'] }, { temperature: 0.2 });
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a researcher' },
      { role: 'user', content: 'Find it' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'call_1', name: 'search', arguments: '{"q":"x"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', content: 'result' },
      { role: 'assistant', content: 'Thinking' },
    ];
    const tools = [
      { name: 'search', description: 'Search the web', parameters: { type: 'object', properties: {} } },
    ];

    await llm.call({ messages, tools });

    const body = server.requests[0]!.body;
    expect(body.model).toBe('gpt-test');
    expect(body.temperature).toBe(0.2);
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are a researcher' },
      { role: 'user', content: 'Find it' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'search', arguments: '{"q":"x"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'result' },
      { role: 'assistant', content: 'Thinking' },
    ]);
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'search',
          description: 'Search the web',
          parameters: { type: 'object', properties: {} },
        },
      },
    ]);
    expect(body.stream).toBeUndefined();
  });

  it('should leave out tools, temperature and response_format when not asked for', async () => {
    const { server, llm } = await setup({ script: ['done'] });
    await llm.call(ask());
    expect(Object.keys(server.requests[0]!.body).sort()).toEqual(['messages', 'model']);
  });

  it('should map tool calls in the answer back to ToolCall objects', async () => {
    const { llm } = await setup({
      script: [
        {
          toolCalls: [
            { id: 'call_a', name: 'search', arguments: { q: 'xstate' } },
            { name: 'fetch', arguments: '{"url":"u"}' },
          ],
        },
      ],
    });
    const response = await llm.call(ask());
    expect(response).toEqual({
      content: null,
      toolCalls: [
        { id: 'call_a', name: 'search', arguments: '{"q":"xstate"}' },
        { id: 'call_0_1', name: 'fetch', arguments: '{"url":"u"}' },
      ],
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    });
  });

  it('should send a zod schema as strict json_schema structured output and return the text', async () => {
    const schema = z.object({ title: z.string(), score: z.number().min(0) });
    const { server, llm } = await setup({ script: ['{"title":"A","score":3}'] });

    const response = await llm.call(ask('Rate', { responseFormat: { name: 'task_output', schema } }));

    expect(server.requests[0]!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'task_output',
        strict: true,
        schema: expect.objectContaining({
          type: 'object',
          required: ['title', 'score'],
          additionalProperties: false,
        }),
      },
    });
    expect(schema.parse(JSON.parse(response.content!))).toEqual({ title: 'A', score: 3 });
  });

  it('should ask for a schema whose root is not an object as { value } and answer with the value', async () => {
    const schema = z.array(z.object({ title: z.string() }));
    const { server, llm } = await setup({ script: ['{"value":[{"title":"A"},{"title":"B"}]}'] });

    const response = await llm.call(ask('List', { responseFormat: { name: 'task_output', schema } }));

    const format = server.requests[0]!.body.response_format as {
      json_schema: { strict: boolean; schema: Record<string, unknown> };
    };
    expect(format.json_schema.schema).toMatchObject({
      type: 'object',
      required: ['value'],
      properties: { value: { type: 'array' } },
    });
    expect(format.json_schema.strict).toBe(true);
    expect(schema.parse(JSON.parse(response.content!))).toEqual([{ title: 'A' }, { title: 'B' }]);
  });

  it('should fall back to a non-strict JSON schema when strict mode cannot express the schema', async () => {
    const schema = z.object({ title: z.string(), note: z.string().optional() });
    const { server, llm } = await setup({ script: ['{"title":"A"}'] });

    await llm.call(ask('Rate', { responseFormat: { name: 'task output!', schema } }));

    const format = server.requests[0]!.body.response_format as {
      json_schema: { name: string; strict: boolean; schema: Record<string, unknown> };
    };
    expect(format.json_schema.name).toBe('task_output_');
    expect(format.json_schema.strict).toBe(false);
    expect(format.json_schema.schema).toMatchObject({ type: 'object', required: ['title'] });
  });

  it('should send defaultHeaders with every request', async () => {
    const { server, llm } = await setup({ script: ['ok'] }, { defaultHeaders: { 'x-team': 'crew-a' } });
    await llm.call(ask());
    expect(server.requests[0]!.headers['x-team']).toBe('crew-a');
  });

  it('should use a client passed in as is', async () => {
    const server = await startFakeOpenAI({ script: ['from client'] });
    servers.push(server);
    const client = new OpenAI({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    const llm = new OpenAILLM({ model: 'gpt-test', client });
    expect((await llm.call(ask())).content).toBe('from client');
  });
});

describe('OpenAILLM answers', () => {
  it('should return a refusal as the content so the caller can show the reason', async () => {
    const { llm } = await setup({ script: [{ content: null, refusal: 'I cannot help with that.' }] });
    expect((await llm.call(ask())).content).toBe('I cannot help with that.');
  });
});

describe('OpenAILLM usage', () => {
  it('should report prompt, completion, total, cached and reasoning tokens', async () => {
    const { llm } = await setup({
      script: [
        {
          content: 'ok',
          usage: {
            prompt_tokens: 120,
            completion_tokens: 30,
            prompt_tokens_details: { cached_tokens: 64 },
            completion_tokens_details: { reasoning_tokens: 12 },
          },
        },
      ],
    });
    const { usage } = await llm.call(ask());
    expect(usage).toEqual({
      promptTokens: 120,
      completionTokens: 30,
      totalTokens: 150,
      cachedPromptTokens: 64,
      reasoningTokens: 12,
    });
  });
});

describe('OpenAILLM configuration', () => {
  it('should construct without a key and fail the call with a clear error', async () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    vi.stubEnv('OPENAI_BASE_URL', '');
    const llm = new OpenAILLM({ model: 'gpt-test' });
    expect(llm.supportsFunctionCalling).toBe(true);

    const error = await failure(llm.call(ask()));
    expect(error).toBeInstanceOf(LLMError);
    expect(error.message).toMatch(/OPENAI_API_KEY/);
    expect(error.message).toMatch(/OPENAI_BASE_URL/);
  });

  it('should read OPENAI_API_KEY and OPENAI_BASE_URL from the environment at the first call', async () => {
    const server = await startFakeOpenAI({ script: ['from env'] });
    servers.push(server);
    const llm = new OpenAILLM({ model: 'gpt-test', maxRetries: 0 });
    vi.stubEnv('OPENAI_API_KEY', KEY);
    vi.stubEnv('OPENAI_BASE_URL', server.url);
    expect((await llm.call(ask())).content).toBe('from env');
  });

  it('should call a local server that needs no key when only a base URL is set', async () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    const { llm } = await setup({ script: ['local'] }, { apiKey: undefined });
    expect((await llm.call(ask())).content).toBe('local');
  });
});

describe('OpenAILLM retries and errors', () => {
  it('should wait for Retry-After on 429 and then succeed', async () => {
    const { server, llm } = await setup(
      { script: [{ status: 429, retryAfter: 1 }, 'after wait'] },
      { maxRetries: 2 },
    );
    const started = performance.now();

    const response = await llm.call(ask());

    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(response.content).toBe('after wait');
    expect(server.requests).toHaveLength(2);
  });

  it('should honour retry-after-ms on 503', async () => {
    const { server, llm } = await setup(
      { script: [{ status: 503, retryAfterMs: 300 }, 'ok'] },
      { maxRetries: 1 },
    );
    const started = performance.now();
    await llm.call(ask());
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(server.requests).toHaveLength(2);
  });

  it('should let a client passed in retry itself, even one from another copy of the SDK', async () => {
    const { server } = await setup({ script: [{ status: 429, retryAfterMs: 1 }, 'ok'] });
    // The CommonJS build: its error classes are not the ones statecrew's own import knows.
    const { OpenAI: OtherOpenAI } = createRequire(import.meta.url)('openai') as { OpenAI: typeof OpenAI };
    const client = new OtherOpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 2 });
    const llm = new OpenAILLM({ model: 'm', client });
    expect((await llm.call(ask())).content).toBe('ok');
    expect(server.requests).toHaveLength(2);
  });

  it('should end the wait for a retry at once when aborted, leaving no timer behind', async () => {
    const { server, llm } = await setup(
      { script: [{ status: 429, retryAfter: 30 }, 'late'] },
      { maxRetries: 2 },
    );
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const controller = new AbortController();
    const call = llm.call(ask('Hi', { signal: controller.signal }));
    // Turns of the event loop, no timers of our own: the 429 arrives and the 30 s wait begins.
    await until(() => server.requests.length === 1);
    await flush(20);
    const waiting = timers();
    controller.abort();
    const error = await failure(call);
    expect(error.name).toBe('AbortError');
    expect(timers()).toBe(waiting - 1);
    expect(server.requests).toHaveLength(1);
  });

  it('should not wait for a Retry-After of over a minute, and back off instead', async () => {
    const { server, llm } = await setup(
      { script: [{ status: 429, retryAfter: 3600 }, 'soon'] },
      { maxRetries: 1 },
    );
    const started = performance.now();
    expect((await llm.call(ask())).content).toBe('soon');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(server.requests).toHaveLength(2);
  });

  it('should give up on a persistent 500 after maxRetries + 1 requests', async () => {
    const { server, llm } = await setup(
      {
        handler: () => ({ status: 500, retryAfterMs: 10, body: { error: { message: 'upstream exploded' } } }),
      },
      { maxRetries: 2 },
    );
    const error = await failure(llm.call(ask()));
    expect(error).toBeInstanceOf(LLMError);
    expect((error as LLMError).status).toBe(500);
    expect(error.message).toMatch(/HTTP 500.*upstream exploded/);
    expect(server.requests).toHaveLength(3);
  });

  it('should not retry a 400 and should report the provider message and code', async () => {
    const body = { error: { message: 'context too long', code: 'context_length_exceeded' } };
    const { server, llm } = await setup({ script: [{ status: 400, body }] }, { maxRetries: 2 });
    const error = (await failure(llm.call(ask()))) as LLMError;
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/HTTP 400 Bad Request: context too long \[context_length_exceeded\]/);
    expect(server.requests).toHaveLength(1);
  });

  it('should report a malformed JSON body', async () => {
    const { llm } = await setup({ script: [{ fault: 'malformed' }] });
    const error = await failure(llm.call(ask()));
    expect(error).toBeInstanceOf(LLMError);
    expect(error.message).toMatch(/malformed response/);
  });

  it('should report valid JSON without choices as malformed', async () => {
    const { llm } = await setup({ script: [{ status: 200, body: { unexpected: true } }] });
    const error = await failure(llm.call(ask()));
    expect(error.message).toMatch(/malformed response.*choices/);
  });

  it('should report a dropped connection', async () => {
    const { llm } = await setup({ script: [{ fault: 'drop' }] });
    const error = await failure(llm.call(ask()));
    expect(error).toBeInstanceOf(LLMError);
    expect(error.message).toMatch(/connection dropped/);
  });

  it('should time out a server that never answers', async () => {
    const { llm } = await setup({ script: [{ fault: 'stall' }] }, { timeout: 200 });
    const started = performance.now();
    const error = await failure(llm.call(ask()));
    expect(error).toBeInstanceOf(LLMError);
    expect(error.message).toMatch(/timed out after 200 ms/);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it.each([false, true])(
    'should time out a body that stops after the headers (streaming: %s)',
    async (stream) => {
      const { llm } = await setup({ script: [{ fault: 'stall', afterHeaders: true }] }, { timeout: 200 });
      const onDelta = stream ? { onDelta: () => undefined } : {};
      const error = await failure(llm.call(ask('Hi', onDelta)));
      expect(error).toBeInstanceOf(LLMError);
      expect(error.message).toMatch(/timed out after 200 ms/);
    },
  );
});

describe('OpenAILLM abort', () => {
  it('should reject at once with AbortError and close the HTTP request', async () => {
    const { server, llm } = await setup({ script: [{ fault: 'stall' }] }, { timeout: 10_000 });
    const controller = new AbortController();
    const pending = failure(llm.call(ask('Hi', { signal: controller.signal })));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    expect(server.pendingResponses()).toBe(1);

    const abortedAt = performance.now();
    controller.abort();
    const error = await pending;

    expect(error.name).toBe('AbortError');
    expect(error).not.toBeInstanceOf(LLMError);
    expect(performance.now() - abortedAt).toBeLessThan(200);
    await vi.waitFor(() => expect(server.pendingResponses()).toBe(0), { timeout: 500 });
  });

  it('should reject at once when aborted while waiting to retry', async () => {
    const { server, llm } = await setup(
      { script: [{ status: 429, retryAfter: 5 }, 'late'] },
      { maxRetries: 1 },
    );
    const controller = new AbortController();
    const pending = failure(llm.call(ask('Hi', { signal: controller.signal })));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 50));

    const abortedAt = performance.now();
    controller.abort();
    expect((await pending).name).toBe('AbortError');
    expect(performance.now() - abortedAt).toBeLessThan(200);
  });

  it('should not send anything when the signal is already aborted', async () => {
    const { server, llm } = await setup({ script: ['never'] });
    const error = await failure(llm.call(ask('Hi', { signal: AbortSignal.abort() })));
    expect(error.name).toBe('AbortError');
    expect(server.requests).toHaveLength(0);
  });

  it('should abort a stream in progress', async () => {
    const { server, llm } = await setup(
      { script: [{ fault: 'stall', afterHeaders: true }] },
      { timeout: 10_000 },
    );
    const controller = new AbortController();
    const pending = failure(llm.call(ask('Hi', { signal: controller.signal, onDelta: () => undefined })));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect((await pending).name).toBe('AbortError');
    await vi.waitFor(() => expect(server.pendingResponses()).toBe(0), { timeout: 500 });
  });
});

describe('OpenAILLM streaming', () => {
  it('should stream text deltas in order and assemble content and usage', async () => {
    const { server, llm } = await setup({
      script: [{ content: 'The quick brown fox', usage: { prompt_tokens: 7, completion_tokens: 4 } }],
    });
    const deltas: string[] = [];

    const response = await llm.call(ask('Hi', { onDelta: (text) => deltas.push(text) }));

    expect(deltas).toEqual(['The ', 'quick ', 'brown ', 'fox']);
    expect(response).toEqual({
      content: 'The quick brown fox',
      usage: { promptTokens: 7, completionTokens: 4, totalTokens: 11 },
    });
    expect(server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('should assemble streamed tool calls by index', async () => {
    const { llm } = await setup({
      script: [
        {
          toolCalls: [
            { id: 'call_x', name: 'search', arguments: { query: 'statecharts', limit: 3 } },
            { id: 'call_y', name: 'fetch', arguments: { url: 'https://example.com' } },
          ],
        },
      ],
    });
    const deltas: string[] = [];
    const response = await llm.call(ask('Hi', { onDelta: (text) => deltas.push(text) }));
    expect(deltas).toEqual([]);
    expect(response.content).toBeNull();
    expect(response.toolCalls).toEqual([
      { id: 'call_x', name: 'search', arguments: '{"query":"statecharts","limit":3}' },
      { id: 'call_y', name: 'fetch', arguments: '{"url":"https://example.com"}' },
    ]);
  });

  it('should not stream when stream is false, even with onDelta', async () => {
    const { server, llm } = await setup({ script: ['whole answer'] }, { stream: false });
    const onDelta = vi.fn();
    const response = await llm.call(ask('Hi', { onDelta }));
    expect(response.content).toBe('whole answer');
    expect(onDelta).not.toHaveBeenCalled();
    expect(server.requests[0]!.body.stream).toBeUndefined();
  });

  it('should report a stream dropped midway after the text received so far', async () => {
    const { llm } = await setup({ script: [{ fault: 'drop' }] });
    const deltas: string[] = [];
    const error = await failure(llm.call(ask('Hi', { onDelta: (text) => deltas.push(text) })));
    expect(deltas).toEqual(['Partial ']);
    expect(error.message).toMatch(/connection dropped/);
  });
});

describe('OpenAILLM never leaks the API key', () => {
  const SECRET = 'sk-test-SECRET-123';
  const HEADER_SECRET = 'azure-SECRET-456';
  const echo = `Incorrect API key provided: ${SECRET} (header ${HEADER_SECRET})`;

  const faults: Array<[string, FakeOpenAIOptions['script'], boolean]> = [
    ['HTTP 500', [{ status: 500 }], false],
    ['HTTP 401 echoing the key', [{ status: 401, body: { error: { message: echo, code: SECRET } } }], false],
    ['HTTP 429 echoing the key as text', [{ status: 429, retryAfterMs: 1, body: echo }], false],
    ['malformed JSON', [{ fault: 'malformed' }], false],
    ['malformed stream', [{ fault: 'malformed' }], true],
    ['a JSON body of the wrong shape', [{ status: 200, body: { note: echo } }], false],
    ['dropped connection', [{ fault: 'drop' }], false],
    ['dropped stream', [{ fault: 'drop' }], true],
    ['stall', [{ fault: 'stall' }], false],
    ['stall after headers', [{ fault: 'stall', afterHeaders: true }], true],
  ];

  function assertClean(error: Error): void {
    const texts = [error.message, String(error), JSON.stringify(error), error.stack ?? ''];
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
      texts.push(String(cause), cause.stack ?? '', JSON.stringify(cause));
    }
    texts.push(inspect(error, { depth: 10, showHidden: true }));
    for (const text of texts) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(HEADER_SECRET);
    }
  }

  it.each(faults)('should keep the key out of the error for %s', async (_name, script, stream) => {
    vi.stubEnv('OPENAI_LOG', 'off');
    const { server, llm } = await setup(
      { script },
      { apiKey: SECRET, timeout: 200, maxRetries: 0, defaultHeaders: { 'api-key': HEADER_SECRET } },
    );
    const error = await failure(llm.call(ask('Hi', stream ? { onDelta: () => undefined } : {})));
    expect(error).toBeInstanceOf(LLMError);
    assertClean(error);
    expect(JSON.stringify(server.requests)).not.toContain(SECRET);
    expect(JSON.stringify(server.requests)).not.toContain(HEADER_SECRET);
  });

  it('should keep the key of a client passed in out of errors and of what the SDK logs', async () => {
    const logged: string[] = [];
    const capture = (...args: unknown[]) => void logged.push(args.map((arg) => inspect(arg)).join(' '));
    const logger = { error: capture, warn: capture, info: capture, debug: capture };
    for (const [name, script, stream] of faults) {
      const server = await startFakeOpenAI({ script });
      servers.push(server);
      const client = new OpenAI({ apiKey: SECRET, baseURL: server.url, timeout: 200, maxRetries: 0, logger });
      client.logLevel = 'info';
      const llm = new OpenAILLM({ model: 'gpt-test', client });
      const error = await failure(llm.call(ask('Hi', stream ? { onDelta: () => undefined } : {})));
      expect(error, name).toBeInstanceOf(LLMError);
      for (const text of [String(error), inspect(error, { depth: 10 })])
        expect(text, name).not.toContain(SECRET);
    }
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(SECRET);
  });

  it('should keep credential headers out of errors: any name that says so, and those of a client passed in', async () => {
    const cookie = 'session=COOKIE-SECRET-789';
    const echoed = (secret: string) => [
      { status: 401, body: { error: { message: `Bad credentials: ${secret}` } } },
    ];
    const own = await setup(
      { script: echoed(cookie) },
      { apiKey: SECRET, maxRetries: 0, defaultHeaders: { Cookie: cookie, 'X-Team': 'crew-a' } },
    );
    const first = await failure(own.llm.call(ask()));
    expect(first.message).toContain('Bad credentials: [redacted]');
    expect(inspect(first, { depth: 10 })).not.toContain(cookie);

    const server = await startFakeOpenAI({ script: echoed(HEADER_SECRET) });
    servers.push(server);
    const client = new OpenAI({
      apiKey: SECRET,
      baseURL: server.url,
      maxRetries: 0,
      defaultHeaders: { 'api-key': HEADER_SECRET },
    });
    const second = await failure(new OpenAILLM({ model: 'gpt-test', client }).call(ask()));
    expect(second.message).toContain('Bad credentials: [redacted]');
    assertClean(second);
  });

  it('should keep the key out of a connection-refused error', async () => {
    const gone = await startFakeOpenAI();
    await gone.close();
    const llm = new OpenAILLM({ model: 'gpt-test', apiKey: SECRET, baseURL: gone.url, maxRetries: 0 });
    const error = await failure(llm.call(ask()));
    expect(error).toBeInstanceOf(LLMError);
    expect(error.message).toMatch(/connection refused/);
    assertClean(error);
  });
});

describe('OpenAILLM and what a server sends that is not whole', () => {
  /** A server on 127.0.0.1 whose stream sends `pieces` and closes cleanly, with no finish_reason. */
  async function cutStream(pieces: string[]) {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const content of pieces) {
        const chunk = {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 0,
          model: 'm',
          choices: [{ index: 0, delta: { content }, finish_reason: null }],
        };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  /** A server on 127.0.0.1 whose stream sends SSE keep-alive comments every 50 ms for 400 ms, then its answer. */
  async function keepAliveStream() {
    const tick = () => new Promise((resolve) => setTimeout(resolve, 50));
    const server = createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 8; i++, await tick()) res.write(': keep-alive\n\n');
      const chunk = {
        id: 'c',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'm',
        choices: [
          { index: 0, delta: { role: 'assistant', content: 'slow but sure' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      };
      res.end(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  it("counts a stream's timeout from the last bytes received: keep-alive comments are not a stall", async () => {
    const server = await keepAliveStream();
    try {
      const llm = new OpenAILLM({
        model: 'm',
        baseURL: server.url,
        apiKey: KEY,
        maxRetries: 0,
        timeout: 200,
      });
      const response = await llm.call(ask('Hi', { onDelta: () => {} }));
      expect(response.content).toBe('slow but sure');
      expect(response.usage?.totalTokens).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('fails a stream that ends before the model said it finished, instead of taking the half answer', async () => {
    const server = await cutStream(['The answer ', 'is']);
    try {
      const llm = new OpenAILLM({ model: 'm', baseURL: server.url, apiKey: KEY, maxRetries: 0 });
      const error = await failure(llm.call(ask('Hi', { onDelta: () => {} })));
      expect(error).toBeInstanceOf(LLMError);
      expect(error.message).toMatch(/ended before the model finished/);
    } finally {
      await server.close();
    }
  });

  it('keeps a token given as the user name of a base URL out of its errors, also on a client passed in', async () => {
    const url = 'http://sk-tokenAsUser123@127.0.0.1:9/v1';
    for (const llm of [
      new OpenAILLM({ model: 'm', baseURL: url, apiKey: KEY, maxRetries: 0 }),
      new OpenAILLM({ model: 'm', client: new OpenAI({ baseURL: url, apiKey: KEY, maxRetries: 0 }) }),
    ]) {
      const error = await failure(llm.call(ask()));
      const shown = `${error.message} ${String((error as { cause?: Error }).cause?.message)} ${error.stack}`;
      expect(shown).not.toContain('sk-tokenAsUser123');
    }
  });

  it('keeps the password of a base URL out of its errors', async () => {
    const llm = new OpenAILLM({
      model: 'm',
      baseURL: 'http://user:hunter2pass@127.0.0.1:9/v1',
      apiKey: KEY,
      maxRetries: 0,
    });
    const error = await failure(llm.call(ask()));
    const shown = `${error.message} ${String((error as { cause?: Error }).cause?.message)} ${error.stack}`;
    expect(shown).not.toContain('hunter2pass');
  });

  it('refuses a base URL with credentials (which fetch never sends), saying what to do instead', async () => {
    const server = await startFakeOpenAI({ script: ['hi'] });
    servers.push(server);
    const withCredentials = server.url.replace('http://', 'http://user:hunter2pass@');
    vi.stubEnv('OPENAI_API_KEY', '');
    vi.stubEnv('OPENAI_BASE_URL', withCredentials);
    for (const llm of [
      new OpenAILLM({ model: 'm', baseURL: withCredentials, apiKey: KEY, maxRetries: 0 }),
      new OpenAILLM({ model: 'm', maxRetries: 0 }),
    ]) {
      const error = await failure(llm.call(ask()));
      expect(error).toBeInstanceOf(LLMError);
      expect(error.message).toMatch(/baseURL must not carry credentials.*defaultHeaders/);
      expect(error.message).not.toContain('hunter2pass');
    }
    expect(server.requests).toHaveLength(0);
  });
});
