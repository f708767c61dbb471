const MIN_SECRET_LENGTH = 4;

/** Removes known secrets (API keys) from any text before it reaches an error, a log or a cause. */
export class Redactor {
  readonly #secrets: string[];

  constructor(secrets: Array<string | null | undefined>) {
    const usable = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
    // Longest first, so a key that contains another key is removed whole.
    this.#secrets = [...new Set(usable)].sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

interface ErrorLike {
  name?: unknown;
  stack?: unknown;
  message?: unknown;
  code?: unknown;
  status?: unknown;
  cause?: unknown;
}

const MAX_CAUSE_DEPTH = 4;

/**
 * A plain copy of an error chain (name, message, code, status, cause) with secrets removed. The
 * originals are not kept: SDK errors carry response bodies and headers that may echo the key.
 */
export function redactedCopy(error: unknown, redactor: Redactor, depth = 0): Error {
  const source: ErrorLike = typeof error === 'object' && error !== null ? (error as ErrorLike) : {};
  const message = typeof source.message === 'string' ? source.message : String(error);
  const nested = source.cause !== undefined && depth < MAX_CAUSE_DEPTH ? source.cause : undefined;
  const copy = new Error(
    redactor.text(message),
    nested === undefined ? undefined : { cause: redactedCopy(nested, redactor, depth + 1) },
  );
  copy.name = typeof source.name === 'string' ? redactor.text(source.name) : 'Error';
  const extra = copy as Error & { code?: string; status?: number };
  if (typeof source.code === 'string') extra.code = redactor.text(source.code);
  if (typeof source.status === 'number') extra.status = source.status;
  copy.stack =
    typeof source.stack === 'string' ? redactor.text(source.stack) : `${copy.name}: ${copy.message}`;
  return copy;
}
