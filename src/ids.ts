import { createHash } from 'node:crypto';

/**
 * 16 hex characters of sha256 over `parts`, identical in every process.
 * The parts are hashed as a JSON array, so `('ab', 'c')` and `('a', 'bc')` differ.
 */
export function stableId(...parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** A short readable prefix for ids: `'Research AI!'` → `'research-ai'`. */
export function slug(text: string, max = 24): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // keep the base letter of accented ones: é → e
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, Math.max(0, max))
    .replace(/-+$/, '');
}
