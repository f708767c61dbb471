import { describe, expect, it } from 'vitest';
import { parseRelaxedJson } from '../../src/executor/relaxed-json.js';

describe('parseRelaxedJson', () => {
  it('reads Python literals, bare keys and trailing commas', () => {
    expect(parseRelaxedJson("{'q': 'tea', 'all': True, 'limit': None, 'strict': False}")).toEqual({
      q: 'tea',
      all: true,
      limit: null,
      strict: false,
    });
    expect(parseRelaxedJson('{query: "tea", tags: ["a", "b",],}')).toEqual({
      query: 'tea',
      tags: ['a', 'b'],
    });
  });

  it('leaves the words True, False and None inside strings alone', () => {
    expect(parseRelaxedJson('{note: "None of them is True",}')).toEqual({ note: 'None of them is True' });
  });

  it('gives up on what it cannot make JSON (the model is then told the parse error)', () => {
    expect(parseRelaxedJson("{'q': 'it's'}")).toBeUndefined();
    expect(parseRelaxedJson('not json at all')).toBeUndefined();
  });
});
