// The system-under-test side of the generated model-based suites: gates the tests open one by one
// (model answers, conditions, guardrail verdicts, human feedback), a recorder of every task actor's last
// snapshot, and a wait for the run to go quiet between two steps of a path.
import type { InspectionEvent } from 'xstate';
import type { GuardrailResult, HumanInputHandler, LLM, LLMRequest, LLMResponse } from '../../src/index.js';

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Calls that wait, in order, until the test settles them. */
export class Gate<T> {
  readonly #waiting: Array<Deferred<T>> = [];
  opened = 0;

  wait(): Promise<T> {
    this.opened++;
    return new Promise<T>((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  resolve(value: T): void {
    this.#next().resolve(value);
  }

  reject(error: unknown): void {
    this.#next().reject(error);
  }

  #next(): Deferred<T> {
    const next = this.#waiting.shift();
    if (!next) throw new Error('Nothing is waiting at this gate');
    return next;
  }
}

/** One gate per task id, made on first use. */
export class Gates<T> {
  readonly #gates = new Map<string, Gate<T>>();

  of(id: string): Gate<T> {
    let gate = this.#gates.get(id);
    if (!gate) {
      gate = new Gate<T>();
      this.#gates.set(id, gate);
    }
    return gate;
  }

  /** Ids with a call waiting, sorted. */
  waiting(): string[] {
    return [...this.#gates]
      .filter(([, g]) => g.waiting > 0)
      .map(([id]) => id)
      .sort();
  }
}

/** The marker a task description carries so the gated model knows which task is asking. */
export const marker = (taskId: string) => `[task ${taskId}]`;

/** A model whose every answer waits at the gate of the task asking (found by its marker in the prompt). */
export function gatedModel(gates: Gates<string>): LLM {
  return {
    model: 'gated',
    async call(request: LLMRequest): Promise<LLMResponse> {
      const prompt = request.messages.find((m) => m.role === 'user')?.content ?? '';
      const taskId = /\[task ([\w-]+)\]/.exec(prompt)?.[1] ?? 'unknown';
      const content = await gates.of(taskId).wait();
      return { content, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } };
    },
  };
}

export const gatedCondition = (gate: Gate<boolean>) => () => gate.wait();

export const gatedGuardrail = (gate: Gate<GuardrailResult>) => () => gate.wait();

export const gatedReviewer =
  (gates: Gates<string>): HumanInputHandler =>
  ({ taskId }) =>
    gates.of(taskId).wait();

export interface TaskView {
  value: unknown;
  status: string;
  context: { guardrailRetries: number; humanRound: number; output?: { raw: string; skipped: boolean } };
}

/** Keeps the last snapshot of every task actor, as reported to inspectors (it survives the actors' stop). */
export class TaskRecorder {
  readonly #last = new Map<string, TaskView>();

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.snapshot') return;
    const id = (event.actorRef as { id?: unknown }).id;
    if (typeof id === 'string' && id.startsWith('task:')) {
      this.#last.set(id.slice(5), event.snapshot as unknown as TaskView);
    }
  };

  view(taskId: string): TaskView {
    const view = this.#last.get(taskId);
    if (!view) throw new Error(`Task '${taskId}' reported no snapshot`);
    return view;
  }

  /** Top-level state of the task: `running`, `human-input`, … */
  top(taskId: string): string {
    const value = this.view(taskId).value;
    return typeof value === 'string' ? value : Object.keys(value as object)[0];
  }

  signature(): string {
    return JSON.stringify([...this.#last].map(([id, v]) => [id, v.value, v.status]));
  }
}

/** Waits, turn by turn (never by timers), until `signature` has not changed for a few turns. */
export async function settle(signature: () => string, quietTurns = 4, maxTurns = 400): Promise<void> {
  let last = signature();
  let quiet = 0;
  for (let turn = 0; turn < maxTurns; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const now = signature();
    if (now === last) {
      if (++quiet >= quietTurns) return;
    } else {
      quiet = 0;
      last = now;
    }
  }
  throw new Error('The run did not settle');
}
