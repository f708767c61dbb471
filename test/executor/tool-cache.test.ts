import { describe, expect, it } from 'vitest';
import { canonicalJson, ToolCache } from '../../src/executor/tool-cache.js';

describe('canonicalJson', () => {
  it('should sort object keys so key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it('should sort keys at every depth, including objects inside arrays', () => {
    expect(canonicalJson({ z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null })).toBe(
      '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}',
    );
  });

  it('should keep array order, which is meaningful', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('should render scalars as JSON and undefined as null', () => {
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(3)).toBe('3');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('should keep a "__proto__" key from parsed JSON as data', () => {
    const args = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as unknown;
    expect(canonicalJson(args)).toBe('{"__proto__":{"x":1},"a":1}');
  });
});

describe('ToolCache', () => {
  it('should return a stored result for the same tool and equal arguments in any key order', () => {
    const cache = new ToolCache();
    cache.set('multiplier', { first_number: 2, second_number: 6 }, '12');
    expect(cache.get('multiplier', { second_number: 6, first_number: 2 })).toBe('12');
  });

  it('should miss for other arguments or another tool', () => {
    const cache = new ToolCache();
    cache.set('multiplier', { a: 2, b: 6 }, '12');
    expect(cache.get('multiplier', { a: 2, b: 7 })).toBeUndefined();
    expect(cache.get('adder', { a: 2, b: 6 })).toBeUndefined();
  });

  it('should not confuse a tool name with part of the arguments', () => {
    const cache = new ToolCache();
    cache.set('a', 'b:c', 'first');
    expect(cache.get('a:"b', 'c')).toBeUndefined();
  });

  it('should count entries and overwrite an existing one', () => {
    const cache = new ToolCache();
    expect(cache.size).toBe(0);
    cache.set('search', { q: 'x' }, 'old');
    cache.set('search', { q: 'x' }, 'new');
    cache.set('search', { q: 'y' }, 'other');
    expect(cache.size).toBe(2);
    expect(cache.get('search', { q: 'x' })).toBe('new');
  });

  it('should keep caches independent of each other', () => {
    const first = new ToolCache();
    first.set('search', {}, 'r');
    expect(new ToolCache().get('search', {})).toBeUndefined();
  });
});
