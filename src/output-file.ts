import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CrewValidationError } from './errors.js';

const TEMPLATE = /\{([^{}]*)\}/g;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SHELL_SPECIALS = ['|', '>', '<', '&', ';'];

/**
 * Rejects output paths that could escape the working tree or be misread by a shell.
 * `{placeholders}` are allowed; they are interpolated at kickoff.
 */
export function validateOutputFile(path: string, owner: string): void {
  const problem = outputFileProblem(path);
  if (problem) {
    throw new CrewValidationError(
      'invalid_output_file',
      `Invalid outputFile '${path}' for ${owner}: ${problem}`,
    );
  }
}

function outputFileProblem(path: string): string | undefined {
  if (path.trim() === '') return 'the path is empty';
  if (path.includes('\0')) return 'a NUL character is not allowed';
  if (path.split(/[\\/]/).includes('..')) return "path traversal ('..') is not allowed";
  if (path.startsWith('~') || path.startsWith('$'))
    return "shell expansion (a leading '~' or '$') is not allowed";
  const special = SHELL_SPECIALS.find((char) => path.includes(char));
  if (special) return `the shell special character '${special}' is not allowed`;
  for (const [template, name] of path.matchAll(TEMPLATE)) {
    if (!PLACEHOLDER_NAME.test(name)) return `${template} is not a valid template variable name`;
  }
  return undefined;
}

/** Writes a task's output: pretty JSON when it has `json`, else its raw text. */
export async function writeOutputFile(
  path: string,
  output: { raw: string; json?: Record<string, unknown> },
  options: { createDirectory: boolean },
): Promise<void> {
  const directory = dirname(resolve(path));
  if (options.createDirectory) {
    await mkdir(directory, { recursive: true });
  } else if (!(await isDirectory(directory))) {
    throw new Error(
      `Cannot write output file '${path}': directory ${directory} does not exist and createDirectory is false`,
    );
  }
  const content = output.json !== undefined ? JSON.stringify(output.json, null, 2) : output.raw;
  await writeFile(path, content, 'utf8');
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
