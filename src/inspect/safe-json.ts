const DEFAULT_MAX_DEPTH = 10;

/**
 * JSON for an inspection message, which may hold anything an event or a context holds: functions
 * become `{ type: name }` (as @statelyai/inspect writes them), bigints strings, cycles '[Circular]',
 * and anything deeper than `maxDepth` '[Object]' / '[Array]' (the inspector's own depth limit is 10).
 * Values with `toJSON` (snapshots, actor refs, dates) are written as they ask.
 */
export function safeJson(value: unknown, maxDepth = DEFAULT_MAX_DEPTH): string {
  // The chain of objects from the top down to the one being written; `this` is the current holder.
  const ancestors: unknown[] = [];
  return JSON.stringify(value, function replacer(this: unknown, _key: string, item: unknown) {
    if (typeof item === 'function') return { type: item.name || 'anonymous' };
    if (typeof item === 'bigint') return item.toString();
    if (typeof item !== 'object' || item === null) return item;
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
    if (ancestors.includes(item)) return '[Circular]';
    if (ancestors.length > maxDepth) return Array.isArray(item) ? '[Array]' : '[Object]';
    ancestors.push(item);
    return item;
  });
}
