#!/usr/bin/env node
import { version } from '../../package.json';
import { parseCommand, type Command } from './args.js';
import { CliError, describeError, envRedactor } from './errors.js';
import { replay } from './replay.js';
import { resume } from './resume.js';
import { run } from './run.js';
import { USAGE } from './usage.js';
import { visualize } from './visualize.js';

/**
 * Once the command is over and its output written, the process ends by itself: the run's actors are
 * stopped and the inspector released. A handle the crew's module left open (a database pool, a
 * timer) must not hang the CLI, so after this grace time it exits anyway.
 */
const EXIT_GRACE_MS = 2_000;

async function dispatch(command: Command): Promise<number> {
  switch (command.name) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`${version}\n`);
      return 0;
    case 'run':
      return run(command);
    case 'visualize':
      return visualize(command);
    case 'resume':
      return resume(command);
    case 'replay':
      return replay(command);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(parseCommand(argv));
  } catch (error) {
    const code = error instanceof CliError ? error.exitCode : 1;
    process.stderr.write(`statecrew: ${envRedactor().text(describeError(error))}\n`);
    if (code === 2) process.stderr.write(`Run 'statecrew --help' for usage.\n`);
    return code;
  }
}

let finished = false;
// A crew whose model or tool awaits something that can never happen leaves nothing for Node to wait
// for, and Node would exit 0 without a word; say so and fail instead.
process.once('exit', () => {
  if (finished) return;
  process.stderr.write('statecrew: the run stopped with work pending and nothing left to wait for\n');
  process.exitCode = 1;
});

void main(process.argv.slice(2)).then((code) => {
  finished = true;
  process.exitCode = code;
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
});
