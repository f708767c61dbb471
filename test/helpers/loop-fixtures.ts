// Fixtures for behaviour tests of the agent loop: one-agent crews, controlled promises, event capture.
import { z } from 'zod';
import {
  Agent,
  Crew,
  Task,
  tool,
  type AgentOptions,
  type ChatMessage,
  type CrewEvent,
  type CrewOptions,
  type LLMRequest,
  type TaskOptions,
  type Tool,
} from '../../src/index.js';
import { ScriptedLLM, type ScriptedLLMOptions, type ScriptedReply } from '../../src/testing/index.js';

/** A promise the test settles by hand, so ordering is proven without timers. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface SoloOptions<TSchema extends z.ZodType = z.ZodType> {
  script: ScriptedReply[];
  llmOptions?: ScriptedLLMOptions;
  agent?: Partial<AgentOptions>;
  task?: Partial<TaskOptions<TSchema>>;
  crew?: Partial<Omit<CrewOptions, 'agents' | 'tasks'>>;
}

/** A crew of one agent with one task, talking to a scripted model. */
export function soloCrew<TSchema extends z.ZodType = z.ZodType>(options: SoloOptions<TSchema>) {
  const llm = new ScriptedLLM(options.script, options.llmOptions);
  const agent = new Agent({
    role: 'Field Researcher',
    goal: 'Find verified facts about octopuses',
    backstory: 'A marine biologist who double-checks every source.',
    llm,
    ...options.agent,
  });
  const task = new Task<TSchema>({
    description: 'Summarise what is known about octopus cognition',
    expectedOutput: 'Three short bullet points',
    agent,
    ...options.task,
  });
  const crew = new Crew({ agents: [agent], tasks: [task], ...options.crew });
  return { llm, agent, task, crew };
}

/** A tool that records every execution and answers `<name>:<q>`, or with `answer(q)` when given. */
export function recordingTool(
  name: string,
  options: {
    answer?: (q: string) => unknown;
    resultAsAnswer?: boolean;
    maxUsageCount?: number;
    cacheFunction?: (args: { q: string }, result: unknown) => boolean;
  } = {},
) {
  const seen: string[] = [];
  const t: Tool<z.ZodObject<{ q: z.ZodString }>> = tool({
    name,
    description: `The ${name} tool`,
    schema: z.object({ q: z.string().describe('What to look for') }),
    execute: ({ q }) => {
      seen.push(q);
      return options.answer ? options.answer(q) : `${name}:${q}`;
    },
    ...(options.resultAsAnswer === undefined ? {} : { resultAsAnswer: options.resultAsAnswer }),
    ...(options.maxUsageCount === undefined ? {} : { maxUsageCount: options.maxUsageCount }),
    ...(options.cacheFunction ? { cacheFunction: options.cacheFunction } : {}),
  });
  return { tool: t, seen };
}

export const call = (name: string, args: Record<string, unknown> | string, id?: string) => ({
  ...(id === undefined ? {} : { id }),
  name,
  arguments: args,
});

/** The contents of the `tool` messages of a request, in order. */
export function toolContents(request: LLMRequest): string[] {
  return request.messages.flatMap((m) => (m.role === 'tool' ? [m.content] : []));
}

/** The `tool` messages of a request. */
export function toolMessages(request: LLMRequest): Array<Extract<ChatMessage, { role: 'tool' }>> {
  return request.messages.filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool');
}

export function lastMessage(request: LLMRequest): ChatMessage {
  const message = request.messages.at(-1);
  if (!message) throw new Error('the request has no messages');
  return message;
}

/** Text of a message, whatever its role. */
export function textOf(message: ChatMessage | undefined): string {
  return message?.content ?? '';
}

/** Runs the crew through `stream()` and resolves with every event once the stream completes. */
export function streamEvents(crew: Crew, inputs?: Parameters<Crew['kickoff']>[0]): Promise<CrewEvent[]> {
  return new Promise((resolve, reject) => {
    const events: CrewEvent[] = [];
    crew.stream(inputs).subscribe({
      next: (event) => events.push(event),
      error: reject,
      complete: () => resolve(events),
    });
  });
}

/** Resolves with the rejection of `promise`; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

export { until } from './crew-fixtures.js';
