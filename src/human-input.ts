import type { TaskOutput } from './outputs.js';

/** What a crew's `humanInput` handler is asked: the output of a task waiting for a person. */
export interface HumanInputRequest {
  taskId: string;
  /** The task's name, else its (interpolated) description. */
  taskName: string;
  output: TaskOutput;
  /** 1 for the first review of the task's output, then 2, 3… after each round of feedback. */
  round: number;
  /**
   * Aborted once the answer is no longer wanted: the run was aborted, failed or stopped, or the round was
   * answered another way (a `human.feedback` event). A handler waiting on a person elsewhere (a chat, a
   * ticket) should stop waiting then; whatever it returns afterwards is ignored.
   */
  signal: AbortSignal;
}

/**
 * Returns a person's feedback on a task's output: empty or whitespace accepts it; anything else is sent
 * to the agent, which revises its answer (then guardrails run and the person is asked again).
 * @example
 * const crew = new Crew({ agents, tasks, humanInput: async ({ output }) => (await review(output.raw)) ?? '' });
 */
export type HumanInputHandler = (request: HumanInputRequest) => string | Promise<string>;
