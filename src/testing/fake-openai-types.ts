import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export interface FakeToolCall {
  /** Default `call_<request index>_<position>`. */
  id?: string;
  name: string;
  /** JSON text, or an object that is serialised for you. */
  arguments: string | object;
}

/** A normal answer. Usage defaults to 10 prompt + 5 completion tokens; `total_tokens` to their sum. */
export interface FakeMessageReply {
  content?: string | null;
  toolCalls?: FakeToolCall[];
  refusal?: string;
  usage?: Partial<FakeUsage>;
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  latencyMs?: number;
}

/**
 * A raw answer with any status: usually an error, or a 200 whose body has the wrong shape.
 * `retryAfter` (seconds) and `retryAfterMs` set the headers OpenAI clients honour.
 */
export interface FakeStatusReply {
  status: number;
  retryAfter?: number;
  retryAfterMs?: number;
  headers?: Record<string, string>;
  /** Default `{ error: { message, type, code } }` like OpenAI's; a string is sent as text. */
  body?: unknown;
  latencyMs?: number;
}

/**
 * - `malformed`: 200 with a body that is not valid JSON (or an invalid SSE event when streaming).
 * - `drop`: headers and part of the body, then the socket is destroyed.
 * - `stall`: never answers (with `afterHeaders`, sends 200 headers first); released by `close()`.
 */
export type FakeFaultReply =
  | { fault: 'malformed' | 'drop'; latencyMs?: number }
  | { fault: 'stall'; afterHeaders?: boolean; latencyMs?: number };

/** A string is a final answer's content. */
export type FakeReply = string | FakeMessageReply | FakeStatusReply | FakeFaultReply;

export interface RecordedRequest {
  /** Position among the chat completion requests this server received, from 0. */
  index: number;
  method: string;
  path: string;
  /** Lower-cased names; credentials (authorization, api-key, cookies) are never recorded. */
  headers: Record<string, string>;
  body: ChatCompletionCreateParams;
}

export type FakeHandler = (request: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAIOptions {
  /** Replies used in order; when they run out the `handler` answers, or a 500 says so. */
  script?: FakeReply[];
  handler?: FakeHandler;
  /** Default 0 (any free port). The server always binds 127.0.0.1. */
  port?: number;
}

export interface FakeOpenAIServer {
  /** Base URL ending in `/v1`, ready for `new OpenAI({ baseURL })` or `OpenAILLM({ baseURL })`. */
  url: string;
  requests: RecordedRequest[];
  /** TCP connections currently open, idle keep-alive ones included. */
  openConnections(): number;
  /**
   * Chat requests still waiting for their response to finish (stalled, slow, or mid-stream); one
   * leaves this count as soon as the client hangs up, which is how tests see an abort reach the server.
   */
  pendingResponses(): number;
  /** Script replies not used yet. */
  remaining(): number;
  /** Destroys open sockets (releasing stalls) and stops listening. */
  close(): Promise<void>;
}
