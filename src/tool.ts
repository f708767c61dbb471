import { z } from 'zod';
import type { ToolDefinition } from './llm/types.js';

/** What a tool's `execute` receives besides its arguments. */
export interface ToolContext {
  signal: AbortSignal;
  /** Role of the agent calling the tool. */
  agent: string;
  /** Id of the task being worked on, when there is one. */
  task?: string;
}

export interface Tool<TSchema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly schema: TSchema;
  execute(args: z.infer<TSchema>, ctx: ToolContext): unknown | Promise<unknown>;
  /** Return false to keep a result out of the crew's tool cache. */
  cacheFunction?: (args: z.infer<TSchema>, result: unknown) => boolean;
  /** The tool's result becomes the task's final answer. */
  resultAsAnswer?: boolean;
  maxUsageCount?: number;
}

export interface ToolOptions<TSchema extends z.ZodType> {
  name: string;
  description: string;
  schema: TSchema;
  execute: (args: z.infer<TSchema>, ctx: ToolContext) => unknown | Promise<unknown>;
  cacheFunction?: (args: z.infer<TSchema>, result: unknown) => boolean;
  resultAsAnswer?: boolean;
  maxUsageCount?: number;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Defines a tool an agent may call; its arguments are validated with the zod schema.
 * @example
 * const search = tool({ name: 'search', description: 'Search the web',
 *   schema: z.object({ query: z.string() }), execute: async ({ query }) => lookup(query) });
 */
export function tool<TSchema extends z.ZodType>(options: ToolOptions<TSchema>): Tool<TSchema> {
  const name = toolName(options.name);
  assertZodSchema(name, options.schema);
  const { execute, cacheFunction } = options;
  if (typeof execute !== 'function') {
    throw new TypeError(`Tool '${name}' needs an execute function (got ${typeof execute})`);
  }
  if (cacheFunction !== undefined && typeof cacheFunction !== 'function') {
    throw new TypeError(`Tool '${name}': cacheFunction must be a function (got ${typeof cacheFunction})`);
  }
  // Read one by one, through getters and the prototype (a class instance's fields, getters and methods);
  // methods stay bound to the object they came from.
  const { description, schema, resultAsAnswer, maxUsageCount } = options;
  return Object.freeze({
    name,
    description,
    schema,
    execute: execute.bind(options),
    ...(cacheFunction ? { cacheFunction: cacheFunction.bind(options) } : {}),
    ...(resultAsAnswer !== undefined ? { resultAsAnswer } : {}),
    ...(maxUsageCount !== undefined ? { maxUsageCount } : {}),
  }) as Tool<TSchema>;
}

/**
 * The name models see: as given when a model API accepts it; else (crewAI style, `'Search the internet'`)
 * made into one as crewAI does, lower case with `_` for every other character (`search_the_internet`).
 */
function toolName(given: unknown): string {
  if (typeof given === 'string' && TOOL_NAME.test(given)) return given;
  const made =
    typeof given === 'string'
      ? given
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '_')
          .replace(/^_+|_+$/g, '')
      : '';
  if (TOOL_NAME.test(made)) return made;
  throw new TypeError(`Tool name '${String(given)}' must be 1-64 letters, digits, '_' or '-'`);
}

const definitions = new WeakMap<Tool, ToolDefinition>();

/** The tool as a model sees it, with JSON Schema parameters generated from the zod schema. */
export function toToolDefinition(t: Tool): ToolDefinition {
  let definition = definitions.get(t);
  if (!definition) {
    assertZodSchema(t.name, t.schema);
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(t.schema, {
      io: 'input',
      // Types JSON Schema cannot express (bigint, custom, …) are described as "any value" rather than
      // failing the run; but JSON has no dates, so a date is an ISO string (which `z.coerce.date()` accepts).
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        if (zodSchema._zod.def.type !== 'date') return;
        jsonSchema.type = 'string';
        jsonSchema.format = 'date-time';
      },
    }) as Record<string, unknown>;
    definition = { name: t.name, description: t.description, parameters };
    definitions.set(t, definition);
  }
  return definition;
}

function assertZodSchema(name: string, schema: unknown): void {
  if (typeof schema !== 'object' || schema === null || !('_zod' in schema)) {
    throw new TypeError(`Tool '${name}': schema must be a zod schema (e.g. z.object({ query: z.string() }))`);
  }
}

/** Renders a tool result as the text of a `tool` message. */
export function toolResultText(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === undefined) return '';
  return JSON.stringify(result);
}
