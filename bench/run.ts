// `npm run bench`: statecrew's own benchmark (SPEC §14). Every workload runs in its own child process
// with a time limit (a runtime that went quadratic must not hang the bench: it is recorded as
// "timeout"), its results are merged into bench/results/latest.json (the `peers` key written by
// `npm run bench:peers` is kept) and a table with the targets is printed.
//
//   npm run bench                       everything (about half a minute on 2 cores)
//   npm run bench -- --only=sequential,fanout
//   npm run bench -- --quick            fewer runs, sizes up to 5k (a smoke test of the bench itself)
//   npm run bench -- --timeout=60       seconds per workload process (default 120)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runChild } from './lib/child.js';
import { printTable } from './lib/table.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RESULTS = here('./results/latest.json');

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = args.includes('--quick');
const only = flag('only')?.split(',');
const timeoutS = Number(flag('timeout') ?? 120);

interface ProcessResult<T = unknown> {
  ok: boolean;
  result?: T;
  status: 'ok' | 'timeout' | 'error';
  ms: number;
  error?: string;
}

/** Runs a workload script in `node --expose-gc --import tsx`, killing it after `timeoutS`. */
async function runWorkload<T>(
  script: string,
  params: string[],
  limitS = timeoutS,
): Promise<ProcessResult<T>> {
  const argv = ['--expose-gc', '--import', 'tsx', here(`./workloads/${script}.ts`), ...params];
  const { code, out, err, timedOut, ms } = await runChild(process.execPath, argv, { limitS });
  const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (timedOut) return { ok: false, status: 'timeout', ms, error: `killed after ${limitS} s` };
  if (code !== 0 || !line) {
    return { ok: false, status: 'error', ms, error: (err || out).trim().split('\n').slice(-5).join(' | ') };
  }
  return { ok: true, status: 'ok', ms, result: JSON.parse(line.slice('@@RESULT '.length)) as T };
}

const wants = (name: string) => !only || only.includes(name);
const log = (text: string) => process.stderr.write(`${text}\n`);
/** What a workload's process gives the results: its result, or why there is none. */
const outcome = (r: ProcessResult) => (r.ok ? r.result : { status: r.status, error: r.error });

/** The workloads in the order they run, with the arguments `--quick` passes them (scale has its own sizes). */
const WORKLOADS: Array<{ name: string; quickArgs: string[] }> = [
  { name: 'sequential', quickArgs: ['--runs=100', '--rounds=3', '--warmup=100'] },
  { name: 'floor', quickArgs: ['--runs=100', '--rounds=3', '--warmup=100'] },
  { name: 'fanout', quickArgs: ['--runs=8', '--warmup=2'] },
  { name: 'scale', quickArgs: [] },
  { name: 'http', quickArgs: ['--runs=40', '--rounds=3', '--warmup=20'] },
  { name: 'hierarchical', quickArgs: ['--runs=50', '--rounds=3', '--warmup=50'] },
  { name: 'checkpoint', quickArgs: ['--runs=60', '--rounds=3', '--warmup=30'] },
];

async function main() {
  const results: Record<string, unknown> = {};
  const started = Date.now();
  const step = async <T>(name: string, script: string, params: string[], limit = timeoutS) => {
    log(`… ${name}`);
    const r = await runWorkload<T>(script, params, limit);
    log(`  ${name}: ${r.status} in ${(r.ms / 1000).toFixed(1)} s${r.error ? ` — ${r.error}` : ''}`);
    return r;
  };

  for (const { name, quickArgs } of WORKLOADS) {
    if (!wants(name)) continue;
    if (name !== 'scale') {
      results[name] = outcome(await step(name, name, quick ? quickArgs : []));
      continue;
    }
    // Scale: one process per size (one crew of N tasks), then 1000 concurrent crews.
    const sizes = quick ? [1000, 2500, 5000] : [1000, 2500, 5000, 10000];
    const bySize: Record<string, unknown> = {};
    for (const n of sizes) {
      const r = await step(`scale ${n} tasks`, 'scale', [`--tasks=${n}`]);
      // `ms` is a finished run's time; a run that did not finish has a `status` and its process's time.
      bySize[String(n)] = r.ok ? r.result : { tasks: n, status: r.status, error: r.error, processMs: r.ms };
    }
    const crews = await step('scale 1000 crews × 10 tasks', 'scale', ['--crews=1000', '--perCrew=10']);
    results.scale = summariseScale(bySize, outcome(crews));
  }

  const previous = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>)
    : {};
  // Workloads not run this time keep their previous numbers (e.g. `--only=fanout`).
  const merged = {
    ...previous,
    ...results,
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadAverageAtEnd: os.loadavg().map((v) => Number(v.toFixed(2))),
      quick,
      benchSeconds: Math.round((Date.now() - started) / 1000),
    },
  };
  mkdirSync(here('./results'), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(merged, null, 2)}\n`);
  printTable(merged);
  log(`\nwrote ${RESULTS}`);
}

interface ScaleRun {
  tasks: number;
  ms?: number;
  msPerTask?: number;
  runMs?: number;
  finishMs?: number;
  retainedBytesPerTask?: number;
  liveBytesPerTask?: number;
  /** Only on a run that did not finish (timeout, error), with `processMs` instead of `ms`. */
  status?: string;
  processMs?: number;
}

/** Per-size results plus the headline numbers: 10k time, retained bytes per task, growth exponent. */
function summariseScale(bySize: Record<string, unknown>, crews1000x10: unknown) {
  const runs = Object.values(bySize) as ScaleRun[];
  const done = runs.filter((r) => r.status === undefined);
  const first = done[0];
  const last = done[done.length - 1];
  // Time ∝ N^k between the smallest and the largest size that finished: k ≈ 1 is linear, 2 quadratic.
  const growth = (pick: (r: ScaleRun) => number | undefined) => {
    if (!first || !last || last === first) return null;
    const a = pick(first);
    const b = pick(last);
    if (!a || !b) return null;
    return Number((Math.log(b / a) / Math.log(last.tasks / first.tasks)).toFixed(2));
  };
  const exponent = growth((r) => r.ms);
  const k10 = bySize['10000'] as ScaleRun | undefined;
  return {
    bySize,
    // Finished when it has no `status` (then it has `ms`); `--quick` does not run 10k.
    tasks10k: k10 ?? { tasks: 10000, status: 'not run' },
    crews1000x10,
    retainedBytesPerTask: Math.max(...done.map((r) => r.retainedBytesPerTask ?? 0)),
    liveBytesPerTaskMax: Math.max(...done.map((r) => r.liveBytesPerTask ?? 0)),
    timeGrowthExponent: exponent,
    // The same for the two phases: running the tasks, and finishing (completeRun + stopping every actor).
    runPhaseGrowthExponent: growth((r) => r.runMs),
    finishPhaseGrowthExponent: growth((r) => r.finishMs),
    msPerTaskRatio10kTo1k:
      first && k10?.msPerTask && first.msPerTask
        ? Number((k10.msPerTask / first.msPerTask).toFixed(2))
        : null,
    note: 'one crew of N tasks uses context: [] on every task (the default context would make prompts grow as O(N²) text)',
  };
}

await main();
