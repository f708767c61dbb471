// Shared pieces of the guardrail and human-input tests: a one-writer crew, a recorder of the states a
// task actor goes through, event collection, and a real pseudo-terminal for interactive programs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { firstValueFrom, toArray } from 'rxjs';
import type { InspectionEvent, StateValue } from 'xstate';
import { Agent, Crew, Task, type CrewEvent, type CrewOptions, type TaskOptions } from '../../src/index.js';
import type { ChatMessage, LLMRequest, LLMUsage } from '../../src/llm/types.js';
import { ScriptedLLM, type ScriptedReply } from '../../src/testing/index.js';

/** A model reply with its own token counts, so tests can assert exact usage totals. */
export const reply = (content: string, promptTokens: number, completionTokens: number): ScriptedReply => ({
  content,
  usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } satisfies LLMUsage,
});

/** A writer agent on a scripted model. */
export function writer(script: ScriptedReply[], id = 'writer') {
  const llm = new ScriptedLLM(script, { model: `${id}-model` });
  const agent = new Agent({ id, role: 'Writer', goal: 'Write well', backstory: 'Terse.', llm });
  return { llm, agent };
}

/** One task for a scripted writer, in a sequential crew. */
export function oneTaskCrew(
  script: ScriptedReply[],
  task: Omit<TaskOptions, 'description' | 'expectedOutput' | 'agent'> & Partial<TaskOptions> = {},
  crew: Partial<CrewOptions> = {},
) {
  const { llm, agent } = writer(script);
  const t = new Task({
    id: 'draft',
    description: 'Write a slogan',
    expectedOutput: 'one slogan',
    agent,
    ...task,
  });
  return { llm, agent, task: t, crew: new Crew({ agents: [agent], tasks: [t], ...crew }) };
}

/** Every event of a run, in order (the run's error, if any, is returned rather than thrown). */
export async function eventsOf(crew: Crew, inputs?: Record<string, string>): Promise<CrewEvent[]> {
  return firstValueFrom(crew.stream(inputs).pipe(toArray()));
}

export const ofType = <T extends CrewEvent['type']>(events: CrewEvent[], type: T) =>
  events.filter((e): e is Extract<CrewEvent, { type: T }> => e.type === type);

/** `{ running: 'working' }` → `'running.working'`. */
export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) => (child === undefined ? key : `${key}.${stateName(child)}`))
    .join(',');
}

/**
 * An inspector for `kickoff(…, { inspect })` / `createActor(…, { inspect })` that records the states
 * each task actor goes through, including states it only passes through within one step.
 */
export function taskStateRecorder() {
  const seen = new Map<string, string[]>();
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot') return;
    const id = (event.actorRef as { id?: string }).id ?? '';
    if (!id.startsWith('task:')) return;
    const snapshot = event.snapshot as { value?: StateValue };
    if (snapshot.value === undefined) return;
    const states = seen.get(id) ?? [];
    // The task's own states: the agent's loop runs in states below `running.working` / `guardrail-retry`.
    const name = stateName(snapshot.value).replace(/^(running\.working|guardrail-retry)\..*$/, '$1');
    if (states.at(-1) !== name) states.push(name);
    seen.set(id, states);
  };
  return { inspect, statesOf: (taskId: string) => seen.get(`task:${taskId}`) ?? [] };
}

/** The text of a request's messages of one role. */
export const contents = (request: LLMRequest, role: ChatMessage['role']) =>
  request.messages.filter((m) => m.role === role).map((m) => m.content ?? '');

export const lastMessage = (request: LLMRequest) => request.messages.at(-1)?.content ?? '';

/**
 * Makes `process.stdin` look non-interactive (as in CI) until the returned function is called, so the
 * tests behave the same when they are run from a terminal.
 */
export function withoutTerminal(): () => void {
  const own = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true, writable: true });
  return () => {
    if (own) Object.defineProperty(process.stdin, 'isTTY', own);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  };
}

/** Resolves once `condition` holds (checked every few ms); rejects after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Runs argv on the slave side of a fresh pseudo-terminal and relays it to our pipes (stdin → terminal,
// terminal → stdout); exits with the program's exit code.
const PTY_DRIVER = 'import os, pty, sys\nsys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))';

export interface Terminal {
  /** Everything the program wrote to the terminal so far (ANSI codes included). */
  screen(): string;
  /** Types text at the keyboard (`\r` is Enter). */
  type(text: string): void;
  /** Resolves when the screen matches; rejects on timeout or when the program exits first. */
  waitFor(match: (screen: string) => boolean, what: string, ms?: number): Promise<void>;
  exited: Promise<number | null>;
  kill(): void;
}

/** The terminal prompt's own text (src/runtime/human-feedback.ts). */
export const FEEDBACK_PROMPT = 'Feedback> ';

/** Whether this machine can run a pseudo-terminal (python3's pty module); tests that need one skip otherwise. */
export function hasPythonPty(): boolean {
  try {
    execFileSync('python3', ['-c', 'import pty'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts `command args…` in a real pseudo-terminal (python3's pty module), as a person would run it. */
export function startInTerminal(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Terminal {
  const child: ChildProcess = spawn('python3', ['-c', PTY_DRIVER, command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TERM: 'dumb', NO_COLOR: '1', ...env },
  });
  let screen = '';
  const listeners = new Set<() => void>();
  const onOutput = (chunk: Buffer) => {
    screen += chunk.toString('utf8');
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  // 'close' comes after the terminal's last output has been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    screen: () => screen,
    type: (text) => void child.stdin!.write(text),
    waitFor: (match, what, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        const check = () => {
          if (match(screen)) done();
        };
        const timer = setTimeout(
          () => done(new Error(`Timed out waiting for ${what}; the screen shows:\n${screen}`)),
          ms,
        );
        listeners.add(check);
        void exited.then((code) => {
          if (listeners.has(check)) done(new Error(`Exited (${code}) before ${what}; screen:\n${screen}`));
        });
        check();
      }),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** How many times `text` occurs in `screen`. */
export const occurrences = (screen: string, text: string) => screen.split(text).length - 1;
