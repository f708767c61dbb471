import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, fixture, root } from './cli-process.js';

beforeAll(ensureBuilt, 120_000);

describe('statecrew --help', () => {
  it.each([['--help'], ['-h'], ['help'], ['run', '--help']])(
    '%s prints the usage on stdout',
    async (...args) => {
      const { code, stdout } = await cli(args);
      expect(code).toBe(0);
      expect(stdout).toContain('Usage: statecrew <command> [options]');
      expect(stdout).toContain('replay <taskId> <module>');
    },
  );
});

const missing = join(root, 'test', 'cli', 'fixtures', 'no-such-crew.ts');

describe.concurrent('bad usage exits 2 with a message on stderr', () => {
  it.each<[string, string[], RegExp]>([
    ['no command', [], /statecrew: missing command/],
    [
      'an unknown command',
      ['launch', fixture],
      /unknown command 'launch' \(expected one of: run, visualize, resume, replay\)/,
    ],
    ['no module', ['run'], /run: missing <module> argument/],
    ['no module for resume', ['resume', 'r1'], /resume: missing <module> argument/],
    [
      'a module that does not exist',
      ['run', missing],
      new RegExp(`module not found: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    ],
    [
      'a missing export',
      ['run', fixture, '--export', 'nope'],
      /has no export 'nope' \(its exports: asyncCrew, crew, customStoreCrew, deadCrew, default, failingCrew, makeCrew, notACrew, reviewedCrew, storedCrew, stuckCrew\)/,
    ],
    [
      'an export that is not a Crew',
      ['run', fixture, '--export', 'notACrew'],
      /export 'notACrew' of .* is an object, not a Crew/,
    ],
    [
      'invalid --inputs JSON',
      ['run', fixture, '--inputs', '{topic:1}'],
      /--inputs is not valid JSON: .*position 1/,
    ],
    [
      '--inputs that is not an object',
      ['run', fixture, '--inputs', '["a"]'],
      /--inputs must be a JSON object.*\(got an array\)/,
    ],
    [
      '--inputs that is a string',
      ['run', fixture, '--inputs', '"a"'],
      /--inputs must be a JSON object.*\(got a string\)/,
    ],
    [
      'an unknown --format',
      ['visualize', fixture, '--format', 'svg'],
      /unknown --format 'svg' \(expected mermaid, dot, json\)/,
    ],
    [
      'resume without --checkpoint-dir, of a crew without a checkpoint store',
      ['resume', 'r1', fixture],
      /resume needs a checkpoint store: crew 'cli-test' has none of its own .*--checkpoint-dir DIR/,
    ],
    [
      'replay without --checkpoint-dir, of a crew without a checkpoint store',
      ['replay', 'write', fixture],
      /replay needs a checkpoint store: crew 'cli-test' has none of its own .*--checkpoint-dir DIR/,
    ],
    ['an unknown option', ['run', fixture, '--colour'], /run: Unknown option '--colour'/],
    [
      'an option of another command',
      ['visualize', fixture, '--inputs', '{}'],
      /visualize: Unknown option '--inputs'/,
    ],
    [
      'an --inspect URL that is not ws://',
      ['run', fixture, '--inspect', 'http://127.0.0.1:1'],
      /--inspect needs a ws:\/\/ or wss:\/\/ URL/,
    ],
    ['an extra argument', ['run', fixture, 'extra'], /run: unexpected argument 'extra'/],
  ])('%s', async (_case, args, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect(stderr).toMatch(message);
    expect(stderr).toContain("Run 'statecrew --help' for usage.");
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });
});
