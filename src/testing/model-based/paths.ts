import { getAdjacencyMap, getShortestPaths, joinPaths } from 'xstate/graph';
import type { Crew } from '../../crew.js';
import { CrewValidationError } from '../../errors.js';
import { parseStructuredOutput } from '../../executor/structured-output.js';
import { expectationOf } from './expected.js';
import { modelTasks, testModelOf, type CrewModelSnapshot, type ModelEvent, type ModelTask } from './model.js';
import { runCrewPath } from './run-path.js';
import { defaultAnswer } from './script.js';
import type { CrewPathExpectation, CrewPathStep, CrewTestPath, CrewTestPathsOptions } from './types.js';

const isFinal = (snapshot: CrewModelSnapshot) => snapshot.status === 'done';

/** Decisions a path takes when it has nothing left to prove: run, pass, approve. */
const HAPPY_EVENTS: ModelEvent[] = [
  { type: 'task.run' },
  { type: 'guardrail.pass' },
  { type: 'human.approve' },
];

/**
 * The decision lists of the model's paths to its end. `shortest`: the shortest path to every abstract
 * state (the current task's phase and counters, and the decision that led there), each completed by the
 * happy decisions; so every decision of every task appears in some path. `simple`: every path.
 */
export function modelPaths(
  tasks: ModelTask[],
  strategy: 'shortest' | 'simple' = 'shortest',
  limit = 100_000,
): CrewPathStep[][] {
  const model = testModelOf(tasks);
  if (strategy === 'simple') {
    // Every state carries the trail that led to it, so the model's states form a tree whose final states
    // are its paths: read them off the adjacency map (bounded by `limit`) instead of enumerating paths,
    // which took minutes below the limit for a few tasks with retries and reviews.
    const states = Object.values(getAdjacencyMap(model, { limit }));
    return states.filter(({ state }) => isFinal(state)).map(({ state }) => state.context.trail);
  }
  const abstract = (s: CrewModelSnapshot) =>
    JSON.stringify({
      value: s.value,
      retries: s.context.retries,
      revisions: s.context.revisions,
      last: s.context.trail.at(-1) ?? null,
    });
  const seen = new Set<string>();
  const trails: CrewPathStep[][] = [];
  for (const prefix of getShortestPaths(model, {
    serializeState: abstract,
    limit,
  })) {
    const path = isFinal(prefix.state)
      ? prefix
      : joinPaths(
          prefix,
          getShortestPaths(model, {
            fromState: prefix.state,
            events: HAPPY_EVENTS,
            toState: isFinal,
            limit,
          })[0],
        );
    const trail = path.state.context.trail;
    const key = JSON.stringify(trail);
    if (!seen.has(key)) {
      seen.add(key);
      trails.push(trail);
    }
  }
  return trails;
}

/** A path's decisions in words, e.g. `research fails a guardrail (retry 1/2) → research passes`. */
export function describeSteps(tasks: ModelTask[], steps: CrewPathStep[]): string {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const retries = new Map<string, number>();
  const revisions = new Map<string, number>();
  const words = steps.map(({ taskId, decision }) => {
    const task = byId.get(taskId)!;
    const name = task.label;
    switch (decision) {
      case 'run':
        return `${name} runs`;
      case 'skip':
        return `${name} is skipped`;
      case 'pass':
        return `${name} passes its guardrails`;
      case 'fail': {
        const n = (retries.get(taskId) ?? 0) + 1;
        retries.set(taskId, n);
        return n > task.maxRetries
          ? `${name} fails a guardrail with no retry left`
          : `${name} fails a guardrail (retry ${n}/${task.maxRetries})`;
      }
      case 'approve':
        return `${name} is approved`;
      case 'revise': {
        const n = (revisions.get(taskId) ?? 0) + 1;
        revisions.set(taskId, n);
        return `${name} is revised (${n}/${task.maxRevisions})`;
      }
    }
  });
  return words.length > 0 ? words.join(' → ') : 'every task runs';
}

function outcomeText(expected: CrewPathExpectation, tasks: ModelTask[]): string {
  if (expected.outcome === 'completed') return 'completed';
  const failed = tasks.find((t) => t.id === expected.failedTaskId);
  return `${expected.error} in ${failed?.label ?? expected.failedTaskId}`;
}

/**
 * Model-based tests for a crew: derives the crew's test model (`crewTestModel`), generates its paths with
 * `xstate/graph`, and returns one runnable path per generated path. `path.run()` runs the real crew
 * (its tasks, agents, options and callbacks) with scripted models, guardrails, conditions and reviewer
 * as the path decides, then checks every task actor's states, answers and output, and the run's outcome
 * (its output, or `GuardrailError` when a guardrail budget is spent). The descriptions carry `[i/n]`.
 * @example
 * import { crewTestPaths } from 'statecrew/testing';
 * import { crew } from '../src/my-crew.js';
 *
 * describe('my crew', () => {
 *   for (const path of crewTestPaths(crew)) it(path.description, () => path.run());
 * });
 * @example
 * // every combination of decisions, two revisions per reviewed task, inputs for the placeholders
 * crewTestPaths(crew, { strategy: 'simple', maxRevisions: 2, inputs: { topic: 'octopuses' } });
 */
export function crewTestPaths(crew: Crew, options: CrewTestPathsOptions = {}): CrewTestPath[] {
  checkTraversal(options);
  const tasks = modelTasks(crew, options);
  const trails = traversed(() => modelPaths(tasks, options.strategy, options.limit));
  const byId = new Map(crew.tasks.map((t) => [t.id, t]));
  const answer = (task: ModelTask, attempt: number) =>
    options.answer ? options.answer(byId.get(task.id)!, attempt) : defaultAnswer(task, attempt);
  checkStructuredAnswers(crew, options);
  return trails.map((steps, i) => {
    const expected = expectationOf(tasks, steps, answer);
    const index = i + 1;
    return {
      description: `[${index}/${trails.length}] ${describeSteps(tasks, steps)} ⇒ ${outcomeText(expected, tasks)}`,
      index,
      total: trails.length,
      steps,
      expected,
      run: () => runCrewPath(crew, tasks, steps, expected, options),
    };
  });
}

/** A task with an `outputSchema` fails on any answer that does not parse: said now, not in every path's run. */
function checkStructuredAnswers(crew: Crew, options: CrewTestPathsOptions): void {
  for (const task of crew.tasks) {
    if (!task.outputSchema) continue;
    const given = options.answer ? options.answer(task, 1) : defaultAnswer(task, 1);
    const parsed = parseStructuredOutput(given, task.outputSchema);
    if (parsed.ok) continue;
    const how = options.answer
      ? `the \`answer\` option's first answer for it does not (${JSON.stringify(given)})`
      : 'give the `answer` option, returning JSON that matches it';
    throw new CrewValidationError(
      'invalid_option',
      `crewTestPaths: task '${task.name ?? task.id}' has an outputSchema, so its scripted answers must parse: ${how}`,
    );
  }
}

function checkTraversal({ strategy, limit }: CrewTestPathsOptions): void {
  if (strategy !== undefined && strategy !== 'shortest' && strategy !== 'simple') {
    throw new RangeError(`strategy must be 'shortest' or 'simple' (got ${JSON.stringify(strategy)})`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new RangeError(`limit must be a whole number of states above 0 (got ${limit})`);
  }
}

/** xstate/graph's "Traversal limit exceeded", said with what to do about it. */
function traversed<T>(traverse: () => T): T {
  try {
    return traverse();
  } catch (error) {
    if (!(error instanceof Error) || !/Traversal limit exceeded/.test(error.message)) throw error;
    throw new RangeError(
      `${error.message}: the crew's test model has more states than \`limit\` allows; raise \`limit\`, ` +
        "or use strategy 'shortest' (every decision at least once) instead of 'simple'",
      { cause: error },
    );
  }
}
