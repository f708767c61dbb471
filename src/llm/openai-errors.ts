import { STATUS_CODES } from 'node:http';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LLMError } from '../errors.js';
import { abortError } from './abort.js';
import { MalformedResponseError } from './openai-mapping.js';
import { redactedCopy, type Redactor } from './redact.js';

export interface ErrorContext {
  model: string;
  timeoutMs: number;
  /** 1 + the retries the client may make. */
  attempts: number;
  redactor: Redactor;
  signal?: AbortSignal;
  /** Set when our own watchdog cut a body that stopped arriving. */
  idleTimedOut: boolean;
}

/** Turns anything the SDK or the network threw into an LLMError (or the caller's AbortError). */
export function toLLMError(error: unknown, ctx: ErrorContext): Error {
  if (ctx.signal?.aborted) return abortError(ctx.signal);
  if (error instanceof LLMError) return error;
  const { message, status } = describe(error, ctx);
  const text = ctx.redactor.text(`Model "${ctx.model}": ${message}`);
  return new LLMError(text, {
    cause: redactedCopy(error, ctx.redactor),
    ...(status !== undefined ? { status } : {}),
  });
}

function describe(error: unknown, ctx: ErrorContext): { message: string; status?: number } {
  if (ctx.idleTimedOut) {
    return { message: `timed out after ${ctx.timeoutMs} ms waiting for the rest of the response` };
  }
  if (error instanceof APIConnectionTimeoutError) {
    const tries = ctx.attempts > 1 ? ` (tried ${ctx.attempts} times)` : '';
    return { message: `request timed out after ${ctx.timeoutMs} ms without a response${tries}` };
  }
  if (error instanceof APIUserAbortError) return { message: 'request was aborted' };
  if (error instanceof APIConnectionError) return { message: connectionMessage(error) };
  if (error instanceof APIError) return statusMessage(error);
  if (error instanceof MalformedResponseError || error instanceof SyntaxError) {
    return { message: `malformed response from the server (${messageOf(error)})` };
  }
  if (isDroppedConnection(error)) {
    return { message: `connection dropped before the response was complete (${rootMessage(error)})` };
  }
  return { message: `request failed: ${messageOf(error)}` };
}

function statusMessage(error: APIError): { message: string; status?: number } {
  const body = error.error as { message?: unknown } | undefined;
  const provider = typeof body?.message === 'string' ? body.message : error.message;
  const code = typeof error.code === 'string' && error.code ? ` [${error.code}]` : '';
  if (error.status === undefined) {
    return { message: `the server reported an error in the response stream: ${provider}${code}` };
  }
  const reason = STATUS_CODES[error.status] ?? 'error';
  return { message: `HTTP ${error.status} ${reason}: ${provider}${code}`, status: error.status };
}

function connectionMessage(error: APIConnectionError): string {
  const codes = chain(error).map((e) => (e as { code?: unknown }).code);
  if (codes.includes('ECONNREFUSED')) return `connection refused (${rootMessage(error)})`;
  if (codes.includes('ENOTFOUND')) return `server not found (${rootMessage(error)})`;
  return `connection dropped before a response arrived (${rootMessage(error)})`;
}

const DROP_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

function isDroppedConnection(error: unknown): boolean {
  return chain(error).some((e) => {
    const { code, message } = e as { code?: unknown; message?: unknown };
    return (typeof code === 'string' && DROP_CODES.has(code)) || message === 'terminated';
  });
}

function chain(error: unknown): object[] {
  const out: object[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && out.length < 8) {
    out.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

function rootMessage(error: unknown): string {
  const links = chain(error);
  return messageOf(links[links.length - 1] ?? error);
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message : String(error);
}
