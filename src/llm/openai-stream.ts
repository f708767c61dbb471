import type OpenAI from 'openai';
import { contentOf, toUsage, withOptional } from './openai-mapping.js';
import type { LLMResponse, LLMUsage, ToolCall } from './types.js';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type ToolCallDelta = OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall;

/** Builds one answer out of `chat.completion.chunk` events; tool calls arrive in pieces keyed by index. */
export class ChunkAssembler {
  #content = '';
  #sawContent = false;
  #refusal = '';
  readonly #calls = new Map<number, ToolCall>();
  #usage: LLMUsage | undefined;

  /** Adds a chunk and returns the text it added to the answer (empty when none). */
  add(chunk: Chunk): string {
    if (chunk.usage) this.#usage = toUsage(chunk.usage);
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    const delta = choice?.delta;
    if (!delta) return '';
    for (const call of delta.tool_calls ?? []) this.#addToolCall(call);
    if (typeof delta.refusal === 'string') this.#refusal += delta.refusal;
    if (typeof delta.content !== 'string') return '';
    this.#sawContent = true;
    this.#content += delta.content;
    return delta.content;
  }

  #addToolCall(delta: ToolCallDelta): void {
    const index = delta.index ?? this.#calls.size;
    const call = this.#calls.get(index) ?? { id: '', name: '', arguments: '' };
    if (delta.id) call.id = delta.id;
    if (delta.function?.name) call.name += delta.function.name;
    if (delta.function?.arguments) call.arguments += delta.function.arguments;
    this.#calls.set(index, call);
  }

  result(): LLMResponse {
    const toolCalls = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    const content = contentOf(this.#sawContent ? this.#content : null, this.#refusal, toolCalls);
    return withOptional(content, toolCalls, this.#usage);
  }
}

/** Reads a chat stream to its end, handing every text piece to `onDelta` and each chunk to `onChunk`. */
export async function readChatStream(
  stream: AsyncIterable<Chunk>,
  onDelta: ((text: string) => void) | undefined,
  onChunk: () => void,
): Promise<LLMResponse> {
  const assembler = new ChunkAssembler();
  for await (const chunk of stream) {
    onChunk();
    const text = assembler.add(chunk);
    if (text && onDelta) onDelta(text);
  }
  return assembler.result();
}
