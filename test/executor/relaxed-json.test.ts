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

  it('never changes what is inside a string, only its quotes', () => {
    expect(parseRelaxedJson('{note: "None of them is True",}')).toEqual({ note: 'None of them is True' });
    expect(parseRelaxedJson("{'text': 'Verdict: True, final',}")).toEqual({ text: 'Verdict: True, final' });
    expect(parseRelaxedJson("{'note': 'x: None]', 'list': '[a, ]'}")).toEqual({
      note: 'x: None]',
      list: '[a, ]',
    });
    expect(parseRelaxedJson(`{'q': "Bob's", 'said': 'he said "hi"', 'it\\'s': 'ok'}`)).toEqual({
      q: "Bob's",
      said: 'he said "hi"',
      "it's": 'ok',
    });
  });

  it('gives up on what it cannot make JSON (the model is then told the parse error)', () => {
    expect(parseRelaxedJson("{'q': 'it's'}")).toBeUndefined();
    expect(parseRelaxedJson("{'q': 'unterminated}")).toBeUndefined();
    expect(parseRelaxedJson('not json at all')).toBeUndefined();
  });
});
