import { Redactor } from '../llm/redact.js';

/** A failure the CLI reports as one line on stderr, with the exit code it stands for. */
export class CliError extends Error {
  /** 2: the command line, module or export is wrong; 1: the crew or its module failed. */
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliError(message, 2);

// Environment variables that commonly hold credentials; their values never reach the terminal.
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

/** Removes the values of secret-looking environment variables (API keys) from text the CLI prints. */
export function envRedactor(env: NodeJS.ProcessEnv = process.env): Redactor {
  return new Redactor(
    Object.entries(env).flatMap(([name, value]) => (SECRET_NAME.test(name) ? [value] : [])),
  );
}

/** The message of an error and of its causes, each once (a wrapper often repeats its cause). */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (!lines.some((line) => line.includes(message)))
      lines.push(depth === 0 ? message : `caused by: ${message}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n  ');
}
