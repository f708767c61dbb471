import type OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { ChatMessage, LLMRequest, LLMResponse, LLMUsage, ToolCall, ToolDefinition } from './types.js';

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type MessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ToolParam = OpenAI.Chat.Completions.ChatCompletionFunctionTool;
type ResponseFormat = OpenAI.ResponseFormatJSONSchema;
type OpenAIToolCall = OpenAI.Chat.Completions.ChatCompletionMessageToolCall;

/** Thrown when a 200 answer does not have the Chat Completions shape. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

export function toOpenAIMessages(messages: ChatMessage[]): MessageParam[] {
  return messages.map((message): MessageParam => {
    switch (message.role) {
      case 'system':
      case 'user':
        return { role: message.role, content: message.content };
      case 'tool':
        return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
      case 'assistant':
        return message.toolCalls?.length
          ? {
              role: 'assistant',
              content: message.content,
              tool_calls: message.toolCalls.map(toOpenAIToolCall),
            }
          : { role: 'assistant', content: message.content };
    }
  });
}

function toOpenAIToolCall(call: ToolCall): OpenAIToolCall {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

export function toOpenAITools(tools: ToolDefinition[]): ToolParam[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

/**
 * What is derived from one schema, kept as long as the schema lives: whether its root is wrapped
 * (`wrapsRoot`), and its response format for each name it is sent under.
 */
interface SchemaEntry {
  wrapsRoot: boolean;
  /** The schema as JSON Schema text (without `$schema`), as a prompt shows it to a model. */
  text: string;
  formats: Map<string, ResponseFormat>;
}

const schemaCache = new WeakMap<z.ZodType, SchemaEntry>();

function schemaEntry(schema: z.ZodType): SchemaEntry {
  let entry = schemaCache.get(schema);
  if (entry === undefined) {
    const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    const { $schema: _ignored, ...json } = root;
    entry = { wrapsRoot: root.type !== 'object', text: JSON.stringify(json), formats: new Map() };
    schemaCache.set(schema, entry);
  }
  return entry;
}

/** The property a schema whose root is not an object travels under (OpenAI needs an object root). */
const WRAPPED_KEY = 'value';

/**
 * OpenAI's structured outputs take only an object at the root of the schema: an array, a string or a
 * union is asked for as `{ value: … }` (see `unwrapContent` for the way back).
 */
export function wrapsRoot(schema: z.ZodType): boolean {
  return schemaEntry(schema).wrapsRoot;
}

/** The JSON Schema of an answer `schema` describes, as text (converted and written once per schema). */
export function answerSchemaText(schema: z.ZodType): string {
  return schemaEntry(schema).text;
}

/** The answer to a wrapped schema, as the task's schema expects it: `value`'s JSON; else as it came. */
export function unwrapContent(content: string | null): string | null {
  if (content === null) return content;
  try {
    const parsed: unknown = JSON.parse(content);
    if (parsed && typeof parsed === 'object' && WRAPPED_KEY in parsed) {
      return JSON.stringify((parsed as Record<string, unknown>)[WRAPPED_KEY]);
    }
  } catch {
    // Not JSON (a refusal, a broken answer): the task's parse reports it.
  }
  return content;
}

/**
 * Strict structured outputs when OpenAI's converter accepts the schema; otherwise (optional fields,
 * records, transforms…) a plain JSON Schema without `strict`, so the model still sees the shape and the
 * caller's zod parse stays the judge. A schema whose root is not an object is wrapped (`wrapsRoot`).
 */
export function toResponseFormat(format: NonNullable<LLMRequest['responseFormat']>): ResponseFormat {
  const name = format.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'output';
  // Agents send the same schema on every turn; converting it once keeps each call cheap.
  const entry = schemaEntry(format.schema);
  const cached = entry.formats.get(name) ?? convert(format.schema, entry.wrapsRoot, name);
  entry.formats.set(name, cached);
  return cached;
}

function convert(original: z.ZodType, wrap: boolean, name: string): ResponseFormat {
  const schema = wrap ? z.object({ [WRAPPED_KEY]: original }) : original;
  try {
    const strict = zodResponseFormat(schema, name);
    return { type: 'json_schema', json_schema: { ...strict.json_schema } };
  } catch {
    const loose = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
    return { type: 'json_schema', json_schema: { name, schema: loose, strict: false } };
  }
}

export interface RequestSettings {
  model: string;
  temperature?: number;
}

export function toChatParams(request: LLMRequest, settings: RequestSettings): ChatParams {
  return {
    model: settings.model,
    messages: toOpenAIMessages(request.messages),
    ...(request.tools?.length ? { tools: toOpenAITools(request.tools) } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(request.responseFormat ? { response_format: toResponseFormat(request.responseFormat) } : {}),
  };
}

export function toUsage(usage: OpenAI.CompletionUsage | null | undefined): LLMUsage | undefined {
  if (!usage) return undefined;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
    ...(typeof usage.total_tokens === 'number' ? { totalTokens: usage.total_tokens } : {}),
    ...(typeof cached === 'number' ? { cachedPromptTokens: cached } : {}),
    ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
  };
}

/** Reads a non-streamed completion; anything without `choices[0].message` is malformed. */
export function fromCompletion(completion: OpenAI.Chat.Completions.ChatCompletion): LLMResponse {
  const message = Array.isArray(completion?.choices) ? completion.choices[0]?.message : undefined;
  if (!message || typeof message !== 'object') {
    throw new MalformedResponseError('the answer has no choices[0].message');
  }
  const toolCalls = (message.tool_calls ?? []).flatMap((call, index): ToolCall[] =>
    call.type === 'function'
      ? [
          {
            id: call.id || `call_${index}`,
            name: call.function.name,
            arguments: call.function.arguments ?? '',
          },
        ]
      : [],
  );
  return withOptional(
    contentOf(message.content, message.refusal, toolCalls),
    toolCalls,
    toUsage(completion.usage),
  );
}

/** A refusal stands in for missing content so the caller's parse error shows the model's reason. */
export function contentOf(
  content: string | null | undefined,
  refusal: string | null | undefined,
  toolCalls: ToolCall[],
): string | null {
  if (typeof content === 'string') return content;
  if (toolCalls.length === 0 && typeof refusal === 'string' && refusal) return refusal;
  return null;
}

export function withOptional(
  content: string | null,
  toolCalls: ToolCall[],
  usage: LLMUsage | undefined,
): LLMResponse {
  return { content, ...(toolCalls.length ? { toolCalls } : {}), ...(usage ? { usage } : {}) };
}
