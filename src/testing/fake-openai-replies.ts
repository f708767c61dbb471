import type { ServerResponse } from 'node:http';
import type { FakeFaultReply, FakeMessageReply, FakeStatusReply, FakeUsage } from './fake-openai-types.js';

/** What a reply needs to know about the request it answers. */
export interface ReplyContext {
  index: number;
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

// Fixed, so recorded answers are byte-for-byte reproducible.
const CREATED = 1_700_000_000;

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export function usageOf(reply: FakeMessageReply): FakeUsage {
  const prompt = reply.usage?.prompt_tokens ?? 10;
  const completion = reply.usage?.completion_tokens ?? 5;
  return {
    ...reply.usage,
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function wireToolCalls(reply: FakeMessageReply, index: number): WireToolCall[] {
  return (reply.toolCalls ?? []).map((call, position) => ({
    id: call.id ?? `call_${index}_${position}`,
    type: 'function',
    function: {
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
}

function finishReason(reply: FakeMessageReply): string {
  return reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop');
}

export function writeMessage(res: ServerResponse, reply: FakeMessageReply, ctx: ReplyContext): void {
  if (ctx.stream) {
    writeStream(res, reply, ctx);
    return;
  }
  const toolCalls = wireToolCalls(reply, ctx.index);
  const message = {
    role: 'assistant',
    content: reply.content === undefined ? (toolCalls.length ? null : '') : reply.content,
    refusal: reply.refusal ?? null,
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
  };
  sendJson(res, 200, {
    id: `chatcmpl-fake-${ctx.index}`,
    object: 'chat.completion',
    created: CREATED,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    usage: usageOf(reply),
  });
}

/** Splits text the way models stream it: a word with its trailing space per piece. */
export function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function streamDeltas(reply: FakeMessageReply, index: number): object[] {
  const toolCalls = wireToolCalls(reply, index);
  const text = reply.content ?? null;
  const deltas: object[] = [{ role: 'assistant', content: text === null ? null : '' }];
  if (reply.refusal) deltas.push({ refusal: reply.refusal });
  for (const piece of pieces(text ?? '')) deltas.push({ content: piece });
  toolCalls.forEach((call, position) => {
    const args = call.function.arguments;
    const half = Math.ceil(args.length / 2);
    const head = {
      index: position,
      id: call.id,
      type: 'function',
      function: { name: call.function.name, arguments: '' },
    };
    deltas.push({ tool_calls: [head] });
    for (const part of [args.slice(0, half), args.slice(half)].filter(Boolean)) {
      deltas.push({ tool_calls: [{ index: position, function: { arguments: part } }] });
    }
  });
  return deltas;
}

function chunk(ctx: ReplyContext, delta: object, finish: string | null = null): object {
  return {
    id: `chatcmpl-fake-${ctx.index}`,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: ctx.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

function sendEvent(res: ServerResponse, data: object | string): void {
  res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

function writeStream(res: ServerResponse, reply: FakeMessageReply, ctx: ReplyContext): void {
  startStream(res);
  for (const delta of streamDeltas(reply, ctx.index)) sendEvent(res, chunk(ctx, delta));
  sendEvent(res, chunk(ctx, {}, finishReason(reply)));
  if (ctx.includeUsage) {
    const { choices: _omit, ...base } = chunk(ctx, {}) as { choices: unknown };
    sendEvent(res, { ...base, choices: [], usage: usageOf(reply) });
  }
  sendEvent(res, '[DONE]');
  res.end();
}

export function writeStatus(res: ServerResponse, reply: FakeStatusReply): void {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
  if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = String(reply.retryAfterMs);
  const body = reply.body ?? {
    error: {
      message: `fake-openai: scripted HTTP ${reply.status}`,
      type: 'fake_error',
      param: null,
      code: null,
    },
  };
  if (typeof body === 'string') {
    res.writeHead(reply.status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
    return;
  }
  sendJson(res, reply.status, body, headers);
}

/** Writes a fault; a stall writes nothing (or only headers) and leaves the response open. */
export function writeFault(res: ServerResponse, reply: FakeFaultReply, ctx: ReplyContext): void {
  switch (reply.fault) {
    case 'malformed':
      return writeMalformed(res, ctx);
    case 'drop':
      return writeDrop(res, ctx);
    case 'stall':
      if (!reply.afterHeaders) return;
      if (!ctx.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        return;
      }
      startStream(res);
      sendEvent(res, chunk(ctx, { role: 'assistant', content: '' }));
  }
}

function writeMalformed(res: ServerResponse, ctx: ReplyContext): void {
  const broken = `{"id": "chatcmpl-fake-${ctx.index}", "choices": [{"message": `;
  if (!ctx.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(broken);
    return;
  }
  startStream(res);
  sendEvent(res, broken);
  sendEvent(res, '[DONE]');
  res.end();
}

function writeDrop(res: ServerResponse, ctx: ReplyContext): void {
  const destroy = () => res.socket?.destroy();
  if (!ctx.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`{"id": "chatcmpl-fake-${ctx.index}", "object": "chat.completion", "choices": [`, destroy);
    return;
  }
  startStream(res);
  res.write(`data: ${JSON.stringify(chunk(ctx, { role: 'assistant', content: 'Partial ' }))}\n\n`, destroy);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
