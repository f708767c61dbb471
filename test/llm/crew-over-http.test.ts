import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  Crew,
  CrewAbortedError,
  FileCheckpointStore,
  LLMError,
  OpenAILLM,
  Task,
  TaskExecutionError,
  tool,
  type CrewEvent,
} from '../../src/index.js';
import { startFakeOpenAI, type FakeOpenAIServer, type FakeReply } from '../../src/testing/index.js';

const SECRET = 'sk-test-SECRET-4242-do-not-leak';
const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: FakeReply[]) {
  const server = await startFakeOpenAI({ script });
  servers.push(server);
  return server;
}

const echo = tool({
  name: 'echo',
  description: 'Echo a word',
  schema: z.object({ word: z.string() }),
  execute: ({ word }) => word,
});

function crewOn(
  server: FakeOpenAIServer,
  options: { maxRetries?: number; timeout?: number; maxRetryLimit?: number } = {},
) {
  const llm = new OpenAILLM({
    model: 'fake-model',
    baseURL: server.url,
    apiKey: SECRET,
    maxRetries: options.maxRetries ?? 0,
    timeout: options.timeout,
  });
  const agent = new Agent({
    id: 'worker',
    role: 'Worker',
    goal: 'Work',
    backstory: 'Diligent.',
    llm,
    tools: [echo],
    maxRetryLimit: options.maxRetryLimit ?? 0,
  });
  return new Crew({
    agents: [agent],
    tasks: [new Task({ id: 'job', description: 'Do the job', expectedOutput: 'done', agent })],
  });
}

async function collect(crew: Crew, signal?: AbortSignal): Promise<{ events: CrewEvent[]; error?: unknown }> {
  const events: CrewEvent[] = [];
  return new Promise((resolve) => {
    crew.stream({}, { signal }).subscribe({
      next: (e) => events.push(e),
      complete: () =>
        resolve({
          events,
          error: (events.find((e) => e.type === 'crew.failed') as { error?: unknown })?.error,
        }),
      error: (error: unknown) => resolve({ events, error }),
    });
  });
}

describe('a crew talking to an OpenAI-compatible server over HTTP', () => {
  it('runs tool calls and streams the answer as llm.delta events', async () => {
    const server = await serve([
      { toolCalls: [{ name: 'echo', arguments: { word: 'ping' } }] },
      'pong, finally',
    ]);
    const { events } = await collect(crewOn(server));
    const deltas = events
      .filter((e) => e.type === 'llm.delta')
      .map((e) => (e.type === 'llm.delta' ? e.delta : ''));
    expect(deltas.join('')).toBe('pong, finally');
    expect(events.at(-1)).toMatchObject({ type: 'crew.completed', output: { raw: 'pong, finally' } });
    expect(server.requests[1].body.messages.at(-1)).toMatchObject({ role: 'tool', content: 'ping' });
  });

  it('streams only for a stream() subscriber, not for the verbose printer', async () => {
    const server = await serve(['plain', 'streamed']);
    const crew = crewOn(server).with({ verbose: true });
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await crew.kickoff();
      await collect(crew);
    } finally {
      process.stderr.write = original;
    }
    expect(server.requests.map((r) => r.body.stream === true)).toEqual([false, true]);
  });

  it('retries a 429 and succeeds', async () => {
    const server = await serve([{ status: 429, retryAfterMs: 50 }, 'after the wait']);
    const output = await crewOn(server, { maxRetries: 1 }).kickoff();
    expect(output.raw).toBe('after the wait');
    expect(server.requests).toHaveLength(2);
  });

  it('fails with TaskExecutionError after the retries of a persistent 500', async () => {
    const server = await serve(Array.from({ length: 4 }, () => ({ status: 500, retryAfterMs: 1 })));
    const error = await crewOn(server, { maxRetries: 1, maxRetryLimit: 1 })
      .kickoff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as TaskExecutionError).cause).toBeInstanceOf(LLMError);
    expect((error as TaskExecutionError).cause).toMatchObject({ status: 500 });
    // 2 HTTP attempts per model call (maxRetries 1) × 2 task executions (maxRetryLimit 1).
    expect(server.requests).toHaveLength(4);
  });

  it.each([
    ['a malformed JSON body', { fault: 'malformed' } as FakeReply, /malformed/i],
    ['a connection dropped mid-response', { fault: 'drop' } as FakeReply, /dropped|connection/i],
  ])('fails the task clearly on %s', async (_name, fault, message) => {
    const server = await serve([fault]);
    const error = await crewOn(server)
      .kickoff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as Error).message).toMatch(message);
  });

  it('times out a stalled server', async () => {
    const server = await serve([{ fault: 'stall' }]);
    const started = Date.now();
    const error = await crewOn(server, { timeout: 150 })
      .kickoff()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskExecutionError);
    expect((error as Error).message).toMatch(/timed out after 150 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('aborts an in-flight request quickly and closes it', async () => {
    const server = await serve([{ fault: 'stall' }]);
    const controller = new AbortController();
    const running = crewOn(server).kickoff({}, { signal: controller.signal });
    await expect.poll(() => server.pendingResponses()).toBe(1);
    const started = Date.now();
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(CrewAbortedError);
    expect(Date.now() - started).toBeLessThan(200);
    await expect.poll(() => server.pendingResponses()).toBe(0);
  });

  it('goes on when the model calls an unknown tool or passes invalid arguments', async () => {
    const server = await serve([
      {
        toolCalls: [
          { name: 'teleport', arguments: {} },
          { name: 'echo', arguments: '{"word": 3}' },
        ],
      },
      'recovered',
    ]);
    const output = await crewOn(server).kickoff();
    expect(output.raw).toBe('recovered');
    const toolMessages = server.requests[1].body.messages
      .filter((m) => m.role === 'tool')
      .map((m) => String(m.content));
    expect(toolMessages[0]).toContain("Tool 'teleport' does not exist");
    expect(toolMessages[1]).toContain("Invalid arguments for tool 'echo'");
  });

  it('never puts the API key in an event, an error, a log line or a checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statecrew-secret-'));
    try {
      const server = await serve([
        { toolCalls: [{ name: 'echo', arguments: { word: 'x' } }] },
        'fine',
        { status: 401 },
      ]);
      const logged: string[] = [];
      const crew = crewOn(server).with({ checkpoint: new FileCheckpointStore(dir), verbose: true });
      const original = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => (
        logged.push(String(chunk)),
        true
      )) as typeof process.stderr.write;
      let first: Awaited<ReturnType<typeof collect>>;
      let second: Awaited<ReturnType<typeof collect>>;
      try {
        first = await collect(crew);
        second = await collect(crew);
      } finally {
        process.stderr.write = original;
      }
      expect(second.error).toBeInstanceOf(TaskExecutionError);
      const files = await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
      const error = second.error as Error;
      const everything = [
        JSON.stringify(first.events),
        JSON.stringify(
          second.events.map((e) =>
            e.type === 'crew.failed' || e.type === 'task.failed' ? { ...e, error: String(e.error) } : e,
          ),
        ),
        String(error),
        String(error.cause),
        error.stack ?? '',
        JSON.stringify(error),
        logged.join(''),
        ...files,
      ].join('\n');
      expect(files.length).toBeGreaterThan(0);
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain('SECRET-4242');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
