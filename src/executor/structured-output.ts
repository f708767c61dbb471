import { z } from 'zod';
import { wrapsRoot } from '../llm/openai-mapping.js';

export type StructuredResult<T> =
  { ok: true; value: T; json: Record<string, unknown> | undefined } | { ok: false; error: string };

interface Candidate {
  value: unknown;
  length: number;
}

const REPLY = 'Reply with only a JSON value that matches the requested schema, with no other text.';
const NO_JSON = `No JSON was found in the answer. ${REPLY}`;

/** Deeper values could not be checkpointed (serialising them overflows the stack), so no output holds one. */
const MAX_DEPTH = 1000;
/** Deeper values are refused without asking the schema: a recursive one would overflow the stack on them. */
const MAX_CHECKED_DEPTH = 2000;

function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [at, depth] = pending.pop()!;
    if (typeof at !== 'object' || at === null) continue;
    if (depth > limit) return true;
    for (const inner of Object.values(at)) pending.push([inner, depth + 1]);
  }
  return false;
}

/**
 * Finds the JSON in a model's answer (the whole text, else a fenced block, else a block embedded in prose)
 * and validates it. Errors are written for the model, which is asked again with them.
 */
export function parseStructuredOutput<T>(text: string, schema: z.ZodType<T>): StructuredResult<T> {
  const unwrapFirst = wrapsRoot(schema);
  const candidates = jsonCandidates(text).flatMap((candidate) => withUnwrapped(candidate, unwrapFirst));
  if (candidates.length === 0) return { ok: false, error: NO_JSON };
  let closest: { length: number; error: z.ZodError } | undefined;
  let tooDeep = false;
  for (const candidate of candidates) {
    const result = checked(schema, candidate.value);
    // What the schema keeps is what a checkpoint holds: only that must not nest too deep.
    if (!result || (result.success && nestsDeeperThan(result.data, MAX_DEPTH))) tooDeep = true;
    else if (result.success) {
      return { ok: true, value: result.data, json: isPlainObject(result.data) ? result.data : undefined };
    }
    // The largest JSON value is most likely the intended answer, so its issues are the ones reported.
    else if (!closest || candidate.length > closest.length)
      closest = { length: candidate.length, error: result.error };
  }
  if (tooDeep || !closest) {
    return { ok: false, error: `The JSON in the answer nests deeper than ${MAX_DEPTH} levels. ${REPLY}` };
  }
  const issues = z.prettifyError(closest.error);
  return {
    ok: false,
    error: `The JSON in the answer does not match the requested schema:\n${issues}\nReply with only the corrected JSON value.`,
  };
}

/**
 * The schema's verdict, or undefined for a value too deep to check: a recursive schema (`z.lazy`,
 * `z.json()`) recurses as deep as the value and overflows the stack a few thousand levels down.
 */
function checked<T>(schema: z.ZodType<T>, value: unknown) {
  if (nestsDeeperThan(value, MAX_CHECKED_DEPTH)) return undefined;
  try {
    return schema.safeParse(value);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * A schema whose root is not an object is asked for as `{ "value": … }` (OpenAI's structured outputs need
 * an object root; src/llm/openai-mapping.ts). A model that wraps that object in a fence or in prose gets it
 * back whole, so the value inside is tried too: first for such a schema (which might accept the wrapper
 * itself, `z.unknown()` say), after the object for any other.
 */
function withUnwrapped(candidate: Candidate, unwrapFirst: boolean): Candidate[] {
  const { value } = candidate;
  if (!(isPlainObject(value) && Object.keys(value).length === 1 && 'value' in value)) return [candidate];
  const inner = { value: value.value, length: candidate.length };
  return unwrapFirst ? [inner, candidate] : [candidate, inner];
}

/** Parsed JSON values, from the most to the least explicit way of giving them; one tier only. */
function jsonCandidates(text: string): Candidate[] {
  const whole = parseJson(text.trim());
  if (whole) return [whole];
  const fenced = fencedBlocks(text)
    .map(parseJson)
    .filter((c): c is Candidate => c !== undefined);
  if (fenced.length > 0) return fenced;
  return embeddedValues(text);
}

function parseJson(text: string): Candidate | undefined {
  if (text === '') return undefined;
  try {
    return { value: JSON.parse(text) as unknown, length: text.length };
  } catch {
    return undefined;
  }
}

function fencedBlocks(text: string): string[] {
  // A fence tagged with another language leaves its tag in the body, which then fails to parse.
  return [...text.matchAll(/```[ \t]*(?:json)?[ \t]*\r?\n?([\s\S]*?)```/gi)].map((m) => m[1].trim());
}

function embeddedValues(text: string): Candidate[] {
  const found: Candidate[] = [];
  let coveredUntil = -1;
  // Each nested block that fails to parse is parsed again inside the one around it: a deep nest of
  // brackets that never parses would cost the square of its length. Inside one outermost block, a few
  // times its length is plenty to find JSON nested in prose-like brackets; past that, the rest of that
  // block is not tried (the blocks after it are, each with its own allowance).
  let regionEnd = -1;
  let budget = 0;
  for (const [start, end] of balancedBlocks(text)) {
    // Blocks nest or are disjoint: one that starts inside a parsed value is part of it.
    if (start < coveredUntil) continue;
    if (start >= regionEnd) {
      regionEnd = end;
      budget = 4 * (end - start) + 4096;
    }
    budget -= end - start;
    if (budget < 0) continue;
    const candidate = parseJson(text.slice(start, end));
    if (candidate) {
      found.push(candidate);
      coveredUntil = end;
    }
  }
  return found;
}

/** `[start, end)` of every balanced `{…}` / `[…]` block, by start; brackets inside JSON strings are ignored. */
function balancedBlocks(text: string): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  const open: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      else if (char === '\n') {
        // JSON strings hold no raw newline: this quote was prose, and so is the region around it.
        inString = false;
        open.length = 0;
      }
      continue;
    }
    if (char === '"' && open.length > 0) inString = true;
    else if (char === '{' || char === '[') open.push(i);
    else if (char === '}' || char === ']') closeBlock(text, open, i, blocks);
  }
  return blocks.sort((a, b) => a[0] - b[0]);
}

function closeBlock(text: string, open: number[], end: number, blocks: Array<[number, number]>): void {
  const start = open.pop();
  const expected = text[end] === '}' ? '{' : '[';
  if (start !== undefined && text[start] === expected) blocks.push([start, end + 1]);
  else open.length = 0; // a mismatched bracket: nothing open here is JSON
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
