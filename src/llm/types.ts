import type { z } from 'zod';

/** A tool call requested by a model; `arguments` is JSON text as the model produced it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

/** What a model is told about a tool: `parameters` is JSON Schema. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface LLMUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens?: number;
  cachedPromptTokens?: number;
  reasoningTokens?: number;
}

export interface LLMRequest {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  responseFormat?: { name: string; schema: z.ZodType };
  signal?: AbortSignal;
  /** Called with each piece of the answer's text when the model streams it. */
  onDelta?: (text: string) => void;
}

export interface LLMResponse {
  content: string | null;
  toolCalls?: ToolCall[];
  usage?: LLMUsage;
}

/** Every model statecrew talks to has this shape; users may write their own. */
export interface LLM {
  readonly model: string;
  /** Default true; false switches the agent to the ReAct text protocol. */
  readonly supportsFunctionCalling?: boolean;
  call(request: LLMRequest): Promise<LLMResponse>;
}
