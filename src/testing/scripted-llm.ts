import type { LLM, LLMRequest, LLMResponse, LLMUsage, ToolCall } from '../llm/types.js';

/** A scripted tool call; `arguments` may be an object (sent as JSON) and `id` is generated when omitted. */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments?: string | Record<string, unknown>;
}

/** A reply as a script writes it: a final answer, a response (tool calls may omit ids), or an Error to throw. */
export type ScriptedAnswer =
  string | { content?: string | null; toolCalls?: ScriptedToolCall[]; usage?: LLMUsage } | Error;

export type ScriptedReply =
  | ScriptedAnswer
  | ((request: LLMRequest) => ScriptedAnswer | LLMResponse | Promise<ScriptedAnswer | LLMResponse>);

export interface ScriptedLLMOptions {
  model?: string;
  /** false: the agent talks to this model with the ReAct text protocol. */
  supportsFunctionCalling?: boolean;
  /** Usage reported for every reply that sets none; default 10 prompt + 5 completion tokens. */
  usage?: LLMUsage;
}

/**
 * A model that answers from a list, in order, and records every request in `.calls`. A string is a
 * final answer; `{ toolCalls }` asks for tools; an Error is thrown; a function gets the request. A
 * function given alone (not in a list) is a handler: it answers every call.
 * @example
 * const llm = new ScriptedLLM([{ toolCalls: [{ name: 'search', arguments: { query: 'x' } }] }, 'Final answer']);
 */
export class ScriptedLLM implements LLM {
  readonly model: string;
  readonly supportsFunctionCalling: boolean;
  readonly calls: LLMRequest[] = [];
  readonly #script: ScriptedReply[];
  readonly #handler: Extract<ScriptedReply, (request: LLMRequest) => unknown> | undefined;
  readonly #usage: LLMUsage;
  #nextId = 0;

  constructor(script: ScriptedReply[] | ScriptedReply, options: ScriptedLLMOptions = {}) {
    this.#script = Array.isArray(script) ? [...script] : typeof script === 'function' ? [] : [script];
    this.#handler = typeof script === 'function' ? script : undefined;
    this.model = options.model ?? 'scripted';
    this.supportsFunctionCalling = options.supportsFunctionCalling ?? true;
    this.#usage = options.usage ?? { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
  }

  /** Replies not yet used (Infinity for a handler). */
  get remaining(): number {
    return this.#handler ? Infinity : this.#script.length;
  }

  /** Throws when some scripted replies were never asked for. */
  assertComplete(): void {
    if (this.#script.length > 0)
      throw new Error(`ScriptedLLM '${this.model}': ${this.#script.length} scripted replies unused`);
  }

  async call(request: LLMRequest): Promise<LLMResponse> {
    this.calls.push({ ...request, messages: [...request.messages] });
    if (request.signal?.aborted) throw abortError(request.signal);
    const reply = this.#handler ?? this.#script.shift();
    if (reply === undefined) {
      throw new Error(`ScriptedLLM '${this.model}' has no reply left for call ${this.calls.length}`);
    }
    const resolved =
      typeof reply === 'function' ? await withAbort(Promise.resolve(reply(request)), request.signal) : reply;
    if (resolved instanceof Error) throw resolved;
    const response = this.#toResponse(resolved);
    if (response.content) request.onDelta?.(response.content);
    return response;
  }

  #toResponse(reply: Exclude<ScriptedAnswer, Error> | LLMResponse): LLMResponse {
    if (typeof reply === 'string') return { content: reply, usage: this.#usage };
    const toolCalls = reply.toolCalls?.map((call) => this.#toolCall(call));
    return {
      content: reply.content ?? null,
      ...(toolCalls && toolCalls.length > 0 ? { toolCalls } : {}),
      usage: reply.usage ?? this.#usage,
    };
  }

  #toolCall(call: ScriptedToolCall | ToolCall): ToolCall {
    const args = call.arguments ?? {};
    return {
      id: call.id ?? `call_${++this.#nextId}`,
      name: call.name,
      arguments: typeof args === 'string' ? args : JSON.stringify(args),
    };
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
