import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cacheArguments, cacheKey, canonicalJson, ToolCache } from '../../src/executor/tool-cache.js';

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

describe('ToolCache and cacheKey', () => {
  /** The key of a call whose arguments can be rendered. */
  const key = (tool: string, args: unknown) => cacheKey(tool, args)!;

  it('should return a stored result for the same tool and equal arguments in any key order', () => {
    const cache = new ToolCache();
    cache.set(key('multiplier', { first_number: 2, second_number: 6 }), '12');
    expect(cache.get(key('multiplier', { second_number: 6, first_number: 2 }))).toBe('12');
  });

  it('should miss for other arguments or another tool', () => {
    const cache = new ToolCache();
    cache.set(key('multiplier', { a: 2, b: 6 }), '12');
    expect(cache.get(key('multiplier', { a: 2, b: 7 }))).toBeUndefined();
    expect(cache.get(key('adder', { a: 2, b: 6 }))).toBeUndefined();
  });

  it('should not confuse a tool name with part of the arguments', () => {
    expect(key('a', 'b:c')).not.toBe(key('a:"b', 'c'));
  });

  it('should count entries and overwrite an existing one', () => {
    const cache = new ToolCache();
    expect(cache.size).toBe(0);
    cache.set(key('search', { q: 'x' }), 'old');
    cache.set(key('search', { q: 'x' }), 'new');
    cache.set(key('search', { q: 'y' }), 'other');
    expect(cache.size).toBe(2);
    expect(cache.get(key('search', { q: 'x' }))).toBe('new');
  });

  it('should give no key to arguments that cannot be rendered as JSON, without throwing', () => {
    expect(cacheKey('item', { id: 5n })).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(cacheKey('item', cyclic)).toBeUndefined();
  });

  it('should keep caches independent of each other', () => {
    const first = new ToolCache();
    first.set(key('search', {}), 'r');
    expect(new ToolCache().get(key('search', {}))).toBeUndefined();
  });
});

describe('cacheArguments', () => {
  /** The cache arguments of raw model arguments, as run-tools derives them. */
  function keyArgs(schema: z.ZodType, raw: unknown): unknown {
    return cacheArguments(raw, schema.parse(raw), schema);
  }

  it('should be the raw arguments, not the parsed ones, when the schema fills nothing in', () => {
    const schema = z.object({
      id: z.coerce.bigint(),
      tags: z.array(z.string()).transform((t) => new Set(t)),
    });
    const raw = { id: '5', tags: ['a'] };
    expect(keyArgs(schema, raw)).toBe(raw);
  });

  it('should add an omitted default, at any depth, so it matches the same value given explicitly', () => {
    const schema = z.object({
      q: z.string(),
      limit: z.number().default(3),
      filters: z.array(z.object({ field: z.string(), exact: z.boolean().default(false) })),
    });
    const omitted = keyArgs(schema, { q: 'x', filters: [{ field: 'a' }] });
    const explicit = keyArgs(schema, { filters: [{ exact: false, field: 'a' }], limit: 3, q: 'x' });
    expect(canonicalJson(omitted)).toBe(canonicalJson(explicit));
    expect(omitted).toEqual({ q: 'x', limit: 3, filters: [{ field: 'a', exact: false }] });
  });

  it('should keep the raw arguments when the explicit default would give the tool other arguments', () => {
    const doubled = z.object({
      n: z
        .number()
        .transform((n) => n * 2)
        .default(4),
    });
    expect(keyArgs(doubled, {})).toEqual({});
  });

  it('should keep the raw arguments when a default is not plain JSON', () => {
    const schema = z.object({
      q: z.string(),
      since: z.date().default(new Date(0)),
      big: z.bigint().default(1n),
    });
    expect(keyArgs(schema, { q: 'x' })).toEqual({ q: 'x' });
  });

  it('should keep the raw arguments when parsing them again throws', () => {
    let parses = 0;
    const schema = z.object({
      q: z.string().refine(() => {
        if (++parses > 1) throw new Error('refinement bug');
        return true;
      }),
      limit: z.number().default(3),
    });
    expect(keyArgs(schema, { q: 'x' })).toEqual({ q: 'x' });
  });
});
