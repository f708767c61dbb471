// Shared pieces of statecrew's benchmark: zero-latency models, the 3 × 3 crew, statistics, GC.
import { Agent, Crew, Task, type LLM, type LLMRequest, type LLMResponse } from './statecrew.js';

export const ANSWER = 'ok';
export const USAGE = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
const RESPONSE: LLMResponse = { content: ANSWER, usage: USAGE };

/**
 * The cheapest honest model: resolves a constant final answer at once (one promise, no timers).
 * Cheaper than ScriptedLLM (which records every request), so what is left is the runtime's cost.
 */
export class ZeroLLM implements LLM {
  readonly model = 'zero';
  async call(_request: LLMRequest): Promise<LLMResponse> {
    return RESPONSE;
  }
}

/** A model that answers after `ms` of wall time (setTimeout), for the fan-out workload. */
export class SlowLLM implements LLM {
  readonly model = 'slow';
  constructor(private readonly ms: number) {}
  call(_request: LLMRequest): Promise<LLMResponse> {
    return new Promise((resolve) => setTimeout(() => resolve(RESPONSE), this.ms));
  }
}

/**
 * A model that answers on the next turn of the event loop (setImmediate), as a model doing I/O does:
 * timers may fire between its tasks (ZeroLLM's crews run to the end without one turn).
 */
export class NextTurnLLM implements LLM {
  readonly model = 'next-turn';
  call(_request: LLMRequest): Promise<LLMResponse> {
    return new Promise((resolve) => setImmediate(() => resolve(RESPONSE)));
  }
}

export function makeAgents(n: number, llm: (i: number) => LLM | string = () => new ZeroLLM()): Agent[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new Agent({
        role: `Worker ${i + 1}`,
        goal: `Do part ${i + 1} of the job well`,
        backstory: `You are worker number ${i + 1}, careful and quick.`,
        llm: llm(i),
      }),
  );
}

export interface CrewShape {
  agents?: number;
  tasks?: number;
  /** `context: []` on every task (no context section: prompts do not grow with the crew). */
  noContext?: boolean;
  llm?: (i: number) => LLM | string;
  checkpoint?: ConstructorParameters<typeof Crew>[0]['checkpoint'];
  /** The last task's `callback` (it runs with every task actor still alive: the crew stops them after). */
  lastTaskCallback?: () => void;
}

/** The benchmark crew: `agents` agents, `tasks` sequential tasks assigned round-robin, built fresh. */
export function buildCrew(shape: CrewShape = {}): Crew {
  const agentCount = shape.agents ?? 3;
  const taskCount = shape.tasks ?? 3;
  const agents = makeAgents(agentCount, shape.llm);
  const tasks = Array.from(
    { length: taskCount },
    (_, i) =>
      new Task({
        description: `Task ${i + 1}: write one short paragraph about topic ${i + 1}.`,
        expectedOutput: 'One short paragraph.',
        agent: agents[i % agentCount],
        ...(shape.noContext ? { context: [] } : {}),
        ...(shape.lastTaskCallback && i === taskCount - 1 ? { callback: shape.lastTaskCallback } : {}),
      }),
  );
  return new Crew({ agents, tasks, ...(shape.checkpoint ? { checkpoint: shape.checkpoint } : {}) });
}

/**
 * The messages the runtime would send for task `i` of the 3 × 3 crew (system + user, no context);
 * the baseline loop sends prompts of the same size so string building is not counted as overhead.
 */
export function baselineMessages(i: number): LLMRequest['messages'] {
  return [
    {
      role: 'system',
      content: `You are Worker ${(i % 3) + 1}. You are worker number ${(i % 3) + 1}, careful and quick.\nYour personal goal is: Do part ${(i % 3) + 1} of the job well`,
    },
    {
      role: 'user',
      content: `Current Task: Task ${i + 1}: write one short paragraph about topic ${i + 1}.\n\nThis is the expected criteria for your final answer: One short paragraph.\nyou MUST return the actual complete content as the final answer, not a summary.`,
    },
  ];
}

export const now = () => performance.now();

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function minOf(values: number[]): number {
  return Math.min(...values.filter((v) => Number.isFinite(v)));
}

export const round = (value: number, digits = 4) =>
  Number.isFinite(value) ? Number(value.toFixed(digits)) : value;

/** `globalThis.gc`: a full GC, present when Node runs with --expose-gc (bench/run.ts passes it). */
export const exposedGc = (globalThis as { gc?: () => void }).gc;
export const hasGc = typeof exposedGc === 'function';

/** Full GC twice (finalizers and weak maps settle), then the heap in use. */
export async function settledHeap(): Promise<number> {
  if (!exposedGc) return NaN;
  for (let i = 0; i < 3; i++) {
    exposedGc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Lets pending timers/immediates run, so one measurement does not leak work into the next. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Per-process result reporting for workloads run as child processes by bench/run.ts. */
export function report(result: unknown): void {
  process.stdout.write(`\n@@RESULT ${JSON.stringify(result)}\n`);
}

export function argValue(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
}
