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

/** Tool results of one run, keyed by tool name and canonical JSON of the (parsed) arguments. */
export class ToolCache {
  private readonly entries = new Map<string, string>();

  get(tool: string, args: unknown): string | undefined {
    return this.entries.get(cacheKey(tool, args));
  }

  set(tool: string, args: unknown, result: string): void {
    this.entries.set(cacheKey(tool, args), result);
  }

  get size(): number {
    return this.entries.size;
  }
}

// The quoted name ends at its closing quote, so no name/arguments pair can collide with another.
function cacheKey(tool: string, args: unknown): string {
  return `${JSON.stringify(tool)}:${canonicalJson(args)}`;
}
