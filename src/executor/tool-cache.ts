import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';

/** JSON text with object keys sorted at every depth, so equal arguments give equal text. */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) => (isPlainObject(item) ? sortKeys(item) : item)) ?? 'null'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// fromEntries defines own properties, so a `__proto__` key from JSON.parse stays a key.
function sortKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, object[key]]),
  );
}

/**
 * The arguments a call is cached under: the model's raw arguments (`raw`, as `JSON.parse` gave them), never
 * the schema's output, which may hold values JSON cannot render faithfully (bigint, Set, Map, class
 * instances). So that an omitted argument with a zod default shares an entry with the same value given
 * explicitly, keys the schema filled in (at any depth of objects and arrays) are added to the raw
 * arguments — but only when the result is plain JSON and the schema, given it, yields exactly the same
 * arguments (`parsed`) as the raw ones did. Otherwise (a default that is not plain JSON, a transform that
 * treats an explicit value differently, a schema that throws) the raw arguments are used as they are.
 */
export function cacheArguments(raw: unknown, parsed: unknown, schema: z.ZodType): unknown {
  const filled = fillMissing(raw, parsed);
  if (filled === raw) return raw;
  try {
    const candidate: unknown = JSON.parse(canonicalJson(filled));
    const again = schema.safeParse(candidate);
    return again.success && isDeepStrictEqual(again.data, parsed) ? candidate : raw;
  } catch {
    return raw;
  }
}

/** `raw` with the keys `parsed` has and `raw` lacks added; `raw` itself when there are none. */
function fillMissing(raw: unknown, parsed: unknown): unknown {
  if (Array.isArray(raw) && Array.isArray(parsed) && raw.length === parsed.length) {
    const items = raw.map((item: unknown, i) => fillMissing(item, parsed[i]));
    return items.some((item, i) => item !== raw[i]) ? items : raw;
  }
  if (!isPlainObject(raw) || !isPlainObject(parsed)) return raw;
  let changed = false;
  const entries = Object.keys(raw).map((key): [string, unknown] => {
    const value = Object.hasOwn(parsed, key) ? fillMissing(raw[key], parsed[key]) : raw[key];
    if (value !== raw[key]) changed = true;
    return [key, value];
  });
  for (const key of Object.keys(parsed)) {
    if (!Object.hasOwn(raw, key) && parsed[key] !== undefined) {
      entries.push([key, parsed[key]]);
      changed = true;
    }
  }
  return changed ? Object.fromEntries(entries) : raw;
}

/**
 * Tool results of one run, by cache key (`cacheKey`: tool name and canonical JSON of the arguments, see
 * `cacheArguments`). A call whose arguments cannot be rendered as JSON has no key and is never cached.
 */
export class ToolCache {
  private readonly entries = new Map<string, string>();

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  set(key: string, result: string): void {
    this.entries.set(key, result);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The cache key of a call, or `undefined` when the arguments cannot be rendered (a bigint, a cycle): such a
 * call is simply not cached. The quoted name ends at its closing quote, so no name/arguments pair can
 * collide with another.
 */
export function cacheKey(tool: string, args: unknown): string | undefined {
  try {
    return `${JSON.stringify(tool)}:${canonicalJson(args)}`;
  } catch {
    return undefined;
  }
}
