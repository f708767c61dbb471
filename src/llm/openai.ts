import OpenAI from 'openai';
import { LLMError } from '../errors.js';
import { abortError, AbortLink } from './abort.js';
import { IdleTimer } from './idle-timer.js';
import { ON_BYTES, watchedFetch } from './watched-fetch.js';
import { toLLMError, type ErrorContext } from './openai-errors.js';
import { isRetryable, pause, retryDelayMs } from './retry.js';
import { fromCompletion, toChatParams, unwrapContent, wrapsRoot } from './openai-mapping.js';
import { readChatStream } from './openai-stream.js';
import { Redactor } from './redact.js';
import type { LLM, LLMRequest, LLMResponse } from './types.js';

export interface OpenAILLMOptions {
  model: string;
  /** Default: `process.env.OPENAI_API_KEY`, read on the first call. */
  apiKey?: string;
  /** Default: `process.env.OPENAI_BASE_URL`; any OpenAI-compatible server (Ollama, vLLM, LM Studio…). */
  baseURL?: string;
  temperature?: number;
  /** Retries of 408/409/429/5xx and connection errors, honouring `Retry-After`. Default 2. */
  maxRetries?: number;
  /** Milliseconds to wait for a response, and at most between two pieces of it. Default 600 000 (the SDK's). */
  timeout?: number;
  /** Stream the answer when the request has `onDelta`. Default true. */
  stream?: boolean;
  defaultHeaders?: Record<string, string>;
  /** A ready client; `apiKey`, `baseURL` and `defaultHeaders` are then ignored. */
  client?: OpenAI;
  /**
   * Default true: tools are sent as native function definitions. False: agents talk to this model with
   * the ReAct text protocol (for models a server runs without tool support, e.g. some on Ollama).
   */
  supportsFunctionCalling?: boolean;
}

const DEFAULT_MAX_RETRIES = 2;
/**
 * The openai SDK's own default (10 minutes): a request that is not streamed gets its headers only when
 * the whole answer is written, and a reasoning model or a long answer takes minutes.
 */
const DEFAULT_TIMEOUT_MS = 600_000;
/** Local servers (Ollama, vLLM) ignore the key, but the SDK refuses to build a client without one. */
const PLACEHOLDER_KEY = 'statecrew-no-key';
const SECRET_HEADER = /key|auth|token|secret|cookie|session|passw|credential|signature/i;

interface Connection {
  client: OpenAI;
  redactor: Redactor;
}

/**
 * The `LLM` for OpenAI and every OpenAI-compatible server, over Chat Completions.
 *
 * @example
 * const llm = new OpenAILLM({ model: 'gpt-4o-mini', temperature: 0 });
 * const local = new OpenAILLM({ model: 'llama3.1', baseURL: 'http://localhost:11434/v1' });
 * // A model served without tool support: agents use the ReAct text protocol with it.
 * const plain = new OpenAILLM({ model: 'gemma2', baseURL: '…/v1', supportsFunctionCalling: false });
 */
export class OpenAILLM implements LLM {
  readonly model: string;
  readonly supportsFunctionCalling: boolean;
  readonly #options: OpenAILLMOptions;
  #connection: Connection | undefined;

  constructor(options: OpenAILLMOptions) {
    this.model = options.model;
    this.supportsFunctionCalling = options.supportsFunctionCalling ?? true;
    this.#options = { ...options };
  }

  async call(request: LLMRequest): Promise<LLMResponse> {
    const { signal } = request;
    if (signal?.aborted) throw abortError(signal);
    const { client, redactor } = this.#connect();
    const ctx = this.#errorContext(client, redactor, signal);
    // A client the user passed in may come from another copy of the SDK (whose errors our checks would not
    // recognise): it keeps retrying itself, as before.
    const ours = !this.#options.client;
    const retries = ours ? ctx.attempts - 1 : 0;
    // Retried here, not by the SDK, whose wait between attempts an abort cannot end.
    for (let retry = 0; ; retry++) {
      try {
        return await this.#attempt(client, request, ctx);
      } catch (error) {
        if (signal?.aborted || ctx.idleTimedOut || retry >= retries || !isRetryable(error)) {
          throw toLLMError(error, ours ? { ...ctx, attempts: retry + 1 } : ctx);
        }
        await pause(retryDelayMs(error, retry), signal);
      }
    }
  }

  /** One request: the caller's abort and our idle timer end it; errors are thrown as they came. */
  async #attempt(client: OpenAI, request: LLMRequest, ctx: ErrorContext): Promise<LLMResponse> {
    const link = new AbortLink(request.signal);
    const idle = new IdleTimer(ctx.timeoutMs, () => {
      ctx.idleTimedOut = true;
      link.controller.abort();
    });
    try {
      const internal = link.controller.signal;
      const work = this.#wantsStream(request)
        ? this.#streamed(client, request, internal, idle)
        : this.#plain(client, request, internal, idle);
      const response = await link.race(work);
      if (ctx.idleTimedOut) throw new Error('the response stopped arriving');
      const format = request.responseFormat;
      return format && wrapsRoot(format.schema)
        ? { ...response, content: unwrapContent(response.content) }
        : response;
    } finally {
      idle.stop();
      link.close();
    }
  }

  #errorContext(client: OpenAI, redactor: Redactor, signal: AbortSignal | undefined): ErrorContext {
    return {
      model: this.model,
      timeoutMs: this.#options.timeout ?? client.timeout,
      attempts: 1 + (this.#options.maxRetries ?? client.maxRetries),
      redactor,
      idleTimedOut: false,
      ...(signal ? { signal } : {}),
    };
  }

  #wantsStream(request: LLMRequest): boolean {
    return request.onDelta !== undefined && this.#options.stream !== false;
  }

  async #plain(
    client: OpenAI,
    request: LLMRequest,
    signal: AbortSignal,
    idle: IdleTimer,
  ): Promise<LLMResponse> {
    const pending = client.chat.completions.create(this.#params(request), this.#requestOptions(signal));
    // Headers are in: from here on the SDK's timeout no longer applies, so ours takes over.
    pending.asResponse().then(
      () => idle.kick(),
      () => undefined,
    );
    return fromCompletion(await pending);
  }

  async #streamed(
    client: OpenAI,
    request: LLMRequest,
    signal: AbortSignal,
    idle: IdleTimer,
  ): Promise<LLMResponse> {
    const params = {
      ...this.#params(request),
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const stream = await client.chat.completions.create(params, this.#requestOptions(signal, idle));
    idle.kick();
    return readChatStream(stream, request.onDelta, () => idle.kick());
  }

  #params(request: LLMRequest) {
    const { temperature } = this.#options;
    return toChatParams(request, {
      model: this.model,
      ...(temperature !== undefined ? { temperature } : {}),
    });
  }

  /**
   * Our own client makes one attempt (`call` retries); on a stream it tells the idle timer of every piece
   * that arrives (`watchedFetch`: a server's keep-alive comments are not a stall; a plain answer, sent in one
   * go once generated, is not watched, which would cost every call). A client the user passed in gets only
   * what they set explicitly here, and keeps its own settings otherwise.
   */
  #requestOptions(signal: AbortSignal, streamIdle?: IdleTimer): OpenAI.RequestOptions {
    const { maxRetries, timeout, client } = this.#options;
    const retries = client ? maxRetries : 0;
    const watched =
      client || !streamIdle
        ? {}
        : { fetchOptions: { [ON_BYTES]: () => streamIdle.kick() } as OpenAI.RequestOptions['fetchOptions'] };
    return {
      signal,
      ...(retries !== undefined ? { maxRetries: retries } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...watched,
    };
  }

  #connect(): Connection {
    this.#connection ??= this.#options.client ? this.#wrap(this.#options.client) : this.#create();
    return this.#connection;
  }

  #wrap(client: OpenAI): Connection {
    // The client's own headers may carry credentials too (an Azure `api-key`, a gateway's cookie).
    const own = (client as unknown as { _options?: { defaultHeaders?: unknown } })._options?.defaultHeaders;
    const keys = [client.apiKey, ...urlCredentials(client.baseURL), ...secretHeaderValues(own)];
    return { client, redactor: this.#redactor(keys) };
  }

  #create(): Connection {
    const { maxRetries, timeout, defaultHeaders } = this.#options;
    const apiKey = nonEmpty(this.#options.apiKey) ?? nonEmpty(process.env.OPENAI_API_KEY);
    const baseURL = nonEmpty(this.#options.baseURL) ?? nonEmpty(process.env.OPENAI_BASE_URL);
    if (!apiKey && !baseURL) {
      throw new LLMError(
        `Model "${this.model}" has no API key: set OPENAI_API_KEY (or pass apiKey), or set ` +
          'OPENAI_BASE_URL (or pass baseURL) to use a local OpenAI-compatible server such as Ollama.',
      );
    }
    const redactor = this.#redactor([apiKey]);
    if (baseURL && urlCredentials(baseURL).length > 0) {
      // Node's fetch refuses such a URL on every request, as a "connection" error: say what to do instead.
      throw new LLMError(
        `Model "${this.model}": baseURL must not carry credentials (user:password@host): fetch refuses ` +
          'URLs with them. Pass the key as apiKey, or the credentials in defaultHeaders (e.g. Authorization).',
      );
    }
    try {
      const client = new OpenAI({
        apiKey: apiKey ?? PLACEHOLDER_KEY,
        ...(baseURL ? { baseURL } : {}),
        maxRetries: maxRetries ?? DEFAULT_MAX_RETRIES,
        timeout: timeout ?? DEFAULT_TIMEOUT_MS,
        ...(defaultHeaders ? { defaultHeaders } : {}),
        fetch: watchedFetch,
      });
      return { client, redactor };
    } catch (error) {
      throw toLLMError(error, {
        model: this.model,
        timeoutMs: 0,
        attempts: 1,
        redactor,
        idleTimedOut: false,
      });
    }
  }

  #redactor(keys: Array<string | null | undefined>): Redactor {
    const headerSecrets = secretHeaderValues(this.#options.defaultHeaders);
    return new Redactor([
      ...keys,
      this.#options.apiKey,
      process.env.OPENAI_API_KEY,
      ...headerSecrets,
      ...urlCredentials(nonEmpty(this.#options.baseURL) ?? nonEmpty(process.env.OPENAI_BASE_URL)),
    ]);
  }
}

/**
 * The credentials a base URL carries (`http://user:pass@host/v1`, or a token as the user name), as they
 * may appear in errors, raw and decoded.
 */
function urlCredentials(baseURL: string | undefined): string[] {
  if (!baseURL) return [];
  try {
    const { username, password } = new URL(baseURL);
    // A user name beside a password is not a secret (and may be a common word); alone, it is the token.
    const parts = password ? [password, `${username}:${password}`] : [username];
    return [...parts, ...parts.map(decoded)].filter(Boolean);
  } catch {
    return [];
  }
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value ? value : undefined;
}

/** The values of headers whose names say they carry a credential, from any form headers are given in. */
function secretHeaderValues(headers: unknown): string[] {
  let entries: Array<[string, unknown]> = [];
  if (headers instanceof Headers) entries = [...headers.entries()];
  else if (Array.isArray(headers)) entries = headers.filter((h): h is [string, unknown] => Array.isArray(h));
  else if (typeof headers === 'object' && headers !== null) entries = Object.entries(headers);
  return entries
    .filter(([name, value]) => SECRET_HEADER.test(String(name)) && typeof value === 'string')
    .map(([, value]) => value as string);
}
