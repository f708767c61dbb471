import type { TaskOutput } from './outputs.js';

export interface HumanInputRequest {
  taskId: string;
  taskName: string;
  output: TaskOutput;
  round: number;
}

/** Returns a person's feedback on a task's output; empty or whitespace accepts it. */
export type HumanInputHandler = (request: HumanInputRequest) => string | Promise<string>;
