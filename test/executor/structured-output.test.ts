import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseStructuredOutput } from '../../src/executor/structured-output.js';

const Report = z.object({ title: z.string(), score: z.number() });

describe('parseStructuredOutput', () => {
  it('should parse a whole-text JSON answer and expose it as value and json', () => {
    const result = parseStructuredOutput('  {"title": "AI", "score": 9}\n', Report);
    expect(result).toEqual({ ok: true, value: { title: 'AI', score: 9 }, json: { title: 'AI', score: 9 } });
  });

  it('should type the value from the schema', () => {
    const result = parseStructuredOutput('{"title": "AI", "score": 9}', Report);
    if (!result.ok) throw new Error(result.error);
    const title: string = result.value.title;
    expect(title).toBe('AI');
  });

  it('should read a ```json fenced block surrounded by prose', () => {
    const text = 'Here you go:\n```json\n{"title": "AI", "score": 9}\n```\nHope it helps.';
    expect(parseStructuredOutput(text, Report)).toMatchObject({ ok: true, value: { title: 'AI', score: 9 } });
  });

  it('should take the value out of the { "value": … } a non-object schema is asked as, in a fence or in prose', () => {
    const tags = z.array(z.string());
    expect(parseStructuredOutput('```json\n{"value": ["a", "b"]}\n```', tags)).toMatchObject({
      ok: true,
      value: ['a', 'b'],
    });
    expect(parseStructuredOutput('Here it is: {"value": ["a"]}', tags)).toMatchObject({
      ok: true,
      value: ['a'],
    });
    // A schema that would take the wrapper too gets the value inside it.
    expect(parseStructuredOutput('```json\n{"value": [1, 2]}\n```', z.unknown())).toMatchObject({
      value: [1, 2],
    });
    // An object schema with a `value` field takes the object itself.
    const boxed = z.object({ value: z.number() });
    expect(parseStructuredOutput('```\n{"value": 3}\n```', boxed)).toMatchObject({
      ok: true,
      value: { value: 3 },
    });
  });

  it('should read a bare ``` fenced block', () => {
    const text = 'Result:\n```\n{"title": "AI", "score": 1}\n```';
    expect(parseStructuredOutput(text, Report)).toMatchObject({ ok: true, value: { title: 'AI', score: 1 } });
  });

  it('should find an object embedded in prose, ignoring braces inside its strings', () => {
    const text = 'Sure! The report is {"title": "Sets like {a} and [b}", "score": 3} as requested.';
    expect(parseStructuredOutput(text, Report)).toMatchObject({
      ok: true,
      value: { title: 'Sets like {a} and [b}', score: 3 },
    });
  });

  it('should skip bracketed prose that is not JSON before the real object', () => {
    const text = 'Step [1 of 2] {not json} then [see below]: {"title": "AI", "score": 2}';
    expect(parseStructuredOutput(text, Report)).toMatchObject({ ok: true, value: { title: 'AI', score: 2 } });
  });

  it('should prefer an embedded value that matches the schema over an earlier one that does not', () => {
    const text = 'See note [1]. Answer: {"title": "AI", "score": 5}';
    expect(parseStructuredOutput(text, Report)).toMatchObject({ ok: true, value: { title: 'AI', score: 5 } });
  });

  it('should not accept an object nested inside a larger JSON value in place of it', () => {
    const text = 'Result: {"data": {"title": "AI", "score": 5}}';
    const result = parseStructuredOutput(text, Report);
    expect(result.ok).toBe(false);
  });

  it('should find an embedded array for an array schema, with json undefined', () => {
    const result = parseStructuredOutput('The tags are ["a", "b"].', z.array(z.string()));
    expect(result).toEqual({ ok: true, value: ['a', 'b'], json: undefined });
  });

  it('should give json from the validated value (unknown keys stripped by the schema)', () => {
    const result = parseStructuredOutput('{"title": "AI", "score": 1, "extra": true}', Report);
    expect(result).toMatchObject({ ok: true, json: { title: 'AI', score: 1 } });
    expect(result.ok && result.json && 'extra' in result.json).toBe(false);
  });

  it('should say no JSON was found when there is none', () => {
    const result = parseStructuredOutput('I could not produce a report.', Report);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/no json/i);
  });

  it('should treat a broken JSON text as no JSON', () => {
    const result = parseStructuredOutput('{"title": "AI", "score": }', Report);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/no json/i) });
  });

  it('should list the validation issues with their paths when the JSON does not match', () => {
    const result = parseStructuredOutput('{"title": 5}', Report);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('does not match');
    expect(result.error).toContain('title');
    expect(result.error).toContain('score');
    expect(result.error).toContain('expected string');
  });

  it('should report the issues of the largest JSON value found', () => {
    const result = parseStructuredOutput('Note [1]: {"title": "AI", "score": "high"}', Report);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('score');
  });

  it('should give up on a deep nest of brackets that never parses, in time linear in its length', () => {
    // Each nested block was parsed again inside the one around it: quadratic, 11 s for 60 KB.
    const nest = 30_000;
    const answer = `Here: ${'['.repeat(nest)}1,${']'.repeat(nest)}`;
    expect(parseStructuredOutput(answer, z.object({ a: z.string() }))).toEqual({
      ok: false,
      error: expect.stringContaining('No JSON was found in the answer') as string,
    });
  });

  it('should refuse a value nested deeper than 1,000 levels, which no checkpoint could hold', () => {
    const deep = `${'['.repeat(1001)}${']'.repeat(1001)}`;
    expect(parseStructuredOutput(deep, z.unknown())).toEqual({
      ok: false,
      error: expect.stringContaining('nests deeper than 1000 levels') as string,
    });
    expect(parseStructuredOutput(`${'['.repeat(1000)}${']'.repeat(1000)}`, z.unknown()).ok).toBe(true);
  });

  it('should still find JSON after a deeply nested block of prose brackets that is not JSON', () => {
    // Each level is re-parsed inside the one around it: with most of the text at the bottom, the levels
    // together are many times the answer's length.
    let config = `note: "${'n'.repeat(4000)}"`;
    for (let level = 0; level < 8; level++) config = `level${level}: { ${config} }`;
    const answer = `The config was:\n{ ${config} }\nSo the result is {"status": "updated"}`;
    expect(parseStructuredOutput(answer, z.object({ status: z.string() }))).toMatchObject({
      ok: true,
      value: { status: 'updated' },
    });
  });

  it('should accept a deep value the schema leaves out (only what it keeps must nest less than 1,000)', () => {
    const deep = `${'['.repeat(1500)}${']'.repeat(1500)}`;
    const answer = `{"title": "T", "extra": ${deep}}`;
    expect(parseStructuredOutput(answer, z.object({ title: z.string() }))).toEqual({
      ok: true,
      value: { title: 'T' },
      json: { title: 'T' },
    });
  });

  it('should refuse, not crash on, a deep answer to a recursive schema (it would overflow the stack)', () => {
    type Tree = { children: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ children: z.array(tree) }));
    let deep = '{"children": []}';
    for (let level = 0; level < 5000; level++) deep = `{"children": [${deep}]}`;
    for (const schema of [tree, z.json()]) {
      expect(parseStructuredOutput(deep, schema)).toEqual({
        ok: false,
        error: expect.stringContaining('nests deeper than 1000 levels') as string,
      });
    }
  });
});
