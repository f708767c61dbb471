// Damages a real mid-run checkpoint one field at a time and resumes each copy: a damaged checkpoint must
// be refused (a StatecrewError, e.g. corrupt_checkpoint) or resume anyway; it must never hang, crash the
// process, or fail with a plain error. Run: `npx tsx scripts/checkpoint-fuzz.ts` (about a minute).
import { Agent, Crew, MemoryCheckpointStore, StatecrewError, Task, type Checkpoint } from '../src/index.js';
import { ScriptedLLM, type ScriptedReply } from '../src/testing/index.js';

const HANG_MS = 3_000;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

const escaped: string[] = [];
process.on('unhandledRejection', (error) => escaped.push(`unhandled rejection: ${String(error)}`));
process.on('uncaughtException', (error) => escaped.push(`uncaught exception: ${String(error)}`));

function crewOf(store: MemoryCheckpointStore, replies: ScriptedReply[]): Crew {
  const agent = new Agent({ id: 'a1', role: 'r', goal: 'g', backstory: 'b', llm: new ScriptedLLM(replies) });
  const tasks = ['one', 'two', 'three'].map(
    (id) => new Task({ id, name: id, description: `do ${id} {topic}`, expectedOutput: 'e', agent }),
  );
  return new Crew({ agents: [agent], tasks, checkpoint: store });
}

/** A checkpoint taken while the second task's model call was in flight. */
async function midRunCheckpoint(): Promise<Checkpoint> {
  const store = new MemoryCheckpointStore();
  const controller = new AbortController();
  const stalled = () => {
    controller.abort();
    return new Promise<string>(() => {});
  };
  await crewOf(store, ['ONE', stalled])
    .kickoff({ topic: 't' }, { signal: controller.signal, runId: 'base' })
    .catch(() => undefined);
  const checkpoint = await store.load('base');
  if (!checkpoint) throw new Error('the first run left no checkpoint');
  return checkpoint;
}

function pathsOf(value: Json, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((key) => pathsOf((value as Record<string | number, Json>)[key], [...at, key]))];
}

const mutations: Array<[string, (holder: Record<string | number, Json>, key: string | number) => void]> = [
  ['delete', (holder, key) => (Array.isArray(holder) ? holder.splice(Number(key), 1) : delete holder[key])],
  ['null', (holder, key) => (holder[key] = null)],
  ['number', (holder, key) => (holder[key] = 7)],
  ['string', (holder, key) => (holder[key] = '../x')],
  ['object', (holder, key) => (holder[key] = {})],
  ['array', (holder, key) => (holder[key] = [])],
  ['proto', (holder, key) => (holder[key] = JSON.parse('{"__proto__":{"polluted":1}}') as Json)],
];

async function outcomeOf(checkpoint: Checkpoint, runId: string): Promise<string> {
  const store = new MemoryCheckpointStore();
  await store.save(runId, checkpoint);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hang'), HANG_MS)));
  const resumed = crewOf(store, ['TWO', 'THREE', 'X', 'Y', 'Z'])
    .resume(runId, { signal: controller.signal })
    .then(
      () => 'resumed',
      (error: unknown) => (error instanceof StatecrewError ? `refused: ${error.code}` : `plain error`),
    );
  const outcome = await Promise.race([resumed, hang]);
  clearTimeout(timer);
  if (outcome === 'hang') controller.abort();
  return outcome;
}

const base = await midRunCheckpoint();
const text = JSON.stringify(base);
const counts = new Map<string, number>();
const bad: string[] = [];
let n = 0;
for (const path of pathsOf(JSON.parse(text) as Json).slice(1)) {
  for (const [name, mutate] of mutations) {
    const runId = `fuzz-${++n}`;
    const copy = JSON.parse(text.split('"base"').join(JSON.stringify(runId))) as Record<
      string | number,
      Json
    >;
    let holder = copy;
    for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, Json>;
    mutate(holder, path.at(-1)!);
    const outcome = await outcomeOf(copy as unknown as Checkpoint, runId);
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    if (outcome === 'hang' || outcome === 'plain error') bad.push(`${outcome}: ${path.join('.')} (${name})`);
  }
}
console.log(`${n} single-field edits of a ${text.length}-byte checkpoint`);
console.log(
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n'),
);
console.log(bad.length ? `hangs and plain errors:\n  ${bad.join('\n  ')}` : 'no hang, no plain error');
console.log(escaped.length ? `escaped the run:\n  ${escaped.join('\n  ')}` : 'nothing escaped a run');
process.exit(0);
