import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCommand, type RunArgs } from '../../src/cli/args.js';
import { resumeHint } from '../../src/cli/checkpoints.js';
import { MemoryCheckpointStore } from '../../src/index.js';
import { makeCheckpoint } from '../helpers/checkpoint-fixtures.js';

/** The hint for a run whose checkpoint is in the store, without its "resume with: " prefix. */
async function hint(runId: string, args: Partial<RunArgs> & { module: string }): Promise<string> {
  const store = new MemoryCheckpointStore();
  await store.save(runId, makeCheckpoint(runId));
  const text = await resumeHint(store, runId, { verbose: false, ...args });
  expect(text).toMatch(/^resume with: statecrew /);
  return text.slice('resume with: '.length);
}

/** The words a POSIX shell makes of `line`, by asking one. */
function shellWords(line: string): string[] {
  const output = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return output.split('\0').slice(0, -1);
}

/** The command `statecrew` reads from `line`, once a shell has split it. */
const parsedBack = (line: string) => parseCommand(shellWords(line).slice(1));

describe('the resume hint', () => {
  it('prints plain arguments as they are', async () => {
    expect(await hint('run-1', { module: 'crew.ts', exportName: 'crew', checkpointDir: '/tmp/cp' })).toBe(
      'statecrew resume run-1 crew.ts --export crew --checkpoint-dir /tmp/cp',
    );
    expect(await hint('a.b_c', { module: './src/my-crew.mjs' })).toBe(
      'statecrew resume a.b_c ./src/my-crew.mjs',
    );
  });

  it('quotes for a POSIX shell the arguments that need it', async () => {
    const line = await hint('run-1', {
      module: 'my crews/crew.ts',
      exportName: 'crew',
      checkpointDir: "/tmp/it's $HOME; `x`",
    });
    expect(line).toBe(
      "statecrew resume run-1 'my crews/crew.ts' --export crew --checkpoint-dir '/tmp/it'\\''s $HOME; `x`'",
    );
    expect(shellWords(line)).toEqual([
      'statecrew',
      'resume',
      'run-1',
      'my crews/crew.ts',
      '--export',
      'crew',
      '--checkpoint-dir',
      "/tmp/it's $HOME; `x`",
    ]);
  });

  it('puts -- before a run id that starts with "-", so that it is not read as an option', async () => {
    const line = await hint('-z', { module: 'crew.ts', exportName: 'crew', checkpointDir: '/tmp/cp' });
    expect(line).toBe('statecrew resume --export crew --checkpoint-dir /tmp/cp -- -z crew.ts');
    expect(parsedBack(line)).toMatchObject({
      name: 'resume',
      runId: '-z',
      module: 'crew.ts',
      exportName: 'crew',
      checkpointDir: '/tmp/cp',
    });
  });

  it('gives option values that start with "-" as --flag=value, which the parser accepts', async () => {
    const line = await hint('run-1', { module: '-crew.ts', exportName: '-x', checkpointDir: '-dir x' });
    expect(line).toBe("statecrew resume --export=-x '--checkpoint-dir=-dir x' -- run-1 -crew.ts");
    expect(parsedBack(line)).toMatchObject({
      runId: 'run-1',
      module: '-crew.ts',
      exportName: '-x',
      checkpointDir: '-dir x',
    });
  });

  it('every hint parses back to the same command', async () => {
    const runIds = ['-z', '--help', 'ok', '-'];
    const modules = ['crew.ts', 'a b.ts', "it's.ts", '-m.ts', '--', ''];
    for (const runId of runIds) {
      for (const module of modules) {
        const args = { module, exportName: 'e x', checkpointDir: '--dir' };
        const line = await hint(runId, args);
        expect(parsedBack(line), line).toMatchObject({
          name: 'resume',
          runId,
          ...args,
        });
      }
    }
  });
});
