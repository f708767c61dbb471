import { StatecrewError } from '../errors.js';
import type { Checkpoint, CheckpointStore } from './types.js';

/**
 * An in-process checkpoint store for tests. It keeps each checkpoint as JSON text, so it behaves like a
 * real store: what is saved is a copy (later mutation of the saved object changes nothing), every load
 * returns a fresh copy, and anything that would not survive a JSON round trip is lost here too.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  // A Map iterates in insertion order; deleting before setting moves a re-saved run last.
  readonly #checkpoints = new Map<string, string>();

  async save(runId: string, checkpoint: Checkpoint): Promise<void> {
    const text = toJson(runId, checkpoint);
    this.#checkpoints.delete(runId);
    this.#checkpoints.set(runId, text);
  }

  async load(runId: string): Promise<Checkpoint | undefined> {
    const text = this.#checkpoints.get(runId);
    return text === undefined ? undefined : (JSON.parse(text) as Checkpoint);
  }

  async list(): Promise<string[]> {
    return [...this.#checkpoints.keys()];
  }

  async delete(runId: string): Promise<void> {
    this.#checkpoints.delete(runId);
  }
}

function toJson(runId: string, checkpoint: Checkpoint): string {
  try {
    return JSON.stringify(checkpoint);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StatecrewError(
      'invalid_checkpoint',
      `Cannot save the checkpoint of run "${runId}": it is not JSON-serialisable (${reason})`,
      { cause: error },
    );
  }
}
