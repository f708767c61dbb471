import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler } from '../../src/llm/openai-stream.js';

type Delta = OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta;

function chunk(
  delta: Delta | null,
  usage?: OpenAI.CompletionUsage,
): OpenAI.Chat.Completions.ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: delta ? [{ index: 0, delta, finish_reason: null }] : [],
    ...(usage ? { usage } : {}),
  };
}

describe('ChunkAssembler', () => {
  it('should join tool-call pieces by index, whatever order the indexes arrive in', () => {
    const assembler = new ChunkAssembler();
    assembler.add(
      chunk({ tool_calls: [{ index: 1, id: 'b', function: { name: 'second', arguments: '' } }] }),
    );
    assembler.add(
      chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'fir', arguments: '{"x"' } }] }),
    );
    assembler.add(chunk({ tool_calls: [{ index: 0, function: { name: 'st', arguments: ':1}' } }] }));
    assembler.add(chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }));
    expect(assembler.result()).toEqual({
      content: null,
      toolCalls: [
        { id: 'a', name: 'first', arguments: '{"x":1}' },
        { id: 'b', name: 'second', arguments: '{}' },
      ],
    });
  });

  it('should keep a tool name that a provider repeats whole (or cumulatively) in every piece', () => {
    const assembler = new ChunkAssembler();
    assembler.add(
      chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'search', arguments: '{"q"' } }] }),
    );
    assembler.add(chunk({ tool_calls: [{ index: 0, function: { name: 'search', arguments: ':"x"}' } }] }));
    assembler.add(chunk({ tool_calls: [{ index: 1, id: 'b', function: { name: 'loo', arguments: '' } }] }));
    assembler.add(chunk({ tool_calls: [{ index: 1, function: { name: 'lookup', arguments: '{}' } }] }));
    expect(assembler.result().toolCalls).toEqual([
      { id: 'a', name: 'search', arguments: '{"q":"x"}' },
      { id: 'b', name: 'lookup', arguments: '{}' },
    ]);
  });

  it('should give tool calls without an id a stable one', () => {
    const assembler = new ChunkAssembler();
    assembler.add(chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{}' } }] }));
    expect(assembler.result().toolCalls).toEqual([{ id: 'call_0', name: 'f', arguments: '{}' }]);
  });

  it('should return the text added by each chunk and take usage from a chunk without choices', () => {
    const assembler = new ChunkAssembler();
    expect(assembler.add(chunk({ role: 'assistant', content: '' }))).toBe('');
    expect(assembler.add(chunk({ content: 'Hel' }))).toBe('Hel');
    expect(assembler.add(chunk({ content: 'lo' }))).toBe('lo');
    assembler.add(chunk(null, { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 }));
    expect(assembler.result()).toEqual({
      content: 'Hello',
      usage: { promptTokens: 2, completionTokens: 1, totalTokens: 3 },
    });
  });

  it('should return a refusal as the content when there is no text', () => {
    const assembler = new ChunkAssembler();
    assembler.add(chunk({ role: 'assistant', content: null }));
    assembler.add(chunk({ refusal: 'I cannot help with that.' }));
    expect(assembler.result().content).toBe('I cannot help with that.');
  });
});
