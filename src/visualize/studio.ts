import type { AnyStateMachine } from 'xstate';
import { functionName, guardLabel, machineOf, type DiagramTarget } from './target.js';

/*
 * Stately Studio's "Import from code" wants a `createMachine({...})` config, not the resolved
 * `machine.definition` (which turns inline actions into `null` and targets into `#id`s). So we
 * copy `machine.config` and make it JSON-safe:
 * - `context` factory → `{}` (the real context needs `input`, which a diagram does not have);
 * - `input` / `output` / `params` mappers are dropped (they only compute data);
 * - guards → their readable name (`canRetry`, `!a`, `(a && b)`), as `guardLabel` draws them;
 * - other functions (inline `assign(...)`, `raise(...)`, arrow actions) → their name or 'inline';
 * - inline actor logic in `src` → its key in `setup({ actors })`, else the invoke id, else 'inline'.
 * Names are kept as plain strings, so re-creating a machine from the JSON gives the same states
 * and transitions; only the implementations are missing.
 */

const DROP: unique symbol = Symbol('drop');
type Cleaned = unknown | typeof DROP;

function isActorLogic(value: object): boolean {
  const candidate = value as { transition?: unknown; getInitialSnapshot?: unknown };
  return typeof candidate.transition === 'function' && typeof candidate.getInitialSnapshot === 'function';
}

/** Registered key, else the invoke's own id (what the diagrams show), else 'inline'. */
function actorName(logic: object, invokeId: unknown, machine: AnyStateMachine): string {
  const actors: Record<string, unknown> = machine.implementations.actors;
  const key = Object.keys(actors).find((k) => actors[k] === logic);
  if (key) return key;
  return typeof invokeId === 'string' ? invokeId : 'inline';
}

function cleanFunction(fn: { readonly name: string }, key: string | undefined): Cleaned {
  if (key === 'context') return {};
  if (key === 'input' || key === 'output' || key === 'params') return DROP;
  if (key === 'guard') return guardLabel(fn);
  return functionName(fn);
}

function cleanObject(value: object, machine: AnyStateMachine): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const cleaned =
      k === 'src' && typeof v === 'object' && v !== null && isActorLogic(v)
        ? actorName(v, (value as { id?: unknown }).id, machine)
        : clean(v, k, machine);
    if (cleaned !== DROP) out[k] = cleaned;
  }
  return out;
}

function clean(value: unknown, key: string | undefined, machine: AnyStateMachine): Cleaned {
  if (value === undefined || typeof value === 'symbol') return DROP;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function') return cleanFunction(value, key);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => clean(v, key, machine)).filter((v) => v !== DROP);
  if (isActorLogic(value)) return actorName(value, undefined, machine);
  return cleanObject(value, machine);
}

/** The machine's config with functions replaced by names: JSON-safe, importable into Stately Studio. */
export function toStudioJSON(target: DiagramTarget): Record<string, unknown> {
  const machine = machineOf(target);
  return cleanObject(machine.config, machine);
}
