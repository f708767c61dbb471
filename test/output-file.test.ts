import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CrewValidationError } from '../src/errors.js';
import { validateOutputFile, writeOutputFile } from '../src/output-file.js';

const owner = "task 'Write report'";

function rejection(path: string): CrewValidationError {
  try {
    validateOutputFile(path, owner);
  } catch (error) {
    expect(error).toBeInstanceOf(CrewValidationError);
    return error as CrewValidationError;
  }
  throw new Error(`expected '${path}' to be rejected`);
}

describe('validateOutputFile', () => {
  it.each([
    'report.md',
    'out/report.md',
    '/tmp/out/report.json',
    './reports/{topic}_{year}.md',
    'notes..md',
    'reports/v1.2/{topic-name}.txt',
  ])('should accept %s', (path) => {
    expect(() => validateOutputFile(path, owner)).not.toThrow();
  });

  it.each([
    ['../secret.txt', '..'],
    ['out/../../etc/passwd', '..'],
    ['out\\..\\x.txt', '..'],
    ['~/report.md', '~'],
    ['$HOME/report.md', '$'],
    ['out|tee.md', '|'],
    ['out>x.md', '>'],
    ['out<x.md', '<'],
    ['out&x.md', '&'],
    ['out;rm.md', ';'],
    ['reports/{1topic}.md', '{1topic}'],
    ['reports/{a b}.md', '{a b}'],
    ['reports/{}.md', '{}'],
  ])('should reject %s with invalid_output_file naming the owner', (path, culprit) => {
    const error = rejection(path);
    expect(error.code).toBe('invalid_output_file');
    expect(error.message).toContain(owner);
    expect(error.message).toContain(culprit);
  });

  it('should reject an empty path', () => {
    expect(rejection('  ').code).toBe('invalid_output_file');
  });
});

describe('writeOutputFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'statecrew-output-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should write the raw text when there is no json', async () => {
    const path = join(dir, 'report.md');
    await writeOutputFile(path, { raw: '# Report\nbody' }, { createDirectory: true });
    expect(await readFile(path, 'utf8')).toBe('# Report\nbody');
  });

  it('should write pretty JSON (2 spaces) when json is present, not the raw text', async () => {
    const path = join(dir, 'out.json');
    const json = { title: 'AI', tags: ['a', 'b'], nested: { ok: true } };
    await writeOutputFile(path, { raw: 'ignored', json }, { createDirectory: true });
    const text = await readFile(path, 'utf8');
    expect(text).toBe(JSON.stringify(json, null, 2));
    expect(text).toContain('\n  "title": "AI"');
  });

  it('should create missing directories when createDirectory is true', async () => {
    const path = join(dir, 'a', 'b', 'c', 'report.txt');
    await writeOutputFile(path, { raw: 'deep' }, { createDirectory: true });
    expect(await readFile(path, 'utf8')).toBe('deep');
  });

  it('should fail with a clear error when the directory is missing and createDirectory is false', async () => {
    const missing = join(dir, 'missing');
    const promise = writeOutputFile(join(missing, 'report.txt'), { raw: 'x' }, { createDirectory: false });
    await expect(promise).rejects.toThrow(/does not exist and createDirectory is false/);
    await expect(promise).rejects.toThrow(missing);
    await expect(stat(missing)).rejects.toThrow();
  });

  it('should write into an existing directory when createDirectory is false', async () => {
    const path = join(dir, 'report.txt');
    await writeOutputFile(path, { raw: 'here' }, { createDirectory: false });
    expect(await readFile(path, 'utf8')).toBe('here');
  });

  it('should replace an existing file', async () => {
    const path = join(dir, 'report.txt');
    await writeOutputFile(path, { raw: 'first, longer text' }, { createDirectory: true });
    await writeOutputFile(path, { raw: 'second' }, { createDirectory: true });
    expect(await readFile(path, 'utf8')).toBe('second');
  });
});
