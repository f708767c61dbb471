// The sequential 3 × 3 workload with a checkpoint store: none, MemoryCheckpointStore, FileCheckpointStore
// (temp dir). A store saves the crew's persisted snapshot after every task (SPEC §11). Also the size of
// the last checkpoint of a 3-task and of a 300-task crew (bytes of JSON), and the bytes written per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileCheckpointStore, MemoryCheckpointStore, type Checkpoint } from '../../src/index.js';
import { argValue, buildCrew, report, round } from '../lib/common.js';
import { measureSequential } from './sequential.js';

/** Counts what is saved, then forwards to the real store. */
class CountingStore extends MemoryCheckpointStore {
  bytes = 0;
  saves = 0;
  last = 0;
  override async save(runId: string, checkpoint: Checkpoint): Promise<void> {
    const size = JSON.stringify(checkpoint).length;
    this.bytes += size;
    this.saves++;
    this.last = size;
    return super.save(runId, checkpoint);
  }
}

async function checkpointSizes(tasks: number) {
  const store = new CountingStore();
  await buildCrew({ tasks, noContext: true, checkpoint: store }).kickoff();
  return { tasks, saves: store.saves, lastBytes: store.last, bytesWrittenPerRun: store.bytes };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = argValue('runs', 200);
  const rounds = argValue('rounds', 5);
  const warmup = argValue('warmup', 100);
  const none = await measureSequential({ runs, rounds, warmup });
  const memory = await measureSequential({
    runs,
    rounds,
    warmup,
    makeCrew: () => buildCrew({ checkpoint: new MemoryCheckpointStore() }),
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'statecrew-bench-'));
  let file;
  try {
    const store = new FileCheckpointStore(dir);
    file = await measureSequential({
      runs: Math.max(20, Math.round(runs / 4)),
      rounds,
      warmup: Math.round(warmup / 4),
      makeCrew: () => buildCrew({ checkpoint: store }),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const small = await checkpointSizes(3);
  const large = await checkpointSizes(300);
  report({
    none: { overheadMsPerTask: none.overheadMsPerTask, cpuOverheadMsPerTask: none.cpuOverheadMsPerTask },
    memory: {
      overheadMsPerTask: memory.overheadMsPerTask,
      cpuOverheadMsPerTask: memory.cpuOverheadMsPerTask,
      addedMsPerTask: round(memory.overheadMsPerTask - none.overheadMsPerTask),
    },
    file: {
      overheadMsPerTask: file.overheadMsPerTask,
      cpuOverheadMsPerTask: file.cpuOverheadMsPerTask,
      addedMsPerTask: round(file.overheadMsPerTask - none.overheadMsPerTask),
    },
    sizes: { tasks3: small, tasks300: large },
  });
}
