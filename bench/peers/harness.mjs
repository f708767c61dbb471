// The measuring loop every peer script shares (plain JS: the peers run from their own folders with
// their own node_modules). Same method as bench/workloads/sequential.ts: a fresh crew/team/graph per
// run built before its timer starts, the timer around the run only, then the same number of bare
// fake-model calls in the same process; overhead per task = (runs − bare calls) / tasks, median of rounds.
export const now = () => performance.now();

export function median(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (v, d = 4) => (Number.isFinite(v) ? Number(v.toFixed(d)) : v);

export function arg(name, fallback) {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
}

/**
 * @param {{ build: () => any, run: (built: any) => Promise<void>, baseline: (prepared: any) => Promise<void>,
 *           prepareBaseline?: () => any,
 *           tasksPerRun?: number, runs?: number, rounds?: number, warmup?: number }} o
 */
export async function measure(o) {
  const tasksPerRun = o.tasksPerRun ?? 3;
  const runs = o.runs ?? arg('runs', 300);
  const rounds = o.rounds ?? arg('rounds', 7);
  const warmup = o.warmup ?? arg('warmup', 100);
  const runMany = async (n) => {
    let wall = 0;
    let cpu = 0;
    for (let r = 0; r < n; r++) {
      const built = await o.build();
      const c0 = process.cpuUsage();
      const t0 = now();
      await o.run(built);
      wall += now() - t0;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
    }
    return { wall, cpu };
  };
  const baseMany = async (n) => {
    let wall = 0;
    let cpu = 0;
    for (let r = 0; r < n; r++) {
      const prepared = o.prepareBaseline?.();
      const c0 = process.cpuUsage();
      const t0 = now();
      await o.baseline(prepared);
      wall += now() - t0;
      const c = process.cpuUsage(c0);
      cpu += (c.user + c.system) / 1000;
    }
    return { wall, cpu };
  };
  await runMany(warmup);
  await baseMany(warmup);
  const over = [];
  const cpus = [];
  const walls = [];
  const bases = [];
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const a = await runMany(runs);
    const b = await baseMany(runs);
    const tasks = runs * tasksPerRun;
    over.push((a.wall - b.wall) / tasks);
    cpus.push((a.cpu - b.cpu) / tasks);
    walls.push(a.wall / tasks);
    bases.push(b.wall / tasks);
  }
  return {
    overheadMsPerTask: round(median(over)),
    overheadMsPerTaskMin: round(Math.min(...over)),
    cpuOverheadMsPerTask: round(median(cpus)),
    runMsPerTask: round(median(walls)),
    baselineMsPerTask: round(median(bases), 5),
    rounds: over.map((v) => round(v)),
    runsPerRound: runs,
  };
}

export function report(result) {
  process.stdout.write(`\n@@RESULT ${JSON.stringify(result)}\n`);
}
