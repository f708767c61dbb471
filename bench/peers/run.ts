// `npm run bench:peers`: the same 3-agent × 3-task workload (one zero-latency fake-model call per task,
// fresh crew/team/graph per run, the run timed, the bare model calls subtracted) on statecrew,
// KaibanJS, LangGraph.js and the OpenAI Agents SDK, in one session: the four run interleaved, each in
// a fresh process, `--reps` times (default 3), and the medians are compared.
//
// Each peer lives in its own folder (bench/peers/<name>/package.json with pinned versions) and is
// installed there with `npm install` when its node_modules is missing — never into statecrew's own
// dependencies. An install or run that fails is recorded with its reason and the others go on.
// Results are merged into bench/results/latest.json under `peers`.
//
//   npm run bench:peers
//   npm run bench:peers -- --reps=5 --runs=300 --rounds=7
//   npm run bench:peers -- --reinstall          (wipe and reinstall the peers first)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runChild } from '../lib/child.js';
import { printTable } from '../lib/table.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RESULTS = here('../results/latest.json');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
};
const reps = flag('reps', 3);
const runs = flag('runs', 300);
const rounds = flag('rounds', 7);
const warmup = flag('warmup', 100);
const log = (text: string) => process.stderr.write(`${text}\n`);

/** Offline hygiene: no telemetry, no tracing exporters, no LangSmith. */
const OFFLINE_ENV: Record<string, string> = {
  KAIBAN_TELEMETRY_OPT_OUT: '1',
  OPENAI_AGENTS_DISABLE_TRACING: '1',
  LANGCHAIN_TRACING_V2: 'false',
  LANGSMITH_TRACING: 'false',
  LANGCHAIN_CALLBACKS_BACKGROUND: 'true',
  OPENAI_API_KEY: 'bench-offline-no-key',
};
const childEnv = () => {
  const env = { ...process.env, ...OFFLINE_ENV };
  delete env.LANGCHAIN_API_KEY;
  delete env.LANGSMITH_API_KEY;
  return env;
};

interface Peer {
  key: 'kaibanjs' | 'langgraph' | 'openaiAgents';
  label: string;
  dir: string;
  /** KaibanJS needs its peer deps (react for zustand) installed; the other two need --legacy-peer-deps. */
  installArgs: string[];
}

const PEERS: Peer[] = [
  { key: 'kaibanjs', label: 'KaibanJS 0.23.1', dir: here('./kaibanjs'), installArgs: [] },
  { key: 'langgraph', label: 'LangGraph.js 1.4.18', dir: here('./langgraph'), installArgs: ['--legacy-peer-deps'] },
  { key: 'openaiAgents', label: 'OpenAI Agents SDK 0.20.0', dir: here('./openai-agents'), installArgs: ['--legacy-peer-deps'] },
];

function exec(cmd: string, argv: string[], cwd: string, limitS: number) {
  return runChild(cmd, argv, { cwd, env: childEnv(), limitS });
}

async function install(peer: Peer): Promise<string | undefined> {
  if (args.includes('--reinstall')) rmSync(`${peer.dir}/node_modules`, { recursive: true, force: true });
  if (existsSync(`${peer.dir}/node_modules/.package-lock.json`)) return undefined;
  log(`installing ${peer.label} in ${peer.dir} …`);
  // --ignore-scripts: nothing the peers ship needs an install script, and none may phone home.
  const r = await exec('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...peer.installArgs], peer.dir, 600);
  if (r.code === 0) return undefined;
  return `npm install failed (${r.timedOut ? 'timeout' : `exit ${r.code}`}): ${(r.err || r.out).trim().split('\n').slice(-3).join(' | ')}`;
}

interface Measured {
  overheadMsPerTask: number;
  cpuOverheadMsPerTask: number;
  runMsPerTask?: number;
  kickoffMsPerTask?: number;
}

function parse(out: string): Measured | undefined {
  const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
  return line ? (JSON.parse(line.slice(9)) as Measured) : undefined;
}

/**
 * Two configurations per framework and rep:
 * - steady: `warmup` runs, then `rounds` × `runs` (JIT fully warm: a long-running service);
 * - short: 5 warm-up runs then one round of 300 (the method of notes/peers.md §5: less warm code).
 */
const CONFIGS = {
  steady: [`--runs=${runs}`, `--rounds=${rounds}`, `--warmup=${warmup}`],
  short: ['--runs=300', '--rounds=1', '--warmup=5'],
};
type Config = keyof typeof CONFIGS;

/**
 * One of statecrew's own workloads (bench/workloads/<name>.ts): `sequential` is statecrew, `floor` the
 * XState floor (bench/lib/xstate-floor.ts) — not a peer, the cost of SPEC §8's topology alone.
 */
async function runOwn(workload: 'sequential' | 'floor', config: Config) {
  const script = here(`../workloads/${workload}.ts`);
  return exec(process.execPath, ['--import', 'tsx', script, ...CONFIGS[config]], here('../..'), 300);
}

async function runPeer(peer: Peer, config: Config) {
  return exec(process.execPath, ['bench.mjs', ...CONFIGS[config]], peer.dir, 300);
}

function median(values: number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const broken: Partial<Record<Peer['key'], string>> = {};
  for (const peer of PEERS) {
    const problem = await install(peer);
    if (problem) {
      broken[peer.key] = problem;
      log(`  ${peer.label}: ${problem}`);
    }
  }
  const fresh = () =>
    ({ statecrew: [], kaibanjs: [], langgraph: [], openaiAgents: [], xstateFloor: [] }) as Record<string, Measured[]>;
  const samples: Record<Config, Record<string, Measured[]>> = { steady: fresh(), short: fresh() };
  const errors: Record<string, string> = {};
  const failure = (r: { out: string; err: string; timedOut: boolean }) =>
    r.timedOut ? 'timeout (300 s)' : (r.err || r.out).trim().split('\n').slice(-3).join(' | ');
  for (let rep = 0; rep < reps; rep++) {
    log(`rep ${rep + 1}/${reps}`);
    for (const config of Object.keys(CONFIGS) as Config[]) {
      const sc = await runOwn('sequential', config);
      const m = parse(sc.out);
      if (m) samples[config].statecrew.push(m);
      else errors.statecrew = failure(sc);
      log(`  ${config} statecrew: ${m ? `${m.overheadMsPerTask} ms/task` : `failed: ${errors.statecrew}`}`);
      const fr = await runOwn('floor', config);
      const fm = parse(fr.out);
      if (fm) samples[config].xstateFloor.push(fm);
      else errors.xstateFloor = failure(fr);
      log(`  ${config} XState floor: ${fm ? `${fm.overheadMsPerTask} ms/task` : `failed: ${errors.xstateFloor}`}`);
      for (const peer of PEERS) {
        if (broken[peer.key]) continue;
        const r = await runPeer(peer, config);
        const pm = parse(r.out);
        if (pm) samples[config][peer.key].push(pm);
        else errors[peer.key] = failure(r);
        log(`  ${config} ${peer.label}: ${pm ? `${pm.overheadMsPerTask} ms/task` : `failed: ${errors[peer.key]}`}`);
      }
    }
  }
  const med = (list: Measured[], pick: (m: Measured) => number) => Number(median(list.map(pick)).toFixed(4));
  const summary = (key: string, label: string) => {
    const list = samples.steady[key];
    const short = samples.short[key];
    if (!list.length) {
      return { label, status: 'failed', reason: broken[key as Peer['key']] ?? errors[key] ?? 'no result' };
    }
    return {
      label,
      overheadMsPerTask: med(list, (s) => s.overheadMsPerTask),
      cpuOverheadMsPerTask: med(list, (s) => s.cpuOverheadMsPerTask),
      perProcess: list.map((s) => s.overheadMsPerTask),
      shortRun: short.length
        ? {
            overheadMsPerTask: med(short, (s) => s.overheadMsPerTask),
            cpuOverheadMsPerTask: med(short, (s) => s.cpuOverheadMsPerTask),
            perProcess: short.map((s) => s.overheadMsPerTask),
          }
        : null,
    };
  };
  const statecrew = summary('statecrew', 'statecrew (this checkout)');
  const peers: Record<string, unknown> = { statecrew };
  for (const peer of PEERS) peers[peer.key] = summary(peer.key, peer.label);
  peers.xstateFloor = summary('xstateFloor', 'XState floor (SPEC §8 topology)');
  type Summary = { overheadMsPerTask?: number; shortRun?: { overheadMsPerTask: number } | null };
  const own = (statecrew as Summary).overheadMsPerTask;
  const ownShort = (statecrew as Summary).shortRun?.overheadMsPerTask;
  const ratios: Record<string, number | null> = {};
  const shortRatios: Record<string, number | null> = {};
  for (const peer of PEERS) {
    const v = (peers[peer.key] as Summary).overheadMsPerTask;
    const vs = (peers[peer.key] as Summary).shortRun?.overheadMsPerTask;
    ratios[peer.key] = v && own ? Number((v / own).toFixed(2)) : null;
    shortRatios[peer.key] = vs && ownShort ? Number((vs / ownShort).toFixed(2)) : null;
  }
  peers.ratios = ratios;
  peers.shortRunRatios = shortRatios;
  peers.targets = { kaibanjs: 5, langgraph: 5, openaiAgents: 3 };
  peers.meta = {
    date: new Date().toISOString(),
    reps,
    runsPerRound: runs,
    rounds,
    loadAverageAtEnd: os.loadavg().map((v) => Number(v.toFixed(2))),
    method:
      '3 agents × 3 tasks, one zero-latency fake-model call per task, fresh crew/team/graph per run (construction not timed); overhead = (run wall − bare fake-model calls) / tasks; median of rounds per process, median of processes. steady = warm JIT (headline); shortRun = 5 warm-up runs + 300 runs (notes/peers.md method)',
  };
  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {};
  mkdirSync(here('../results'), { recursive: true });
  const merged = { ...previous, peers };
  writeFileSync(RESULTS, `${JSON.stringify(merged, null, 2)}\n`);

  // Beside the table below, which has no CPU: each framework's CPU overhead (and the XState floor's short run).
  console.log('\nper-task framework overhead, zero-latency fake model (median of processes):');
  for (const [key, value] of Object.entries(peers)) {
    const v = value as {
      label?: string;
      overheadMsPerTask?: number;
      cpuOverheadMsPerTask?: number;
      status?: string;
      reason?: string;
      shortRun?: { overheadMsPerTask: number } | null;
    };
    if (!v?.label) continue;
    const target = (peers.targets as Record<string, number>)[key];
    const ratio =
      key === 'statecrew' || !ratios[key]
        ? ''
        : `  → ${ratios[key]}× statecrew (target ≥ ${target}×); short run ${shortRatios[key] ?? '—'}×`;
    console.log(
      `  ${v.label.padEnd(28)} ${v.overheadMsPerTask !== undefined ? `${v.overheadMsPerTask.toFixed(3)} ms/task wall, ${v.cpuOverheadMsPerTask?.toFixed(3)} CPU, short run ${v.shortRun?.overheadMsPerTask?.toFixed(3) ?? '—'}` : `${v.status}: ${v.reason}`}${ratio}`,
    );
  }
  printTable(merged);
  log(`\nwrote ${RESULTS}`);
}

await main();
