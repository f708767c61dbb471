import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isWebSocketUrl } from '../inspect/url.js';
import type { Inputs } from '../interpolation.js';
import { usageError } from './errors.js';

export type DiagramFormat = 'mermaid' | 'dot' | 'json';
const FORMATS: readonly DiagramFormat[] = ['mermaid', 'dot', 'json'];

/** What every command that loads a crew shares. */
interface ModuleArgs {
  module: string;
  exportName?: string;
}

/** What every command that runs the crew shares. */
export interface RunArgs extends ModuleArgs {
  inspect?: string;
  checkpointDir?: string;
  verbose: boolean;
}

export type Command =
  | { name: 'help' }
  | { name: 'version' }
  | ({ name: 'run'; inputs: Inputs; runId?: string } & RunArgs)
  | ({ name: 'visualize'; format: DiagramFormat } & ModuleArgs)
  // Without --checkpoint-dir, resume and replay read the crew's own store (checked once it is loaded).
  | ({ name: 'resume'; runId: string } & RunArgs)
  | ({ name: 'replay'; taskId: string; runId?: string; inputs?: Inputs } & RunArgs);

type CommandName = 'run' | 'visualize' | 'resume' | 'replay';
/** The names of the positional arguments, as usage errors show them (`<runId>`). */
type Positional = 'module' | 'runId' | 'taskId';
type Options = NonNullable<ParseArgsConfig['options']>;

const common: Options = { export: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
const running: Options = {
  inspect: { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  verbose: { type: 'boolean' },
};
const COMMANDS: Record<CommandName, { positionals: Positional[]; options: Options }> = {
  run: {
    positionals: ['module'],
    options: { ...common, ...running, inputs: { type: 'string' }, 'run-id': { type: 'string' } },
  },
  visualize: { positionals: ['module'], options: { ...common, format: { type: 'string' } } },
  resume: { positionals: ['runId', 'module'], options: { ...common, ...running } },
  replay: {
    positionals: ['taskId', 'module'],
    options: { ...common, ...running, inputs: { type: 'string' }, 'run-id': { type: 'string' } },
  },
};

type Values = Record<string, string | boolean | undefined>;

/** Turns `process.argv.slice(2)` into a command, or throws a usage error (exit code 2). */
export function parseCommand(argv: string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw usageError('missing command');
  if (first === '-h' || first === '--help' || first === 'help') return { name: 'help' };
  if (first === '--version') return { name: 'version' };
  if (!isCommandName(first)) {
    throw usageError(`unknown command '${first}' (expected one of: ${Object.keys(COMMANDS).join(', ')})`);
  }
  const spec = COMMANDS[first];
  const { values, positionals } = parse(first, rest, spec.options);
  if (values.help) return { name: 'help' };
  const args = checkPositionals(first, positionals, spec.positionals);
  const moduleArgs: ModuleArgs = { module: args.module };
  if (typeof values.export === 'string') moduleArgs.exportName = values.export;
  if (first === 'visualize') return { name: first, ...moduleArgs, format: format(values.format) };

  const runArgs: RunArgs = { ...moduleArgs, verbose: values.verbose === true };
  if (typeof values.inspect === 'string') runArgs.inspect = inspectUrl(values.inspect);
  const checkpointDir = optionalString(values['checkpoint-dir'], '--checkpoint-dir');
  if (checkpointDir !== undefined) runArgs.checkpointDir = checkpointDir;
  const runId = optionalString(values['run-id'], '--run-id');
  const inputs = typeof values.inputs === 'string' ? parseInputs(values.inputs) : undefined;
  if (first === 'run') return { name: first, ...runArgs, inputs: inputs ?? {}, ...(runId ? { runId } : {}) };

  if (first === 'resume') return { name: first, ...runArgs, runId: args.runId };
  return {
    name: first,
    ...runArgs,
    taskId: args.taskId,
    ...(runId ? { runId } : {}),
    ...(inputs ? { inputs } : {}),
  };
}

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

function parse(command: CommandName, args: string[], options: Options) {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    // Node's messages end with a long hint about '--'; the first sentence says what is wrong.
    const message = error instanceof Error ? error.message.split(/\.\s/)[0] : String(error);
    throw usageError(`${command}: ${message}`);
  }
}

/** The positional arguments by name; a command reads only the names it declares. */
function checkPositionals(
  command: CommandName,
  given: string[],
  names: Positional[],
): Record<Positional, string> {
  const missing = names.slice(given.length);
  if (missing.length > 0) {
    throw usageError(`${command}: missing ${missing.map((n) => `<${n}>`).join(' ')} argument`);
  }
  if (given.length > names.length)
    throw usageError(`${command}: unexpected argument '${given[names.length]}'`);
  return Object.fromEntries(names.map((name, i) => [name, given[i]])) as Record<Positional, string>;
}

function optionalString(value: string | boolean | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === '') throw usageError(`${flag} needs a value`);
  return String(value);
}

function format(value: string | boolean | undefined): DiagramFormat {
  if (value === undefined) return 'mermaid';
  const found = FORMATS.find((f) => f === value);
  if (!found) throw usageError(`unknown --format '${String(value)}' (expected ${FORMATS.join(', ')})`);
  return found;
}

function inspectUrl(value: string): string {
  if (!isWebSocketUrl(value)) {
    throw usageError(`--inspect needs a ws:// or wss:// URL (got '${value}')`);
  }
  return value;
}

/** `--inputs` must be a JSON object: its keys fill the `{placeholders}` of tasks and agents. */
export function parseInputs(text: string): Inputs {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`--inputs is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw usageError(`--inputs must be a JSON object, like '{"topic":"AI"}' (got ${kind})`);
  }
  return value as Inputs;
}
