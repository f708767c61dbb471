// Summarises V8 .cpuprofile files (node --cpu-prof): top functions by self time, and self time by
// where the code lives (statecrew src/, machines/, xstate, openai, node internals, GC, …).
//   node --import tsx bench/lib/top-prof.ts bench/results/prof/*.cpuprofile [--top=30]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return '(program: V8/native, not JS)';
  if (!url) return 'native/builtin';
  if (url.includes('/node_modules/xstate/')) return 'xstate';
  if (url.includes('/node_modules/openai/')) return 'openai client';
  if (url.includes('/node_modules/undici') || url.startsWith('node:internal/deps/undici'))
    return 'undici (fetch)';
  if (url.includes('/node_modules/'))
    return `dep: ${url
      .split('/node_modules/')
      .pop()!
      .split('/')
      .slice(0, url.includes('/@') ? 2 : 1)
      .join('/')}`;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/machines/')) return 'statecrew machines/';
  if (url.includes('/src/')) return 'statecrew src/';
  if (url.includes('/bench/')) return 'bench harness';
  // What the bench runs: the built package.
  if (/\/dist\/[^/]+\.js$/.test(url)) return 'statecrew (dist/)';
  return url;
}

const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '')
    .replace(/^\/work\/main\//, '');

const keyOf = (node: Node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}  ${url ? `${short(url)}:${lineNumber + 1}` : ''}`;
};

/** Idle time is left out (the tsx loader thread's profile is nearly all idle). */
export function summarise(files: string[], top = 30): string {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const time = new Map<number, number>();
    if (profile.samples && profile.timeDeltas) {
      profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas![i] ?? 0)));
    }
    for (const [id, us] of time) {
      const node = byId.get(id)!;
      const { functionName, url } = node.callFrame;
      if (functionName === '(idle)') continue;
      const key = keyOf(node);
      self.set(key, (self.get(key) ?? 0) + us);
      const a = area(url, functionName);
      byArea.set(a, (byArea.get(a) ?? 0) + us);
      total += us;
      // Inclusive: every distinct function on the sample's stack.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const k = keyOf(byId.get(at)!);
        if (seen.has(k)) continue;
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + us);
      }
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [
    `total sampled ${(total / 1000).toFixed(0)} ms in ${files.length} profile(s)`,
    '',
    'self time by area:',
  ];
  for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1])) lines.push(`  ${pct(us)} ${ms(us)}  ${a}`);
  lines.push('', `top ${top} functions by self time:`);
  for (const [k, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, top))
    lines.push(`  ${pct(us)} ${ms(us)}  ${k}`);
  const interesting = [...inclusive].filter(
    ([k]) => /(src|machines)\//.test(k) || /xstate\//.test(k) || /\(garbage/.test(k),
  );
  lines.push('', `top ${top} statecrew/xstate functions by inclusive time:`);
  for (const [k, us] of interesting.sort((x, y) => y[1] - x[1]).slice(0, top))
    lines.push(`  ${pct(us)} ${ms(us)}  ${k}`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('top-prof.ts')) {
  const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.split('=')[1] ?? 30);
  console.log(summarise(files, top));
}
