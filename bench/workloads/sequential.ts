// The sequential workload: crews of 3 agents × 3 tasks with a zero-latency in-process model, a fresh
// crew per run (as an app would build one per request). Overhead per task = (wall time of the kickoffs
// − wall time of the same number of model calls made without the runtime, in the same process) / tasks.
import { pathToFileURL } from 'node:url';
import {
  ANSWER,
  argValue,
  baselineMessages,
  buildCrew,
  median,
  minOf,
  now,
  report,
  round,
  settle,
  ZeroLLM,
} from '../lib/common.js';

/** What the loop kicks off: a statecrew `Crew`, or the XState floor (bench/lib/xstate-floor.ts) behind the same face. */
export interface Kickoff {
  kickoff(): Promise<{ raw: string; tasksOutput: readonly unknown[] }>;
}

export interface SequentialOptions {
  runs: number;
  rounds: number;
  warmup: number;
  tasksPerRun?: number;
  /** Builds one crew (fresh per run); default the 3 × 3 crew with zero-latency models. */
  makeCrew?: (run: number) => Kickoff;
  /** Model calls per task the baseline makes (3 for a hierarchical crew: manager twice, worker once). */
  callsPerTask?: number;
}

export interface SequentialResult {
  overheadMsPerTask: number;
  overheadMsPerTaskMin: number;
  kickoffMsPerTask: number;
  baselineMsPerTask: number;
  /**
   * CPU time (user + system, all threads incl. GC) per task of the kickoffs minus the baseline's: less
   * sensitive than wall time to other processes competing for the 2 cores.
   */
  cpuOverheadMsPerTask: number;
  constructMsPerCrew: number;
  tasksPerSecond: number;
  rounds: number[];
  runsPerRound: number;
  tasksPerRun: number;
}

export async function measureSequential(options: SequentialOptions): Promise<SequentialResult> {
  const tasksPerRun = options.tasksPerRun ?? 3;
  const callsPerTask = options.callsPerTask ?? 1;
  const make = options.makeCrew ?? ((): Kickoff => buildCrew());
  const model = new ZeroLLM();
  const messages = Array.from({ length: tasksPerRun }, (_, i) => baselineMessages(i));

  const runCrews = async (runs: number) => {
    let kickoff = 0;
    let construct = 0;
    let cpu = 0;
    for (let r = 0; r < runs; r++) {
      const c0 = now();
      const crew = make(r);
      const cpu0 = process.cpuUsage();
      const t0 = now();
      const output = await crew.kickoff();
      kickoff += now() - t0;
      const used = process.cpuUsage(cpu0);
      cpu += (used.user + used.system) / 1000;
      construct += t0 - c0;
      if (output.raw !== ANSWER || output.tasksOutput.length !== tasksPerRun) {
        throw new Error(`unexpected crew output: ${output.raw} (${output.tasksOutput.length} tasks)`);
      }
    }
    return { kickoff, construct, cpu };
  };
  const runBaseline = async (runs: number) => {
    const cpu0 = process.cpuUsage();
    const t0 = now();
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < tasksPerRun; i++) {
        for (let c = 0; c < callsPerTask; c++) await model.call({ messages: messages[i] });
      }
    }
    const wall = now() - t0;
    const used = process.cpuUsage(cpu0);
    return { wall, cpu: (used.user + used.system) / 1000 };
  };

  await runCrews(options.warmup);
  await runBaseline(options.warmup);
  const overheads: number[] = [];
  const kickoffs: number[] = [];
  const baselines: number[] = [];
  const cpus: number[] = [];
  const constructs: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    await settle();
    const crews = await runCrews(options.runs);
    const baseline = await runBaseline(options.runs);
    const tasks = options.runs * tasksPerRun;
    overheads.push((crews.kickoff - baseline.wall) / tasks);
    kickoffs.push(crews.kickoff / tasks);
    baselines.push(baseline.wall / tasks);
    cpus.push((crews.cpu - baseline.cpu) / tasks);
    constructs.push(crews.construct / options.runs);
  }
  return {
    overheadMsPerTask: round(median(overheads)),
    overheadMsPerTaskMin: round(minOf(overheads)),
    kickoffMsPerTask: round(median(kickoffs)),
    baselineMsPerTask: round(median(baselines), 5),
    cpuOverheadMsPerTask: round(median(cpus)),
    constructMsPerCrew: round(median(constructs)),
    tasksPerSecond: Math.round(1000 / median(kickoffs)),
    rounds: overheads.map((v) => round(v)),
    runsPerRound: options.runs,
    tasksPerRun,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await measureSequential({
    runs: argValue('runs', 300),
    rounds: argValue('rounds', 9),
    warmup: argValue('warmup', 300),
  });
  report(result);
}
