import { fromPromise } from 'xstate';

/**
 * A placeholder for logic the runtime provides with `machine.provide()`. The charts stay pure and
 * traversable; running one without the runtime fails with a message that says what is missing.
 */
export function fromUnprovided<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error(`The actor '${name}' has no implementation: run the chart through a Crew or provide it`);
  });
}
