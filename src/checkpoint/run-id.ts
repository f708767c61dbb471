import { StatecrewError } from '../errors.js';

const RUN_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
const MAX_RUN_ID_LENGTH = 200;

/** A run id any store can keep: it becomes a file name in `FileCheckpointStore`. */
export function isValidRunId(runId: unknown): runId is string {
  return (
    typeof runId === 'string' &&
    runId.length <= MAX_RUN_ID_LENGTH &&
    RUN_ID_PATTERN.test(runId) &&
    !runId.includes('..')
  );
}

/** A new run under an id the store already holds: it would overwrite that run's checkpoint. */
export function runIdInUse(runId: string): StatecrewError {
  return new StatecrewError(
    'run_id_in_use',
    `The checkpoint store already holds run '${runId}': resume it, delete it, or start the run under another id`,
  );
}

/** Run ids become file names, so anything that could name a path outside the directory is refused. */
export function assertValidRunId(runId: unknown): asserts runId is string {
  if (isValidRunId(runId)) return;
  throw new StatecrewError(
    'invalid_run_id',
    `Invalid run id ${JSON.stringify(runId)}: a run id is 1 to ${MAX_RUN_ID_LENGTH} characters of ` +
      'A-Z, a-z, 0-9, "_", "." and "-", without ".."',
  );
}
