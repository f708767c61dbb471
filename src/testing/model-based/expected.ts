import type { ModelTask } from './model.js';
import type { CrewDecision, CrewPathExpectation, CrewPathStep, ExpectedTask } from './types.js';

/** A path's decisions grouped by task, in crew order. */
export function decisionsByTask(tasks: ModelTask[], steps: CrewPathStep[]): Map<string, CrewDecision[]> {
  const byTask = new Map<string, CrewDecision[]>(tasks.map((t) => [t.id, []]));
  for (const step of steps) byTask.get(step.taskId)?.push(step.decision);
  return byTask;
}

/** Consecutive repeats merged: the states as an observer sees them change. */
export function mergeRepeats(states: string[]): string[] {
  return states.filter((state, i) => i === 0 || states[i - 1] !== state);
}

/**
 * What the real run of a path should do, derived from its decisions: each task's status, the states its
 * actor goes through, how often its agent answers and its final raw output; the run's outcome.
 */
export function expectationOf(
  tasks: ModelTask[],
  steps: CrewPathStep[],
  answer: (task: ModelTask, attempt: number) => string,
): CrewPathExpectation {
  const byTask = decisionsByTask(tasks, steps);
  const expected: Record<string, ExpectedTask> = {};
  let failed: number | undefined;
  tasks.forEach((task, i) => {
    if (failed !== undefined) {
      expected[task.id] = notStarted(sameAsyncGroup(tasks, failed, i));
      return;
    }
    const outcome = playTask(task, byTask.get(task.id) ?? [], answer);
    expected[task.id] = outcome;
    if (outcome.status === 'failed') failed = i;
  });
  if (failed === undefined) return { outcome: 'completed', tasks: expected };
  // Async tasks started before the failing one are stopped wherever they are when the run fails.
  tasks.forEach((task, i) => {
    if (i < failed! && sameAsyncGroup(tasks, failed!, i)) expected[task.id] = notStarted(true);
  });
  return { outcome: 'failed', error: 'GuardrailError', failedTaskId: tasks[failed].id, tasks: expected };
}

function notStarted(unchecked: boolean): ExpectedTask {
  return unchecked
    ? { status: 'unchecked', trace: [], answers: 0 }
    : { status: 'pending', trace: ['pending'], answers: 0 };
}

/** Whether tasks i and j are both async with only async tasks between them (they run side by side). */
function sameAsyncGroup(tasks: ModelTask[], i: number, j: number): boolean {
  const [from, to] = i < j ? [i, j] : [j, i];
  return tasks.slice(from, to + 1).every((t) => t.async);
}

/** Plays one task's decisions through the task lifecycle (defaults: run, pass, approve). */
function playTask(
  task: ModelTask,
  decisions: CrewDecision[],
  answer: (task: ModelTask, attempt: number) => string,
): ExpectedTask {
  const queue = [...decisions];
  const trace = ['pending'];
  if (task.conditional && queue.shift() === 'skip') {
    return { status: 'skipped', trace: [...trace, 'skipped'], answers: 0 };
  }
  trace.push('running');
  let answers = 1;
  let retries = 0;
  for (;;) {
    if (task.guardrails && (queue.shift() ?? 'pass') === 'fail') {
      if (retries >= task.maxRetries) {
        trace.push('failed');
        return { status: 'failed', trace: mergeRepeats(trace), answers };
      }
      retries++;
      answers++;
      trace.push('guardrail-retry', 'running');
      continue;
    }
    if (task.humanInput) {
      trace.push('human-input');
      if ((queue.shift() ?? 'approve') === 'revise') {
        trace.push('running');
        answers++;
        continue;
      }
      if (task.awaitsCompletion) trace.push('running');
    }
    trace.push('done');
    return { status: 'done', trace: mergeRepeats(trace), answers, raw: answer(task, answers) };
  }
}
