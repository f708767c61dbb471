import { BRAND, isInstance } from './brand.js';
import type { ChatMessage } from './llm/types.js';
import { emptyUsage, type UsageMetrics } from './usage.js';

/** The serialisable form of a task's output: what task actors carry and checkpoints store. */
export interface TaskOutputData {
  taskId: string;
  name: string;
  description: string;
  expectedOutput: string;
  raw: string;
  parsed?: unknown;
  json?: Record<string, unknown>;
  agent: string;
  outputFormat: 'raw' | 'json';
  messages: ChatMessage[];
  skipped: boolean;
}

/** crewAI's summary: the description's first ten words (split on single spaces), then `...`. */
export function summarize(description: string): string {
  // The tenth space ends the summary: a long description is not split into all its words.
  let end = -1;
  for (let words = 0; words < 10; words++) {
    end = description.indexOf(' ', end + 1);
    if (end === -1) return `${description}...`;
  }
  return `${description.slice(0, end)}...`;
}

export class TaskOutput<TParsed = unknown> {
  static readonly [BRAND]: string = 'TaskOutput';

  /** `instanceof` holds for an output of another copy of statecrew too (the CommonJS build beside ESM). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }

  readonly taskId: string;
  readonly name: string;
  readonly description: string;
  readonly expectedOutput: string;
  readonly summary: string;
  raw: string;
  parsed?: TParsed;
  json?: Record<string, unknown>;
  readonly agent: string;
  readonly outputFormat: 'raw' | 'json';
  readonly messages: ChatMessage[];
  readonly skipped: boolean;

  constructor(data: TaskOutputData) {
    this.taskId = data.taskId;
    this.name = data.name;
    this.description = data.description;
    this.expectedOutput = data.expectedOutput;
    this.summary = summarize(data.description);
    this.raw = data.raw;
    this.parsed = data.parsed as TParsed | undefined;
    this.json = data.json;
    this.agent = data.agent;
    this.outputFormat = data.outputFormat;
    this.messages = data.messages;
    this.skipped = data.skipped;
  }

  toString(): string {
    return this.json ? JSON.stringify(this.json) : this.raw;
  }

  toJSON(): TaskOutputData & { summary: string } {
    return {
      taskId: this.taskId,
      name: this.name,
      description: this.description,
      expectedOutput: this.expectedOutput,
      summary: this.summary,
      raw: this.raw,
      ...(this.parsed === undefined ? {} : { parsed: this.parsed }),
      ...(this.json === undefined ? {} : { json: this.json }),
      agent: this.agent,
      outputFormat: this.outputFormat,
      messages: this.messages,
      skipped: this.skipped,
    };
  }

  /** The plain data of this output (for task actors and checkpoints). */
  toData(): TaskOutputData {
    const { summary: _summary, ...data } = this.toJSON();
    return data;
  }
}

export interface CrewOutputData {
  runId: string;
  raw: string;
  parsed?: unknown;
  json?: Record<string, unknown>;
  tasksOutput: TaskOutputData[];
  tokenUsage: UsageMetrics;
}

export class CrewOutput<TParsed = unknown> {
  static readonly [BRAND]: string = 'CrewOutput';

  /** `instanceof` holds for an output of another copy of statecrew too (the CommonJS build beside ESM). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }

  readonly runId: string;
  raw: string;
  parsed?: TParsed;
  json?: Record<string, unknown>;
  tasksOutput: TaskOutput[];
  tokenUsage: UsageMetrics;

  constructor(data: { runId: string; tasksOutput: TaskOutput[]; tokenUsage?: UsageMetrics }) {
    this.runId = data.runId;
    this.tasksOutput = data.tasksOutput;
    this.tokenUsage = data.tokenUsage ?? emptyUsage();
    const last = [...data.tasksOutput].reverse().find((output) => !output.skipped);
    this.raw = last?.raw ?? '';
    this.parsed = last?.parsed as TParsed | undefined;
    this.json = last?.json;
  }

  static fromData(data: CrewOutputData): CrewOutput {
    const output = new CrewOutput({
      runId: data.runId,
      tasksOutput: data.tasksOutput.map((task) => new TaskOutput(task)),
      tokenUsage: data.tokenUsage,
    });
    output.raw = data.raw;
    output.parsed = data.parsed;
    output.json = data.json;
    return output;
  }

  toString(): string {
    return this.json ? JSON.stringify(this.json) : this.raw;
  }

  toJSON(): CrewOutputData {
    return {
      runId: this.runId,
      raw: this.raw,
      ...(this.parsed === undefined ? {} : { parsed: this.parsed }),
      ...(this.json === undefined ? {} : { json: this.json }),
      tasksOutput: this.tasksOutput.map((task) => task.toData()),
      tokenUsage: this.tokenUsage,
    };
  }
}
