import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { sendJson, writeFault, writeMessage, writeStatus, type ReplyContext } from './fake-openai-replies.js';
import type { FakeOpenAIOptions, FakeOpenAIServer, FakeReply, RecordedRequest } from './fake-openai-types.js';

export type * from './fake-openai-types.js';

const HOST = '127.0.0.1';
const CHAT_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'cookie']);
/** Test-harness errors must surface at once, not after the client's retries. */
const NO_RETRY = { 'x-should-retry': 'false' };

/**
 * Starts an OpenAI-compatible Chat Completions server on 127.0.0.1, answering from a script or a
 * handler, with fault injection (status codes, Retry-After, latency, malformed bodies, drops, stalls).
 *
 * @example
 * const server = await startFakeOpenAI({ script: [{ toolCalls: [{ name: 'search', arguments: { q: 'x' } }] }, 'Done'] });
 * const llm = new OpenAILLM({ model: 'gpt-4o-mini', baseURL: server.url, apiKey: 'test' });
 * // … run, then inspect server.requests
 * await server.close();
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const script = [...(options.script ?? [])];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const pending = new Set<ServerResponse>();
  const closing = new AbortController();

  const nextReply = async (request: RecordedRequest): Promise<FakeReply> => {
    const scripted = script.shift();
    if (scripted !== undefined) return scripted;
    if (options.handler) return options.handler(request, request.index);
    const used = (options.script?.length ?? 0).toString();
    return exhausted(`fake-openai: script exhausted (${used} replies) at request #${request.index}`);
  };

  const server = createServer((req, res) => {
    pending.add(res);
    res.on('close', () => pending.delete(res));
    handle(req, res, { requests, nextReply, signal: closing.signal }).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(`fake-openai: ${String(error)}`), NO_RETRY);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${HOST}:${port}/v1`,
    requests,
    openConnections: () => sockets.size,
    pendingResponses: () => pending.size,
    remaining: () => script.length,
    close: async () => {
      closing.abort();
      const closed = [...sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
      for (const socket of sockets) socket.destroy();
      await Promise.all([...closed, new Promise<void>((resolve) => server.close(() => resolve()))]);
    },
  };
}

interface HandleEnv {
  requests: RecordedRequest[];
  nextReply: (request: RecordedRequest) => Promise<FakeReply>;
  signal: AbortSignal;
}

async function handle(req: IncomingMessage, res: ServerResponse, env: HandleEnv): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'POST' || !CHAT_PATHS.has(path)) {
    sendJson(res, 404, errorBody(`fake-openai: no route for ${req.method ?? '?'} ${path}`), NO_RETRY);
    return;
  }
  const body = parseBody(await readBody(req));
  if (!body) {
    sendJson(res, 400, errorBody('fake-openai: the request body is not a JSON object'), NO_RETRY);
    return;
  }
  const request: RecordedRequest = {
    index: env.requests.length,
    method: req.method,
    path,
    headers: safeHeaders(req),
    body,
  };
  env.requests.push(request);
  const reply = await env.nextReply(request);
  await answer(res, reply, replyContext(request), env.signal);
}

async function answer(
  res: ServerResponse,
  reply: FakeReply,
  ctx: ReplyContext,
  signal: AbortSignal,
): Promise<void> {
  const latency = typeof reply === 'string' ? 0 : (reply.latencyMs ?? 0);
  if (latency > 0) {
    const waited = await sleep(latency, true, { signal }).catch(() => false);
    if (!waited) return;
  }
  if (res.destroyed) return;
  if (typeof reply === 'string') writeMessage(res, { content: reply }, ctx);
  else if ('fault' in reply) writeFault(res, reply, ctx);
  else if ('status' in reply) writeStatus(res, reply);
  else writeMessage(res, reply, ctx);
}

function replyContext(request: RecordedRequest): ReplyContext {
  const body = request.body as {
    model?: unknown;
    stream?: unknown;
    stream_options?: { include_usage?: unknown };
  };
  return {
    index: request.index,
    model: typeof body.model === 'string' ? body.model : 'fake-model',
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseBody(text: string): ChatCompletionCreateParams | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as ChatCompletionCreateParams)
      : undefined;
  } catch {
    return undefined;
  }
}

function safeHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (SECRET_HEADERS.has(name) || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function errorBody(message: string): object {
  return { error: { message, type: 'fake_openai_error', param: null, code: null } };
}

function exhausted(message: string): FakeReply {
  return { status: 500, headers: NO_RETRY, body: errorBody(message) };
}
