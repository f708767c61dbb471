/**
 * `instanceof` across copies of statecrew loaded in one process (the CommonJS build beside the ESM one,
 * or two installs): a class marked with `static [BRAND] = 'Name'` and `static [Symbol.hasInstance]`
 * calling `isInstance` also owns the objects of the class of the same brand from any other copy.
 */
export const BRAND = Symbol.for('statecrew.brand');

type Branded = { [BRAND]?: string };

/** The usual rule, or an object of a class (or a subclass of one) with `cls`'s brand. */
export function isInstance(cls: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
  // A subclass without a brand of its own (a user's) keeps the usual rule.
  if (!Object.hasOwn(cls, BRAND) || typeof value !== 'object' || value === null) return false;
  const brand = (cls as Branded)[BRAND];
  for (
    let proto = Object.getPrototypeOf(value) as object | null;
    proto;
    proto = Object.getPrototypeOf(proto)
  ) {
    const owner = (proto as { constructor?: unknown }).constructor;
    if (typeof owner === 'function' && Object.hasOwn(owner, BRAND) && (owner as Branded)[BRAND] === brand) {
      return true;
    }
  }
  return false;
}
