import { describe, expect, it } from 'vitest';
import { InterpolationError } from '../src/errors.js';
import { interpolate, placeholders, validateInputs, type Inputs } from '../src/interpolation.js';

const where = { field: 'description', owner: "task 'Research AI'" };

function thrown(run: () => unknown): InterpolationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InterpolationError);
    return error as InterpolationError;
  }
  throw new Error('expected an InterpolationError');
}

describe('placeholders', () => {
  it('should list names in order of first appearance, without duplicates', () => {
    expect(placeholders('{topic} in {year}: more on {topic} by {author_name} and {x-1}')).toEqual([
      'topic',
      'year',
      'author_name',
      'x-1',
    ]);
  });

  it('should not treat JSON or other braces as placeholders', () => {
    expect(placeholders('Return {"a": 1} or { spaced } or {1abc} or {} or {a.b}')).toEqual([]);
  });

  it('should give the same answer when called repeatedly (no regex state leaks between calls)', () => {
    expect(placeholders('{a}')).toEqual(['a']);
    expect(placeholders('{a}')).toEqual(['a']);
  });
});

describe('interpolate', () => {
  it('should replace every occurrence of every placeholder', () => {
    expect(interpolate('About {topic}; again {topic} in {year}', { topic: 'AI', year: 2025 }, where)).toBe(
      'About AI; again AI in 2025',
    );
  });

  it('should render numbers and booleans with String(), null as empty, arrays and objects as JSON', () => {
    const inputs: Inputs = { n: 1.5, yes: true, no: false, nothing: null, list: [1, 'a'], obj: { k: 'v' } };
    expect(interpolate('{n}|{yes}|{no}|{nothing}|{list}|{obj}', inputs, where)).toBe(
      '1.5|true|false||[1,"a"]|{"k":"v"}',
    );
  });

  it('should insert string values as is, even when they look like placeholders', () => {
    expect(interpolate('{a}', { a: '{b} and $1 $&' }, where)).toBe('{b} and $1 $&');
  });

  it('should leave JSON braces alone', () => {
    expect(interpolate('Answer as {"topic": "{topic}"}', { topic: 'AI' }, where)).toBe(
      'Answer as {"topic": "AI"}',
    );
  });

  it('should throw missing_input naming the variable, the field and the owner', () => {
    const error = thrown(() => interpolate('About {topic} and {year}', { topic: 'AI' }, where));
    expect(error.code).toBe('missing_input');
    expect(error.key).toBe('year');
    expect(error.message).toContain("'year'");
    expect(error.message).toContain('description');
    expect(error.message).toContain("task 'Research AI'");
  });

  it('should not resolve placeholders from the prototype chain', () => {
    const error = thrown(() => interpolate('{constructor} {toString}', { topic: 'AI' }, where));
    expect(error.code).toBe('missing_input');
    expect(error.key).toBe('constructor');
  });

  it('should refuse to render an unsupported value instead of stringifying it', () => {
    const inputs = { when: new Date(0) } as unknown as Inputs;
    const error = thrown(() => interpolate('{when}', inputs, where));
    expect(error.code).toBe('invalid_input');
    expect(error.key).toBe('when');
  });

  it('should return text without placeholders unchanged', () => {
    expect(interpolate('No placeholders here', { a: 1 }, where)).toBe('No placeholders here');
  });
});

describe('validateInputs', () => {
  it('should accept strings, numbers, booleans, null, plain objects and arrays, nested', () => {
    expect(() =>
      validateInputs({
        s: 'x',
        n: 0,
        b: false,
        z: null,
        list: [1, 'two', null, [true], { deep: { deeper: [1] } }],
        obj: { a: { b: 'c' }, bare: Object.assign(Object.create(null) as object, { k: 1 }) },
      }),
    ).not.toThrow();
  });

  class Custom {}
  const cases: Array<[string, unknown, string]> = [
    ['a function', () => 1, 'function'],
    ['a symbol', Symbol('s'), 'symbol'],
    ['a bigint', 10n, 'bigint'],
    ['undefined in a list', [undefined], 'undefined'],
    ['a Date', new Date(0), 'Date'],
    ['a Map', new Map(), 'Map'],
    ['a custom class instance', new Custom(), 'Custom'],
  ];
  it.each(cases)('should reject %s with invalid_input naming the key and the type', (_label, value, type) => {
    const error = thrown(() => validateInputs({ topic: value } as unknown as Inputs));
    expect(error.code).toBe('invalid_input');
    expect(error.key).toBe('topic');
    expect(error.message).toContain("'topic'");
    expect(error.message).toContain(type);
  });

  it('should reject unsupported values nested in objects and arrays, naming the top-level key and the path', () => {
    const error = thrown(() =>
      validateInputs({ config: { items: [1, { fn: () => 1 }] } } as unknown as Inputs),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.key).toBe('config');
    expect(error.message).toContain('config.items[1].fn');
    expect(error.message).toContain('function');
  });

  it('should take a key whose value is undefined for an absent one, as JSON does', () => {
    expect(() =>
      validateInputs({ topic: undefined, meta: { note: undefined } } as unknown as Inputs),
    ).not.toThrow();
    const where = { field: 'description', owner: "task 'Write'" };
    expect(interpolate('About {year}', { topic: undefined, year: 2026 } as unknown as Inputs, where)).toBe(
      'About 2026',
    );
    const error = thrown(() =>
      interpolate('About {topic}', { topic: undefined } as unknown as Inputs, where),
    );
    expect(error.code).toBe('missing_input');
  });

  it('should reject circular values instead of recursing forever', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    const error = thrown(() => validateInputs({ loop } as Inputs));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('circular');
  });

  it('should accept the same object referenced twice (shared, not circular)', () => {
    const shared = { a: 1 };
    expect(() => validateInputs({ x: [shared, shared], y: shared })).not.toThrow();
  });
});
