import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Crew } from '../crew.js';
import { CliError, usageError } from './errors.js';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Loads the crew a module exports: its default export or `exportName`, which may be a Crew or a
 * function returning a Crew (or a Promise of one). TypeScript modules load through tsx's API, so no
 * build step and no `--import tsx` flag is needed; JavaScript modules load with plain `import()`.
 */
export async function loadCrew(specifier: string, exportName = 'default'): Promise<Crew> {
  const file = path.resolve(specifier);
  if (!existsSync(file) || !statSync(file).isFile()) throw usageError(`module not found: ${file}`);
  const moduleExports = await importModule(file);
  const label = exportName === 'default' ? 'the default export' : `export '${exportName}'`;
  if (!(exportName in moduleExports)) {
    const names = Object.keys(moduleExports).sort();
    const list = names.length > 0 ? `its exports: ${names.join(', ')}` : 'it exports nothing';
    const hint = exportName === 'default' && names.length > 0 ? '; choose one with --export NAME' : '';
    throw usageError(`${file} has no ${label.replace(/^the /, '')} (${list})${hint}`);
  }
  const value = moduleExports[exportName];
  if (isCrew(value)) return value;
  if (typeof value === 'function' && !isClass(value)) {
    let made: unknown;
    try {
      made = await (value as () => unknown)();
    } catch (error) {
      throw new CliError(`${label} of ${file} threw: ${messageOf(error)}`, 1, { cause: error });
    }
    if (isCrew(made)) return made;
    throw usageError(`${label} of ${file} is a function that returned ${describe(made)}, not a Crew`);
  }
  throw usageError(
    `${label} of ${file} is ${describe(value)}, not a Crew (export a Crew, or a function returning one)`,
  );
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  let loaded: unknown;
  try {
    if (TYPESCRIPT.has(path.extname(file))) {
      // Loaded on demand: tsx (esbuild) costs startup time that `visualize` of a .js module needn't pay.
      const { tsImport } = await import('tsx/esm/api');
      loaded = await tsImport(url, { parentURL: pathToFileURL(`${process.cwd()}${path.sep}`).href });
    } else {
      loaded = await import(url);
    }
  } catch (error) {
    throw new CliError(`could not load ${file}: ${messageOf(error)}`, 1, { cause: error });
  }
  return unwrapCommonJs(loaded as Record<string, unknown>);
}

/** A CommonJS module (or one compiled to it) puts its named exports on `default`. */
function unwrapCommonJs(namespace: Record<string, unknown>): Record<string, unknown> {
  const inner = namespace.default;
  const compiled = typeof inner === 'object' && inner !== null && '__esModule' in inner;
  return compiled ? { ...(inner as Record<string, unknown>) } : namespace;
}

/**
 * Duck-typed: the module may import statecrew from another copy than the CLI's (its own
 * node_modules, or the sources), and `instanceof` would then reject a real Crew.
 */
function isCrew(value: unknown): value is Crew {
  if (typeof value !== 'object' || value === null) return false;
  const crew = value as Record<string, unknown>;
  return (
    ['kickoff', 'resume', 'replay', 'with'].every((method) => typeof crew[method] === 'function') &&
    Array.isArray(crew.tasks)
  );
}

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (isClass(value)) return `the class ${(value as { name: string }).name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name} object` : 'an object';
  }
  return `a ${typeof value}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
