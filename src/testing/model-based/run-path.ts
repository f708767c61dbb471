import { deepStrictEqual } from 'node:assert/strict';
import type { InspectionEvent } from 'xstate';
import type { Crew } from '../../crew.js';
import type { CrewOutput } from '../../outputs.js';
import { mergeRepeats } from './expected.js';
import type { ModelTask } from './model.js';
import { pathCrew } from './path-crew.js';
import { PathScript } from './script.js';
import type {
  CrewPathExpectation,
  CrewPathObservation,
  CrewPathResult,
  CrewPathScriptOptions,
  CrewPathStep,
} from './types.js';

interface TaskSnapshot {
  value: unknown;
  context?: { outcome?: { status: string; output?: { raw?: string } } };
}

/** Records every task actor's snapshots as the run reports them to inspectors. */
export class TaskTraces {
  readonly #states = new Map<string, string[]>();
  readonly #last = new Map<string, TaskSnapshot>();

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.snapshot') return;
    const actorId = (event.actorRef as { id?: unknown }).id;
    if (typeof actorId !== 'string' || !actorId.startsWith('task:')) return;
    const taskId = actorId.slice('task:'.length);
    const snapshot = event.snapshot as unknown as TaskSnapshot;
    const states = this.#states.get(taskId) ?? [];
    states.push(topState(snapshot.value));
    this.#states.set(taskId, states);
    this.#last.set(taskId, snapshot);
  };

  /** The task's top-level states in order, repeats merged. */
  trace(taskId: string): string[] {
    return mergeRepeats(this.#states.get(taskId) ?? []);
  }

  /** The raw output the task actor holds at the end (done tasks). */
  raw(taskId: string): string | undefined {
    const outcome = this.#last.get(taskId)?.context?.outcome;
    return outcome?.status === 'done' ? outcome.output?.raw : undefined;
  }
}

export function topState(value: unknown): string {
  if (typeof value === 'string') return value;
  return Object.keys(value as object)[0] ?? String(value);
}

/**
 * Runs one path against the real runtime: kicks off the path's crew (scripted models, guardrails,
 * conditions and reviewer), reads what every task actor went through, and compares it with the path's
 * expectation. Rejects with an AssertionError (a full diff) on any difference.
 */
export async function runCrewPath(
  crew: Crew,
  model: ModelTask[],
  steps: CrewPathStep[],
  expected: CrewPathExpectation,
  options: CrewPathScriptOptions = {},
): Promise<CrewPathResult> {
  const script = new PathScript(crew.tasks, model, steps, expected.tasks, options);
  const traces = new TaskTraces();
  let output: CrewOutput | undefined;
  let error: unknown;
  try {
    output = await pathCrew(crew, script, options.keepOutputFiles).kickoff(options.inputs, {
      inspect: traces.inspect,
    });
  } catch (caught) {
    error = caught;
  }
  const answers = script.answers();
  const observed: CrewPathObservation = {
    outcome: error === undefined ? 'completed' : 'failed',
    ...(error === undefined ? {} : { error: error instanceof Error ? error.name : String(error) }),
    tasks: {},
    surprises: script.surprises,
  };
  const wanted: CrewPathObservation = { outcome: expected.outcome, tasks: {}, surprises: [] };
  if (expected.error) wanted.error = expected.error;
  for (const task of model) {
    const want = expected.tasks[task.id];
    if (!want || want.status === 'unchecked') continue;
    const trace = traces.trace(task.id);
    const raw = traces.raw(task.id);
    observed.tasks[task.id] = {
      status: trace.at(-1) ?? 'none',
      trace,
      answers: answers[task.id] ?? 0,
      ...(raw === undefined ? {} : { raw }),
    };
    wanted.tasks[task.id] = {
      status: want.status,
      trace: want.trace,
      answers: want.answers,
      ...(want.raw === undefined ? {} : { raw: want.raw }),
    };
  }
  if (output) {
    // The crew's output holds an output of every checked task that finished, in crew order (their texts
    // are the task actors' own, checked above: a callback may rewrite what the crew's output shows).
    const finished = (id: string) => wanted.tasks[id]?.raw !== undefined;
    observed.outputs = output.tasksOutput.map((t) => t.taskId).filter(finished);
    wanted.outputs = model.map((t) => t.id).filter(finished);
  }
  const detail = error instanceof Error ? ` (the run failed with ${error.name}: ${error.message})` : '';
  deepStrictEqual(observed, wanted, `The run did not follow the path${detail}`);
  return { ...(output ? { output } : {}), ...(error === undefined ? {} : { error }), observed };
}
