import { InterpolationError } from './errors.js';

type InputScalar = string | number | boolean | null;

// Same type as `Record<string, …>`, spelled as an index signature because an alias may not recurse through Record.
export type Inputs = { [key: string]: InputScalar | Inputs | readonly unknown[] };

/**
 * Inputs declared by an `interface` (which has no index signature, so is not an `Inputs`): `T` itself
 * when each of its values is one an input may hold (text, number, boolean, null, arrays and objects of
 * them), else a type error at the value that is not (a Date, a function, `undefined` in an array, …).
 * A property whose value is `undefined` (an optional one) is as if absent, as in JSON.
 */
export type InputsOf<T> = T & CheckedInputs<T> & (T extends readonly unknown[] ? never : unknown);

type CheckedInputs<T> = { [K in keyof T]: T[K] extends undefined ? T[K] : CheckedInput<T[K]> };

type CheckedInput<V> = V extends InputScalar
  ? V
  : V extends  // The values with no faithful text or JSON form (validateInputs refuses them at run time).
        | ((...args: never[]) => unknown)
        | Date
        | RegExp
        | Map<unknown, unknown>
        | Set<unknown>
        | bigint
        | symbol
        | undefined
    ? never
    : V extends readonly (infer E)[]
      ? readonly CheckedInput<E>[]
      : V extends object
        ? CheckedInputs<V>
        : never;

/**
 * A `{name}` placeholder; braces around anything else (JSON such as `{"a": 1}`) are not placeholders.
 * Global: use it with `matchAll` / `replace`, which do not depend on its `lastIndex`.
 */
export const PLACEHOLDER_PATTERN = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;

/** The placeholder names in `text`, in order of first appearance, without duplicates. */
export function placeholders(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) names.add(match[1]);
  return [...names];
}

/** Throws `InterpolationError('invalid_input')` for any value that has no faithful text or JSON form. */
export function validateInputs(inputs: Inputs): void {
  for (const [key, value] of Object.entries(inputs)) {
    if (value !== undefined) checkValue(key, value, key, new Set());
  }
}

/** Replaces every placeholder of `template` with its input; `where` names the text for error messages. */
export function interpolate(
  template: string,
  inputs: Inputs,
  where: { field: string; owner: string },
): string {
  return template.replace(PLACEHOLDER_PATTERN, (_match, name: string) => {
    // Own keys only: `{constructor}` must not resolve to Object.prototype.constructor. A key whose
    // value is undefined is absent, as in JSON.
    if (!Object.hasOwn(inputs, name) || inputs[name] === undefined) throw missingInput(name, inputs, where);
    const value = inputs[name];
    checkValue(name, value, name, new Set());
    return render(value);
  });
}

function render(value: unknown): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function missingInput(
  name: string,
  inputs: Inputs,
  where: { field: string; owner: string },
): InterpolationError {
  const given = Object.keys(inputs);
  const available = given.length > 0 ? given.map((k) => `'${k}'`).join(', ') : 'none';
  return new InterpolationError(
    'missing_input',
    name,
    `Missing input '${name}' for the placeholder {${name}} in the ${where.field} of ${where.owner} (inputs given: ${available})`,
  );
}

function checkValue(key: string, value: unknown, path: string, ancestors: Set<object>): void {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return;
  if (typeof value !== 'object') throw invalidInput(key, path, typeof value);
  if (!Array.isArray(value) && !isPlainObject(value)) throw invalidInput(key, path, className(value));
  // Circular values have no JSON form, and walking them would never end.
  if (ancestors.has(value)) throw invalidInput(key, path, 'circular reference');
  ancestors.add(value);
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? Array.from(value, (item, i): [string, unknown] => [`[${i}]`, item])
    : Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]): [string, unknown] => [`.${k}`, v]);
  for (const [suffix, item] of entries) checkValue(key, item, path + suffix, ancestors);
  ancestors.delete(value);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function className(value: object): string {
  const name: unknown = value.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'object with a custom prototype';
}

function invalidInput(key: string, path: string, type: string): InterpolationError {
  const at = path === key ? '' : ` (at ${path})`;
  return new InterpolationError(
    'invalid_input',
    key,
    `Invalid value for input '${key}'${at}: unsupported type ${type}. ` +
      'Only strings, numbers, booleans, null, plain objects and arrays of those are allowed.',
  );
}
