import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  startFakeOpenAI,
  type FakeOpenAIOptions,
  type FakeOpenAIServer,
} from '../../src/testing/fake-openai.js';

const servers: FakeOpenAIServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options?: FakeOpenAIOptions): Promise<FakeOpenAIServer> {
  const server = await startFakeOpenAI(options);
  servers.push(server);
  return server;
}

interface PostOptions {
  /** Relative to the base URL (…/v1); default `/chat/completions`. */
  path?: string;
  /** From the server root instead, e.g. `/chat/completions` without `/v1`. */
  rootPath?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function post(server: FakeOpenAIServer, options: PostOptions = {}): Promise<Response> {
  const body = options.body ?? { model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] };
  const url = options.rootPath
    ? new URL(options.rootPath, server.url).href
    : `${server.url}${options.path ?? '/chat/completions'}`;
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

interface SseChunk {
  object: string;
  choices: Array<{ delta: unknown; finish_reason: string | null }>;
  usage?: unknown;
}

/** The `data:` payloads of an SSE body: the JSON chunks, and whether `[DONE]` came last. */
function events(text: string): { chunks: SseChunk[]; done: boolean } {
  const data = text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
  const done = data.at(-1) === '[DONE]';
  return { chunks: (done ? data.slice(0, -1) : data).map((d) => JSON.parse(d) as SseChunk), done };
}

describe('startFakeOpenAI', () => {
  it('should listen on 127.0.0.1 with a base URL ending in /v1', async () => {
    const server = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(Number(new URL(server.url).port)).toBeGreaterThan(0);
  });

  it('should answer a chat completion in the OpenAI shape with default usage', async () => {
    const server = await start({ script: ['Hello there'] });
    const response = await post(server);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: 'chatcmpl-fake-0',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-fake',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  });

  it('should work with the official client on both /v1/chat/completions and /chat/completions', async () => {
    const server = await start({ script: ['one', 'two'] });
    const client = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    const first = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'a' }],
    });
    const second = await post(server, { rootPath: '/chat/completions' });
    expect(first.choices[0]!.message.content).toBe('one');
    expect(
      ((await second.json()) as { choices: [{ message: { content: string } }] }).choices[0].message.content,
    ).toBe('two');
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/chat/completions', '/chat/completions']);
  });

  it('should answer tool calls, serialising object arguments and numbering default ids', async () => {
    const server = await start({
      script: [
        {
          toolCalls: [
            { name: 'search', arguments: { q: 'x' } },
            { id: 'mine', name: 'f', arguments: '{}' },
          ],
        },
      ],
    });
    const body = (await (await post(server)).json()) as { choices: Array<Record<string, unknown>> };
    expect(body.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [
          { id: 'call_0_0', type: 'function', function: { name: 'search', arguments: '{"q":"x"}' } },
          { id: 'mine', type: 'function', function: { name: 'f', arguments: '{}' } },
        ],
      },
    });
  });

  it('should stream chat.completion.chunk events with a usage chunk and [DONE]', async () => {
    const server = await start({
      script: [{ content: 'Hi you', usage: { prompt_tokens: 3, completion_tokens: 2 } }],
    });
    const response = await post(server, {
      body: { model: 'm', messages: [], stream: true, stream_options: { include_usage: true } },
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const { chunks: data, done } = events(await response.text());

    expect(done).toBe(true);
    expect(data.slice(0, 3).map((c) => c.choices[0]!.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi ' },
      { content: 'you' },
    ]);
    expect(data[3]!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(data[4]).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });

  it('should leave the usage chunk out when include_usage is not asked for', async () => {
    const server = await start({ script: ['Hi'] });
    const response = await post(server, { body: { model: 'm', messages: [], stream: true } });
    const { chunks, done } = events(await response.text());
    expect(done).toBe(true);
    expect(chunks.filter((c) => c.usage)).toEqual([]);
  });

  it('should stream tool calls in pieces keyed by index', async () => {
    const server = await start({
      script: [{ toolCalls: [{ id: 'c1', name: 'search', arguments: '{"q":"abc"}' }] }],
    });
    const response = await post(server, { body: { model: 'm', messages: [], stream: true } });
    const deltas = events(await response.text()).chunks.map((c) => c.choices[0]?.delta);
    expect(deltas).toEqual([
      { role: 'assistant', content: null },
      { tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'search', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"q":"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'abc"}' } }] },
      {},
    ]);
  });

  it('should record parsed bodies and headers without credentials', async () => {
    const server = await start({ script: ['ok'] });
    await post(server, {
      headers: { authorization: 'Bearer sk-hidden', 'api-key': 'also-hidden', 'x-trace': 't1' },
    });
    const [request] = server.requests;
    expect(request).toMatchObject({ index: 0, method: 'POST', path: '/v1/chat/completions' });
    expect(request!.body).toEqual({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] });
    expect(request!.headers['x-trace']).toBe('t1');
    expect(JSON.stringify(request)).not.toMatch(/hidden/);
  });

  it('should answer 500 with x-should-retry: false once the script is exhausted', async () => {
    const server = await start({ script: ['only one'] });
    await post(server);
    const response = await post(server);
    expect(response.status).toBe(500);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(await response.text()).toMatch(/script exhausted/);
    expect(server.remaining()).toBe(0);
  });

  it('should use the handler once the script is used up, with the request and its index', async () => {
    const handler = vi.fn((request: { body: { messages: unknown[] } }, index: number) => `#${index}`);
    const server = await start({ script: ['scripted'], handler });
    const texts: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const body = (await (await post(server)).json()) as { choices: [{ message: { content: string } }] };
      texts.push(body.choices[0].message.content);
    }
    expect(texts).toEqual(['scripted', '#1', '#2']);
    expect(handler.mock.calls[0]![0]).toBe(server.requests[1]);
  });

  it('should turn a throwing handler into a 500 that names the error', async () => {
    const server = await start({
      handler: () => {
        throw new Error('handler broke');
      },
    });
    const response = await post(server);
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/handler broke/);
  });

  it('should reject unknown routes with 404 and bodies that are not JSON with 400', async () => {
    const server = await start({ script: ['unused'] });
    expect((await post(server, { path: '/embeddings' })).status).toBe(404);
    expect((await post(server, { body: 'not json' })).status).toBe(400);
    expect(server.requests).toHaveLength(0);
    expect(server.remaining()).toBe(1);
  });
});

describe('startFakeOpenAI faults', () => {
  it('should send status errors with Retry-After, retry-after-ms, extra headers and a custom body', async () => {
    const server = await start({
      script: [
        { status: 429, retryAfter: 2, retryAfterMs: 1500, headers: { 'x-extra': '1' } },
        { status: 503, body: 'plain text failure' },
      ],
    });
    const limited = await post(server);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('retry-after-ms')).toBe('1500');
    expect(limited.headers.get('x-extra')).toBe('1');
    expect(await limited.json()).toMatchObject({ error: { message: expect.stringMatching(/429/) } });
    const unavailable = await post(server);
    expect(unavailable.status).toBe(503);
    expect(await unavailable.text()).toBe('plain text failure');
  });

  it('should wait latencyMs before answering', async () => {
    const server = await start({ script: [{ content: 'slow', latencyMs: 150 }] });
    const started = performance.now();
    await (await post(server)).json();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('should send an invalid JSON body with status 200 for malformed', async () => {
    const server = await start({ script: [{ fault: 'malformed' }] });
    const response = await post(server);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('should destroy the socket after the headers for drop', async () => {
    const server = await start({ script: [{ fault: 'drop' }] });
    const response = await post(server);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it('should hold a stall open until the client hangs up', async () => {
    const server = await start({ script: [{ fault: 'stall' }] });
    const controller = new AbortController();
    const pending = post(server, { signal: controller.signal }).catch((error: Error) => error.name);
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    expect(server.pendingResponses()).toBe(1);
    expect(server.openConnections()).toBeGreaterThanOrEqual(1);
    controller.abort();
    expect(await pending).toBe('AbortError');
    await vi.waitFor(() => expect(server.pendingResponses()).toBe(0), { timeout: 500 });
  });

  it('should send only the headers for a stall afterHeaders', async () => {
    const server = await start({ script: [{ fault: 'stall', afterHeaders: true }] });
    const response = await post(server);
    expect(response.status).toBe(200);
    expect(server.pendingResponses()).toBe(1);
  });

  it('should release stalls and slow replies on close', async () => {
    const server = await startFakeOpenAI({
      script: [{ fault: 'stall' }, { content: 'late', latencyMs: 10_000 }],
    });
    const outcomes = [post(server), post(server)].map((p) =>
      p.then(
        () => 'answered',
        () => 'closed',
      ),
    );
    await vi.waitFor(() => expect(server.requests).toHaveLength(2));
    const started = performance.now();
    await server.close();
    expect(await Promise.all(outcomes)).toEqual(['closed', 'closed']);
    expect(performance.now() - started).toBeLessThan(500);
    expect(server.openConnections()).toBe(0);
  });
});
