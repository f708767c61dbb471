import type { Guardrail, GuardrailResult } from '../../guardrail.js';
import type { HumanInputHandler } from '../../human-input.js';
import { EXPECTED_LABEL, TASK_LABEL } from '../../executor/prompts.js';
import { interpolate, PLACEHOLDER_PATTERN, type Inputs } from '../../interpolation.js';
import type { LLM, LLMRequest, LLMResponse } from '../../llm/types.js';
import type { Task } from '../../task.js';
import { decisionsByTask } from './expected.js';
import type { ModelTask } from './model.js';
import type { CrewPathScriptOptions, CrewPathStep, ExpectedTask } from './types.js';

interface TaskPlan {
  task: Task;
  /** False for tasks whose end the path does not predict: they get the default answers silently. */
  strict: boolean;
  run: boolean;
  /** Guardrail verdicts in order (true = pass). */
  verdicts: boolean[];
  /** Reviewer answers per round (true = revise). */
  revisions: boolean[];
  checks: number;
  answers: number;
}

export const defaultAnswer = (task: { id: string }, attempt: number) => `${task.id}: answer ${attempt}`;

/**
 * The scripted side of one path's run: per task, what its condition, guardrails and reviewer answer and
 * what its agent's model says. Counts the answers and records every call the path did not plan for.
 */
export class PathScript {
  readonly surprises: string[] = [];
  readonly #plans = new Map<string, TaskPlan>();
  readonly #options: CrewPathScriptOptions;

  constructor(
    tasks: Task[],
    model: ModelTask[],
    steps: CrewPathStep[],
    expected: Record<string, ExpectedTask>,
    options: CrewPathScriptOptions,
  ) {
    this.#options = options;
    const byTask = decisionsByTask(model, steps);
    for (const task of tasks) {
      const decisions = byTask.get(task.id) ?? [];
      this.#plans.set(task.id, {
        task,
        strict: expected[task.id]?.status !== 'unchecked',
        run: !decisions.includes('skip'),
        verdicts: decisions.filter((d) => d === 'pass' || d === 'fail').map((d) => d === 'pass'),
        revisions: decisions.filter((d) => d === 'approve' || d === 'revise').map((d) => d === 'revise'),
        checks: 0,
        answers: 0,
      });
    }
  }

  /** How many times each task's agent answered. */
  answers(): Record<string, number> {
    return Object.fromEntries([...this.#plans].map(([id, plan]) => [id, plan.answers]));
  }

  answerText(task: Task, attempt: number): string {
    return (this.#options.answer ?? defaultAnswer)(task, attempt);
  }

  /** The condition of a ConditionalTask: what the path decided. */
  condition(taskId: string): () => boolean {
    return () => this.#plan(taskId).run;
  }

  /** One guardrail standing for all of a task's guardrails: passes or fails as the path decided. */
  guardrail(taskId: string): Guardrail {
    return (): GuardrailResult => {
      const plan = this.#plan(taskId);
      const check = ++plan.checks;
      const verdict = plan.verdicts[check - 1];
      if (verdict === undefined) this.#surprise(plan, `guardrail check ${check}`, plan.verdicts.length);
      if (verdict !== false) return { ok: true };
      const error = this.#options.guardrailError?.(plan.task, check) ?? `Scripted guardrail failure ${check}`;
      return { ok: false, error };
    };
  }

  /** The crew's `humanInput` handler: approves or asks for a revision as the path decided. */
  readonly humanInput: HumanInputHandler = ({ taskId, round }) => {
    const plan = this.#plan(taskId);
    const revise = plan.revisions[round - 1];
    if (revise === undefined) this.#surprise(plan, `review round ${round}`, plan.revisions.length);
    if (!revise) return '';
    return this.#options.feedback?.(plan.task, round) ?? `Please improve this (round ${round}).`;
  };

  /** A model for an agent that works on `tasks`: it answers each task's request with that task's answer. */
  model(tasks: Task[], name: string): LLM {
    const inputs = this.#options.inputs ?? {};
    // With the path's inputs filled in; failing that (a beforeKickoff callback changed them), any text.
    const filledIn = tasks.map((task) => ({ task, ...matcherOf(task, inputs) }));
    const anyInputs = tasks.map((task) => ({ task, ...matcherOf(task, {}) }));
    return {
      model: name,
      supportsFunctionCalling: true,
      call: async (request: LLMRequest): Promise<LLMResponse> => {
        const prompt = request.messages.find((m) => m.role === 'user')?.content ?? '';
        const matching = (matchers: typeof filledIn) => matchers.filter((m) => m.pattern.test(prompt));
        const found = matching(filledIn);
        const match = this.#taskAsked(found.length > 0 ? found : matching(anyInputs));
        const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
        if (!match) {
          this.surprises.push(`${name} was asked something no task of the path asks`);
          return { content: 'unplanned answer', usage };
        }
        const plan = this.#plan(match.task.id);
        return { content: this.answerText(match.task, ++plan.answers), usage };
      },
    };
  }

  /**
   * Of the tasks whose prompt matches, the most specific; of tasks with the same texts (two tasks both
   * "Summarize"), the first in crew order that has not given every answer its path plans yet.
   */
  #taskAsked<M extends { task: Task; weight: number }>(matches: M[]): M | undefined {
    const best = Math.max(...matches.map((m) => m.weight));
    const candidates = matches.filter((m) => m.weight === best);
    return candidates.find((m) => !this.#answeredAll(this.#plan(m.task.id))) ?? candidates[0];
  }

  #answeredAll(plan: TaskPlan): boolean {
    const planned = plan.run
      ? 1 + plan.verdicts.filter((pass) => !pass).length + plan.revisions.filter(Boolean).length
      : 0;
    return plan.answers >= planned;
  }

  #plan(taskId: string): TaskPlan {
    const plan = this.#plans.get(taskId);
    if (!plan) throw new Error(`The path has no plan for task '${taskId}'`);
    return plan;
  }

  #surprise(plan: TaskPlan, what: string, planned: number) {
    if (plan.strict) this.surprises.push(`${plan.task.id}: unplanned ${what} (the path plans ${planned})`);
  }
}

/**
 * Recognises a task's prompt by how it begins: the task's description, then its expected output, with
 * the path's inputs filled in (a placeholder without one matches anything). Anchored, so another task's
 * text in the context (a previous answer that repeats a short description) is never taken for this task's.
 */
function matcherOf(task: Task, inputs: Inputs): { pattern: RegExp; weight: number } {
  const parts = [task.description, task.expectedOutput].map((text) =>
    filled(text, inputs)
      .split(PLACEHOLDER_PATTERN)
      .filter((_, i) => i % 2 === 0),
  );
  const [description, expected] = parts.map((fragments) => fragments.map(escape).join('[\\s\\S]*?'));
  const source = `^${escape(TASK_LABEL)}${description}${escape(EXPECTED_LABEL)}${expected}\\n`;
  return { pattern: new RegExp(source), weight: parts.flat().join('').length };
}

/** The placeholders the inputs fill, filled as the run fills them; the others left for the pattern. */
function filled(text: string, inputs: Inputs): string {
  return text.replace(PLACEHOLDER_PATTERN, (placeholder: string, name: string) => {
    if (!Object.hasOwn(inputs, name)) return placeholder;
    try {
      return interpolate(placeholder, inputs, { field: 'description', owner: 'a path' });
    } catch {
      return placeholder;
    }
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
