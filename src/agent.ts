import type { AgentStep } from './events.js';
import { CrewValidationError } from './errors.js';
import { slug, stableId } from './ids.js';
import { checkLLM } from './llm/resolve.js';
import type { LLM } from './llm/types.js';
import type { Tool } from './tool.js';

export interface AgentOptions {
  role: string;
  goal: string;
  backstory: string;
  id?: string;
  /** A model, or a model name for OpenAILLM; default: env STATECREW_MODEL or 'gpt-4o-mini'. */
  llm?: LLM | string;
  tools?: Tool[];
  allowDelegation?: boolean;
  /** LLM calls that use tools before a forced final answer. */
  maxIter?: number;
  /** Requests per sliding minute; overrides the crew's. */
  maxRpm?: number;
  /** Whole-task re-executions after an error. */
  maxRetryLimit?: number;
  /** Milliseconds; exceeding it fails the task (not retried). */
  maxExecutionTime?: number;
  stepCallback?: (step: AgentStep) => unknown;
  /**
   * Print this agent's steps on stderr (its model answers, tool calls and results, delegations), even
   * when the crew is not verbose.
   */
  verbose?: boolean;
}

/**
 * Someone who works on tasks: a role, a goal and a backstory, a model and tools. Reusable across
 * crews and kickoffs; `{placeholders}` in the texts are filled from the kickoff's inputs.
 * @example
 * const researcher = new Agent({ role: 'Researcher', goal: 'Find facts about {topic}', backstory: '...' });
 */
export class Agent {
  readonly id: string;
  readonly role: string;
  readonly goal: string;
  readonly backstory: string;
  readonly llm?: LLM | string;
  readonly tools: Tool[];
  readonly allowDelegation: boolean;
  readonly maxIter: number;
  readonly maxRpm?: number;
  readonly maxRetryLimit: number;
  readonly maxExecutionTime?: number;
  readonly stepCallback?: (step: AgentStep) => unknown;
  readonly verbose: boolean;

  constructor(options: AgentOptions) {
    for (const field of ['role', 'goal', 'backstory'] as const) {
      if (typeof options[field] !== 'string') {
        throw new CrewValidationError(
          'invalid_option',
          `Agent needs a '${field}' string (got ${typeof options[field]})`,
        );
      }
    }
    checkLLM(options.llm, `Agent '${options.role}'`);
    this.role = options.role;
    this.goal = options.goal;
    this.backstory = options.backstory;
    this.id =
      options.id ??
      `${slug(options.role) || 'agent'}-${stableId(options.role, options.goal, options.backstory).slice(0, 8)}`;
    this.llm = options.llm;
    this.tools = [...(options.tools ?? [])];
    this.allowDelegation = options.allowDelegation ?? false;
    this.maxIter = positiveInt(options.maxIter ?? 25, 'maxIter', this.role, 1);
    this.maxRpm =
      options.maxRpm === undefined ? undefined : positiveInt(options.maxRpm, 'maxRpm', this.role, 1);
    this.maxRetryLimit = positiveInt(options.maxRetryLimit ?? 2, 'maxRetryLimit', this.role, 0);
    this.maxExecutionTime =
      options.maxExecutionTime === undefined
        ? undefined
        : positiveInt(options.maxExecutionTime, 'maxExecutionTime', this.role, 1);
    this.stepCallback = options.stepCallback;
    this.verbose = options.verbose ?? false;
  }
}

function positiveInt(value: number, name: string, role: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new CrewValidationError(
      'invalid_option',
      `Agent '${role}': ${name} must be an integer ≥ ${min} (got ${value})`,
    );
  }
  return value;
}
