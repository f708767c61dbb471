// Scale (SPEC §14): one crew of N tasks, or C concurrent crews of T tasks. One configuration per
// process (bench/run.ts runs each with a time limit), so the heap numbers start clean.
//   --tasks=N                one crew of N tasks, 3 agents, `context: []` on every task — with the
//                            default context each prompt would hold every earlier output (O(N²) text).
//   --crews=C --perCrew=T    C crews of T tasks (default context) kicked off at once.
// Retained bytes per task = heap after the run with every output still referenced − heap before the
// kickoff (crews built), over the task count, after forced GCs. Live bytes per task = heap when the
// last task completes (every actor still alive) − heap before, over the task count.
import { pathToFileURL } from 'node:url';
import { argValue, buildCrew, exposedGc, hasGc, now, report, round, settledHeap } from '../lib/common.js';

async function oneCrew(tasks: number) {
  let lastDone = 0;
  let liveHeap = NaN;
  let callbackMs = 0;
  // The last task's callback sees every task actor still alive (the crew stops them after completing).
  // Its forced GC and heap read are not the runtime's time: `callbackMs` is taken out of the kickoff's.
  const crew = buildCrew({
    tasks,
    noContext: true,
    lastTaskCallback: () => {
      lastDone = now();
      exposedGc?.();
      liveHeap = process.memoryUsage().heapUsed;
      callbackMs = now() - lastDone;
    },
  });
  const before = await settledHeap();
  const t0 = now();
  const output = await crew.kickoff();
  const total = now() - t0 - callbackMs;
  const after = await settledHeap();
  if (output.tasksOutput.length !== tasks) throw new Error('missing outputs');
  return {
    tasks,
    ms: round(total, 1),
    msPerTask: round(total / tasks, 4),
    // From the kickoff to the last task's completion, and from there to the kickoff's end (completeRun + stopping
    // every actor); `ms` = runMs + finishMs, neither counting the last task's callback.
    runMs: round(lastDone - t0, 1),
    finishMs: round(t0 + total - lastDone, 1),
    retainedBytesPerTask: Math.round((after - before) / tasks),
    liveBytesPerTask: Math.round((liveHeap - before) / tasks),
  };
}

async function manyCrews(crews: number, perCrew: number) {
  const list = Array.from({ length: crews }, () => buildCrew({ tasks: perCrew }));
  const before = await settledHeap();
  const t0 = now();
  const outputs = await Promise.all(list.map((crew) => crew.kickoff()));
  const total = now() - t0;
  const after = await settledHeap();
  const tasks = crews * perCrew;
  if (outputs.some((o) => o.tasksOutput.length !== perCrew)) throw new Error('missing outputs');
  return {
    crews,
    tasksPerCrew: perCrew,
    tasks,
    ms: round(total, 1),
    msPerTask: round(total / tasks, 4),
    retainedBytesPerTask: Math.round((after - before) / tasks),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!hasGc) console.error('scale: run with --expose-gc for heap numbers');
  const crews = argValue('crews', 0);
  // Warm the JIT on a small crew first so the smallest size is not charged for compilation.
  await oneCrew(200);
  report(
    crews > 0 ? await manyCrews(crews, argValue('perCrew', 10)) : await oneCrew(argValue('tasks', 1000)),
  );
}
