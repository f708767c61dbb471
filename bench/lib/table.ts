// The readable summary of bench/results/latest.json: every metric, the SPEC §14 target, pass/fail.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Row {
  metric: string;
  value: string;
  target: string;
  verdict: string;
}

const fmt = (v: unknown, unit = '', digits = 3) =>
  typeof v === 'number' && Number.isFinite(v) ? `${Number(v.toFixed(digits))}${unit}` : String(v ?? '—');
const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'PASS' : 'FAIL');
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** SPEC §14's peer ratio targets, for results whose `peers` has no `targets` (bench/peers/run.ts writes them). */
const PEER_TARGETS: Record<string, number> = { kaibanjs: 5, langgraph: 5, openaiAgents: 3 };
const PEERS = [
  ['kaibanjs', 'KaibanJS'],
  ['langgraph', 'LangGraph.js'],
  ['openaiAgents', 'OpenAI Agents SDK'],
] as const;

export function rows(r: Json): Row[] {
  const out: Row[] = [];
  const add = (metric: string, value: string, target = '', ok?: boolean) =>
    out.push({ metric, value, target, verdict: verdict(ok) });
  /** A row that passes when `v` is a number ≤ `limit` (a missing value fails). */
  const atMost = (metric: string, v: unknown, value: string, limit: number, target = `≤ ${limit}`) =>
    add(metric, value, target, isNum(v) ? v <= limit : false);
  const s = r.sequential as Json | undefined;
  if (s) {
    atMost('sequential overhead ms/task (wall, median)', s.overheadMsPerTask, fmt(s.overheadMsPerTask), 0.1);
    add('  best round ms/task', fmt(s.overheadMsPerTaskMin));
    add('  CPU overhead ms/task', fmt(s.cpuOverheadMsPerTask));
    add('  throughput tasks/s (one at a time)', fmt(s.tasksPerSecond, '', 0));
    add('  crew construction ms/crew (not in the overhead)', fmt(s.constructMsPerCrew));
  }
  const fl = r.floor as Json | undefined;
  if (fl) {
    add('XState floor ms/task (SPEC §8 topology, no features)', fmt(fl.overheadMsPerTask));
    if (isNum(s?.overheadMsPerTask) && isNum(fl.overheadMsPerTask))
      add('  statecrew / floor', fmt(s.overheadMsPerTask / fl.overheadMsPerTask, '×', 2));
  }
  const p = r.peers as Json | undefined;
  if (p?.statecrew?.overheadMsPerTask) {
    const own = p.statecrew.overheadMsPerTask as number;
    add(
      'peers: statecrew ms/task (same session; steady / short run)',
      `${fmt(own)} / ${fmt(p.statecrew.shortRun?.overheadMsPerTask)}`,
    );
    const ownShort = p.statecrew.shortRun?.overheadMsPerTask as number | undefined;
    const targetOf = (key: string): number => (isNum(p.targets?.[key]) ? p.targets[key] : PEER_TARGETS[key]);
    const peer = (key: string, label: string, factor: number) => {
      const v = p[key]?.overheadMsPerTask;
      if (!isNum(v))
        return add(
          `peers: ${label}`,
          String(p[key]?.reason ?? p[key]?.status ?? 'not measured'),
          `≥ ${factor}×`,
          false,
        );
      const vs = p[key]?.shortRun?.overheadMsPerTask;
      const short =
        isNum(vs) && isNum(ownShort) ? `; short run ${fmt(vs)} → ${fmt(vs / ownShort, '×', 1)}` : '';
      add(
        `peers: ${label} ms/task → ratio`,
        `${fmt(v)} → ${fmt(v / own, '×', 1)}${short}`,
        `≥ ${factor}×`,
        v / own >= factor,
      );
    };
    for (const [key, label] of PEERS) peer(key, label, targetOf(key));
    // What the three ratio targets ask of statecrew, beside what the bare topology costs in the same session.
    const needed = PEERS.map(([key]) => p[key]?.overheadMsPerTask / targetOf(key)).filter(isNum);
    const floor = p.xstateFloor?.overheadMsPerTask;
    if (isNum(floor)) add('peers: XState floor ms/task (SPEC §8 topology, no features)', fmt(floor));
    if (needed.length === 3)
      add('  the ratio targets need statecrew at ms/task', `≤ ${fmt(Math.min(...needed))}`);
  }
  const f = r.fanout as Json | undefined;
  if (f) {
    atMost('fanout 8 × 50 ms async tasks: wall ms (median)', f.wallMs, fmt(f.wallMs, '', 1), 55);
    add(
      '  async phase ms / min..max wall',
      `${fmt(f.asyncPhaseMs, '', 1)} / ${fmt(f.wallMsMin, '', 1)}..${fmt(f.wallMsMax, '', 1)}`,
    );
  }
  const sc = r.scale as Json | undefined;
  if (sc) {
    for (const [n, run] of Object.entries((sc.bySize ?? {}) as Json)) {
      const x = run as Json;
      const finished = x.status === undefined && isNum(x.ms);
      add(
        `scale: one crew of ${n} tasks`,
        finished
          ? `${fmt(x.ms / 1000, ' s', 2)} (${fmt(x.msPerTask, ' ms/task')}; run ${fmt(x.runMs / 1000, ' s', 2)} + finish ${fmt(x.finishMs / 1000, ' s', 2)}), retained ${fmt(x.retainedBytesPerTask, ' B', 0)}/task, live ${fmt(x.liveBytesPerTask, ' B', 0)}/task`
          : String(x.status),
        n === '10000' ? 'finishes (in the time limit)' : '',
        n === '10000' ? finished : undefined,
      );
    }
    const c = sc.crews1000x10 as Json | undefined;
    if (c) {
      const finished = c.status === undefined && isNum(c.ms);
      add(
        'scale: 1000 concurrent crews × 10 tasks',
        finished
          ? `${fmt(c.ms / 1000, ' s', 2)} (${fmt(c.msPerTask, ' ms/task')}), retained ${fmt(c.retainedBytesPerTask, ' B', 0)}/task`
          : String(c.status),
        'finishes',
        finished,
      );
    }
    atMost(
      'scale: time growth exponent 1k→10k (1 = linear, 2 = quadratic)',
      sc.timeGrowthExponent,
      fmt(sc.timeGrowthExponent, '', 2),
      1.15,
      'linear: ≤ 1.15',
    );
    add(
      '  exponent of the run phase / the finish phase (stop)',
      `${fmt(sc.runPhaseGrowthExponent, '', 2)} / ${fmt(sc.finishPhaseGrowthExponent, '', 2)}`,
    );
    add('  ms/task at 10k ÷ ms/task at 1k', fmt(sc.msPerTaskRatio10kTo1k, '×', 2));
    atMost(
      'scale: retained bytes per finished task (max over sizes)',
      sc.retainedBytesPerTask,
      fmt(sc.retainedBytesPerTask, ' B', 0),
      4096,
      '≤ 4096 B',
    );
  }
  const h = r.http as Json | undefined;
  if (h) {
    atMost(
      'http: overhead ms/task above a bare openai loop',
      h.overheadMsPerTask,
      fmt(h.overheadMsPerTask),
      0.3,
    );
    add(
      '  crew / bare client ms per task; best round',
      `${fmt(h.crewMsPerTask)} / ${fmt(h.bareClientMsPerTask)}; ${fmt(h.overheadMsPerTaskMin)}`,
    );
    add(
      '  CPU overhead ms/task (client process); OpenAILLM alone above bare ms/call',
      `${fmt(h.cpuOverheadMsPerTask)}; ${fmt(h.adapterOverheadMsPerCall)}`,
    );
  }
  const hi = r.hierarchical as Json | undefined;
  if (hi) {
    add('hierarchical: ms/task (3 model calls per task)', fmt(hi.kickoffMsPerTask), 'no target');
    add(
      '  overhead ms/task; CPU overhead ms/task',
      `${fmt(hi.overheadMsPerTask)}; ${fmt(hi.cpuOverheadMsPerTask)}`,
    );
  }
  const cp = r.checkpoint as Json | undefined;
  if (cp?.none) {
    add(
      'checkpoint: none / memory / file overhead ms/task',
      `${fmt(cp.none.overheadMsPerTask)} / ${fmt(cp.memory.overheadMsPerTask)} / ${fmt(cp.file.overheadMsPerTask)}`,
      'no target',
    );
    add(
      '  CPU ms/task none / memory / file',
      `${fmt(cp.none.cpuOverheadMsPerTask)} / ${fmt(cp.memory.cpuOverheadMsPerTask)} / ${fmt(cp.file.cpuOverheadMsPerTask)}`,
    );
    const a = cp.sizes?.tasks3;
    const b = cp.sizes?.tasks300;
    if (a && b) {
      add(
        '  last checkpoint bytes: 3 tasks / 300 tasks',
        `${fmt(a.lastBytes, '', 0)} / ${fmt(b.lastBytes, '', 0)}`,
      );
      add(
        '  bytes written per run: 3 tasks / 300 tasks',
        `${fmt(a.bytesWrittenPerRun, '', 0)} / ${fmt(b.bytesWrittenPerRun, '', 0)}`,
      );
    }
    const k1 = cp.largeCrews?.tasks1000;
    const k4 = cp.largeCrews?.tasks4000;
    if (k1 && k4) {
      add(
        '  1,000 / 4,000 tasks: ms without / with a file store (writes)',
        `${fmt(k1.noneMs, '', 0)} / ${fmt(k1.fileMs, '', 0)} (${k1.saves}); ${fmt(k4.noneMs, '', 0)} / ${fmt(k4.fileMs, '', 0)} (${k4.saves})`,
      );
    }
  }
  return out;
}

export function printTable(results: Json): void {
  const list = rows(results);
  const w = [
    Math.max(6, ...list.map((r) => r.metric.length)),
    Math.max(5, ...list.map((r) => r.value.length)),
    Math.max(6, ...list.map((r) => r.target.length)),
  ];
  const line = (a: string, b: string, c: string, d: string) =>
    `${a.padEnd(w[0])}  ${b.padEnd(w[1])}  ${c.padEnd(w[2])}  ${d}`;
  console.log(
    `\nstatecrew bench — ${results.meta?.date ?? ''} — node ${results.meta?.node ?? ''}, ${results.meta?.cpus ?? '?'} cpus, load ${JSON.stringify(results.meta?.loadAverageAtEnd ?? [])}`,
  );
  console.log(line('metric', 'value', 'target', 'result'));
  console.log(line('-'.repeat(w[0]), '-'.repeat(w[1]), '-'.repeat(w[2]), '------'));
  for (const r of list) console.log(line(r.metric, r.value, r.target, r.verdict));
}
