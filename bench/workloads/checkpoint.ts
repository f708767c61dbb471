// The sequential 3 × 3 workload with a checkpoint store: none, MemoryCheckpointStore, FileCheckpointStore
// (temp dir). A store saves the crew's persisted snapshot after every task (SPEC §11); saves made while a
// write is in flight are coalesced into one. Also, for a 3-task and a 300-task crew, the size of the last
// checkpoint (bytes of JSON) and the writes and bytes that reach the store per run: the file store's
// (`saves`, `bytesWrittenPerRun`) and the memory store's, whose writes finish at once. And crews of
// 1,000 and 4,000 tasks whose model answers on the next turn of the event loop, without and with a
// file store: checkpoints are paced, so the store adds a share of the run, not N checkpoints of O(N).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  FileCheckpointStore,
  MemoryCheckpointStore,
  type Checkpoint,
  type CheckpointStore,
} from '../lib/statecrew.js';
import { argValue, buildCrew, median, NextTurnLLM, now, report, round } from '../lib/common.js';
import { measureSequential } from './sequential.js';

/** Counts what reaches a store, then forwards it there. */
class CountingStore implements CheckpointStore {
  bytes = 0;
  saves = 0;
  last = 0;
  constructor(private readonly inner: CheckpointStore) {}
  async save(runId: string, checkpoint: Checkpoint): Promise<void> {
    const size = JSON.stringify(checkpoint).length;
    this.bytes += size;
    this.saves++;
    this.last = size;
    return this.inner.save(runId, checkpoint);
  }
  load = (runId: string) => this.inner.load(runId);
  list = () => this.inner.list();
  delete = (runId: string) => this.inner.delete(runId);
}

async function counted(tasks: number, inner: CheckpointStore) {
  const store = new CountingStore(inner);
  await buildCrew({ tasks, noContext: true, checkpoint: store }).kickoff();
  return store;
}

async function checkpointSizes(tasks: number, dir: string) {
  const file = await counted(tasks, new FileCheckpointStore(dir));
  const memory = await counted(tasks, new MemoryCheckpointStore());
  return {
    tasks,
    saves: file.saves,
    lastBytes: file.last,
    bytesWrittenPerRun: file.bytes,
    memorySaves: memory.saves,
    memoryBytesWrittenPerRun: memory.bytes,
  };
}

/** Wall ms (median of 3) of a `tasks`-task crew without a store and with a file store, and the file store's writes. */
async function largeCrew(tasks: number, dir: string) {
  const time = async (checkpoint?: CheckpointStore) => {
    const t0 = now();
    const llm = () => new NextTurnLLM();
    await buildCrew({ tasks, noContext: true, llm, ...(checkpoint ? { checkpoint } : {}) }).kickoff();
    return now() - t0;
  };
  const none: number[] = [];
  const file: number[] = [];
  let saves = 0;
  for (let i = 0; i < 3; i++) {
    none.push(await time());
    const store = new CountingStore(new FileCheckpointStore(dir));
    file.push(await time(store));
    saves = store.saves;
  }
  return { tasks, noneMs: round(median(none), 1), fileMs: round(median(file), 1), saves };
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
  let file, small, large, crews;
  try {
    const store = new FileCheckpointStore(dir);
    file = await measureSequential({
      runs: Math.max(20, Math.round(runs / 4)),
      rounds,
      warmup: Math.round(warmup / 4),
      makeCrew: () => buildCrew({ checkpoint: store }),
    });
    small = await checkpointSizes(3, dir);
    large = await checkpointSizes(300, dir);
    crews = { tasks1000: await largeCrew(1000, dir), tasks4000: await largeCrew(4000, dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
    largeCrews: crews,
  });
}
