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
  /** The model said why it stopped (`finish_reason`): the answer is whole. */
  finished = false;

  /** Adds a chunk and returns the text it added to the answer (empty when none). */
  add(chunk: Chunk): string {
    if (chunk.usage) this.#usage = toUsage(chunk.usage);
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (choice?.finish_reason) this.finished = true;
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
    if (delta.function?.name) call.name = joinedName(call.name, delta.function.name);
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

/**
 * A tool call's name from its pieces. Providers differ: most send it once, some repeat it whole in every
 * piece (the SDK's own helper keeps the last), some send it cumulatively, and some in fragments.
 */
function joinedName(sofar: string, piece: string): string {
  if (sofar === '' || piece === sofar || piece.startsWith(sofar)) return piece;
  return sofar + piece;
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
  // The SDK ends a stream cut by a clean close without an error: an answer that never said it was done
  // is not taken for a whole one (a plain response cut the same way fails as malformed).
  if (!assembler.finished) throw new Error('the response stream ended before the model finished its answer');
  return assembler.result();
}
