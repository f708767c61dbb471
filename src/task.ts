import type { z } from 'zod';
import type { Agent } from './agent.js';
import { BRAND, isInstance } from './brand.js';
import { CrewValidationError } from './errors.js';
import type { Guardrail } from './guardrail.js';
import { slug, stableId } from './ids.js';
import { validateOutputFile } from './output-file.js';
import type { TaskOutput } from './outputs.js';
import type { Tool } from './tool.js';

export interface TaskOptions<TSchema extends z.ZodType = z.ZodType> {
  description: string;
  expectedOutput: string;
  name?: string;
  id?: string;
  /** Required in sequential crews; optional in hierarchical ones. */
  agent?: Agent;
  /** Omitted: every earlier output; []: no context; else these tasks' outputs. */
  context?: Task[];
  asyncExecution?: boolean;
  /** Overrides the agent's tools for this task. */
  tools?: Tool[];
  outputSchema?: TSchema;
  /** Runs first, before `guardrails`; its output's `parsed` is typed by `outputSchema`. */
  guardrail?: Guardrail<z.infer<TSchema>>;
  /** Run in order, each on the previous one's result. An array: for a single one, use `guardrail`. */
  guardrails?: Guardrail<z.infer<TSchema>>[];
  guardrailMaxRetries?: number;
  humanInput?: boolean;
  callback?: (output: TaskOutput<z.infer<TSchema>>) => unknown;
  outputFile?: string;
  createDirectory?: boolean;
  markdown?: boolean;
}

/**
 * A piece of work for an agent: what to do, what a good answer looks like, and how to check it.
 * @example
 * const research = new Task({ description: 'Research {topic}', expectedOutput: '5 bullet points', agent: researcher });
 */
export class Task<TSchema extends z.ZodType = z.ZodType> {
  readonly id: string;
  readonly name?: string;
  readonly description: string;
  readonly expectedOutput: string;
  readonly agent?: Agent;
  readonly context?: Task[];
  readonly asyncExecution: boolean;
  readonly tools?: Tool[];
  readonly outputSchema?: TSchema;
  /** The single guardrail first, then the list, in order. */
  readonly guardrails: Guardrail<z.infer<TSchema>>[];
  readonly guardrailMaxRetries: number;
  readonly humanInput: boolean;
  readonly callback?: (output: TaskOutput<z.infer<TSchema>>) => unknown;
  readonly outputFile?: string;
  readonly createDirectory: boolean;
  readonly markdown: boolean;
  /** The latest output of this task (undefined before a run and when it was skipped). */
  output?: TaskOutput<z.infer<TSchema>>;

  constructor(options: TaskOptions<TSchema>) {
    const label = options.name ?? options.description;
    for (const field of ['description', 'expectedOutput'] as const) {
      if (typeof options[field] !== 'string') {
        throw new CrewValidationError('invalid_option', `Task '${label}' needs a '${field}' string`);
      }
    }
    this.name = options.name;
    this.description = options.description;
    this.expectedOutput = options.expectedOutput;
    this.id =
      options.id ??
      `${slug(options.name ?? options.description) || 'task'}-${stableId(options.name ?? '', options.description, options.expectedOutput).slice(0, 8)}`;
    this.agent = options.agent;
    this.context = options.context ? [...options.context] : undefined;
    this.asyncExecution = options.asyncExecution ?? false;
    this.tools = options.tools ? [...options.tools] : undefined;
    this.outputSchema = options.outputSchema;
    this.guardrails = collectGuardrails(options, label);
    this.guardrailMaxRetries = options.guardrailMaxRetries ?? 3;
    if (!Number.isInteger(this.guardrailMaxRetries) || this.guardrailMaxRetries < 0) {
      throw new CrewValidationError(
        'invalid_guardrail',
        `Task '${label}': guardrailMaxRetries must be an integer ≥ 0`,
      );
    }
    this.humanInput = options.humanInput ?? false;
    this.callback = options.callback;
    if (options.outputFile !== undefined) validateOutputFile(options.outputFile, `task '${label}'`);
    this.outputFile = options.outputFile;
    this.createDirectory = options.createDirectory ?? true;
    this.markdown = options.markdown ?? false;
  }

  /** How errors and events name this task. */
  get label(): string {
    return this.name ?? this.description;
  }
}

function collectGuardrails<T>(
  options: { guardrail?: Guardrail<T>; guardrails?: Guardrail<T>[] },
  label: string,
): Guardrail<T>[] {
  // A string would be spread into one guardrail per character, a function not at all.
  if (options.guardrails !== undefined && !Array.isArray(options.guardrails)) {
    const type = options.guardrails === null ? 'null' : typeof options.guardrails;
    const given = type === 'null' ? type : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
    throw new CrewValidationError(
      'invalid_guardrail',
      `Task '${label}': guardrails must be an array (got ${given}); pass [guardrail], or use the guardrail option for a single one`,
    );
  }
  const all = [
    ...(options.guardrail === undefined ? [] : [options.guardrail]),
    ...(options.guardrails ?? []),
  ];
  for (const guardrail of all) {
    if (typeof guardrail !== 'string' && typeof guardrail !== 'function') {
      throw new CrewValidationError(
        'invalid_guardrail',
        `Task '${label}': a guardrail must be a function or a string (got ${typeof guardrail})`,
      );
    }
  }
  return all;
}

export interface ConditionalTaskOptions<TSchema extends z.ZodType = z.ZodType> extends TaskOptions<TSchema> {
  /** Receives the output of the task just before this one; false skips this task. */
  condition: (previous: TaskOutput) => boolean | Promise<boolean>;
}

/** A task that runs only when its condition, given the previous task's output, says so. */
export class ConditionalTask<TSchema extends z.ZodType = z.ZodType> extends Task<TSchema> {
  static readonly [BRAND]: string = 'ConditionalTask';
  readonly condition: (previous: TaskOutput) => boolean | Promise<boolean>;

  /** `instanceof` holds for a ConditionalTask made by another copy of statecrew too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }

  constructor(options: ConditionalTaskOptions<TSchema>) {
    super(options);
    if (typeof options.condition !== 'function') {
      throw new CrewValidationError(
        'invalid_option',
        `ConditionalTask '${this.label}' needs a condition function`,
      );
    }
    this.condition = options.condition;
  }
}
