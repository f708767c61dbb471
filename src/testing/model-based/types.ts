import type { CrewOutput } from '../../outputs.js';
import type { Inputs } from '../../interpolation.js';
import type { Task } from '../../task.js';

/** One choice a path makes for a task: how its condition, guardrails or reviewer answer. */
export type CrewDecision = 'run' | 'skip' | 'pass' | 'fail' | 'approve' | 'revise';

/** A decision of a path, for one task. */
export interface CrewPathStep {
  taskId: string;
  decision: CrewDecision;
}

/**
 * A task's status at the end of a path's run. `unchecked`: an async task that runs next to the one that
 * fails; the run stops it wherever it is, so its state is not part of the expectation.
 */
export type ExpectedTaskStatus = 'done' | 'skipped' | 'failed' | 'pending' | 'unchecked';

/** What a task should have gone through in a path's run. */
export interface ExpectedTask {
  status: ExpectedTaskStatus;
  /** The task actor's top-level states in order, repeats merged: `pending`, `running`, `guardrail-retry`, … */
  trace: string[];
  /** How many times its agent answers: once, plus one per guardrail retry and per revision. */
  answers: number;
  /** The raw output of a `done` task: its agent's last answer. */
  raw?: string;
}

/** What a path's run should end with. */
export interface CrewPathExpectation {
  outcome: 'completed' | 'failed';
  /** The class name of the error the run rejects with (`GuardrailError` when a guardrail budget is spent). */
  error?: string;
  /** The task whose failure ends the run. */
  failedTaskId?: string;
  tasks: Record<string, ExpectedTask>;
}

/** What a path's run did, as the real task actors report it. */
export interface CrewPathObservation {
  outcome: 'completed' | 'failed';
  error?: string;
  tasks: Record<string, { status: string; trace: string[]; answers: number; raw?: string }>;
  /** Calls the path did not plan for (a guardrail, reviewer or model asked once too often). */
  surprises: string[];
  /** A completed run: the task ids of its `CrewOutput.tasksOutput` that the path checks, in order. */
  outputs?: string[];
}

/** What `path.run()` resolves with once the run matched the path's expectation. */
export interface CrewPathResult {
  output?: CrewOutput;
  error?: unknown;
  observed: CrewPathObservation;
}

/** How the scripted parts of a path's run answer. */
export interface CrewPathScriptOptions {
  /** Inputs for the kickoff (needed when the crew's texts have `{placeholders}`). */
  inputs?: Inputs;
  /**
   * The scripted model's answer for a task (attempt 1, 2, … counts every answer of the task). Give one for
   * tasks with an `outputSchema`: it must parse. Default: `<task id>: answer <attempt>`.
   */
  answer?: (task: Task, attempt: number) => string;
  /** A reviewer's revision request (round 1, 2, …). Default: `Please improve this (round <round>).` */
  feedback?: (task: Task, round: number) => string;
  /** The error a failing scripted guardrail reports (check 1, 2, …). */
  guardrailError?: (task: Task, check: number) => string;
  /** Keep the tasks' `outputFile`s (default false: a path's run writes no files). */
  keepOutputFiles?: boolean;
}

/** Options of `crewTestModel`. */
export interface CrewModelOptions {
  /** How many times a reviewer may ask a `humanInput` task for a revision (default 1). */
  maxRevisions?: number;
}

/** Options of `crewTestPaths`. */
export interface CrewTestPathsOptions extends CrewModelOptions, CrewPathScriptOptions {
  /**
   * `shortest` (default): a few paths that together take every decision of every task at least once
   * (each conditional run and skip, guardrail pass, retry and exhaustion, approval and revision).
   * `simple`: every combination of decisions (grows as the product of the tasks' choices).
   */
  strategy?: 'shortest' | 'simple';
  /** Traversal limit for `xstate/graph` (default 100,000): a larger model throws instead of hanging. */
  limit?: number;
}

/** One generated path: what it decides, what the run should do, and how to run it. */
export interface CrewTestPath {
  /** `[i/n] <decisions> ⇒ <outcome>`: readable, and carries the path count for test names. */
  description: string;
  /** 1-based position among the generated paths. */
  index: number;
  total: number;
  steps: CrewPathStep[];
  expected: CrewPathExpectation;
  /** Runs the crew with scripted models, guardrails, conditions and feedback; rejects on any mismatch. */
  run(): Promise<CrewPathResult>;
}
