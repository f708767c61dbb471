import { vi } from 'vitest';
import type { Observable } from 'rxjs';
import { Agent, type AgentOptions, type CrewEvent, type LLMRequest } from '../../src/index.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';

/** A promise whose settling the test controls. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A model whose every call waits for the test: `pending` holds one deferred per call, in call order,
 * and `called(n)` resolves once n calls are in flight or done.
 */
export function gatedLLM(model = 'gated') {
  const pending: Array<Deferred<string>> = [];
  const llm = new ScriptedLLM(
    Array.from({ length: 20 }, (): ScriptedReply => () => {
      const gate = deferred<string>();
      pending.push(gate);
      return gate.promise;
    }),
    { model },
  );
  return { llm, pending };
}

/** A model that answers every call (up to `calls` of them) with `reply(request)`. */
export function replyingLLM(
  reply: (request: LLMRequest) => string | Promise<string>,
  options: { model?: string; calls?: number } = {},
): ScriptedLLM {
  return new ScriptedLLM(
    Array.from({ length: options.calls ?? 50 }, (): ScriptedReply => reply),
    { model: options.model ?? 'replying' },
  );
}

/** Lets every queued microtask and I/O callback run (a few turns of the event loop, no timers). */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Waits (turn by turn, never by timers) until `condition` holds; fails after `turns` turns and at least
 * `minMs` ms (file I/O, such as a checkpoint store's read, may take many turns on a loaded machine).
 */
export async function until(condition: () => boolean, turns = 200, minMs = 2000): Promise<void> {
  const started = Date.now();
  // The turn cap keeps a test whose clock is faked (it never advances) from looping for ever.
  for (let i = 0; i < turns || (Date.now() - started < minMs && i < 100_000); i++) {
    if (condition()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not met');
}

/** An agent with a scripted model; role, goal and backstory default to short fixed texts. */
export function scriptedAgent(
  role: string,
  script: ScriptedReply[] | ScriptedLLM,
  options: Partial<AgentOptions> = {},
): { agent: Agent; llm: ScriptedLLM } {
  const llm = script instanceof ScriptedLLM ? script : new ScriptedLLM(script, { model: `${role}-model` });
  const agent = new Agent({ role, goal: `${role} goal`, backstory: `${role} backstory`, llm, ...options });
  return { agent, llm };
}

/** The text of the request's task message (the first `user` message). */
export function taskPrompt(request: LLMRequest): string {
  const message = request.messages.find((m) => m.role === 'user');
  return typeof message?.content === 'string' ? message.content : '';
}

/** The text of the request's system message. */
export function systemPrompt(request: LLMRequest): string {
  const message = request.messages.find((m) => m.role === 'system');
  return typeof message?.content === 'string' ? message.content : '';
}

export const CONTEXT_HEADING = "This is the context you're working with:";

/** The context section of a task prompt, or undefined when the prompt has none. */
export function contextOf(request: LLMRequest): string | undefined {
  const prompt = taskPrompt(request);
  const at = prompt.indexOf(CONTEXT_HEADING);
  return at < 0 ? undefined : prompt.slice(at + CONTEXT_HEADING.length + 1);
}

/** Every event of a stream, resolved when it completes (rejected when it errors). */
export function collect(events$: Observable<CrewEvent>): Promise<CrewEvent[]> {
  return new Promise((resolve, reject) => {
    const events: CrewEvent[] = [];
    events$.subscribe({ next: (e) => events.push(e), complete: () => resolve(events), error: reject });
  });
}

/** Usage ScriptedLLM reports per reply when none is scripted. */
export const REPLY_USAGE = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };

/**
 * Runs `body` while errors statecrew reports outside a run (a throwing listener's or inspector's, thrown
 * in a timer as rxjs does) are caught into the returned list instead of failing the test process.
 */
export async function withReportedErrors(body: (thrown: unknown[]) => Promise<void>): Promise<unknown[]> {
  const thrown: unknown[] = [];
  const realSetTimeout = globalThis.setTimeout;
  const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) =>
    realSetTimeout(() => {
      try {
        fn();
      } catch (error) {
        thrown.push(error);
      }
    }, ms)) as typeof setTimeout);
  try {
    await body(thrown);
  } finally {
    spy.mockRestore();
  }
  return thrown;
}
