// statecrew as its users get it: the built package (`dist/`, what `npm run build` / tsup emits), not
// the TypeScript sources through tsx, whose keepNames wrappers (`__name`) alone cost ≈ 3 % per task.
// Values come from the build; types from the sources (the same declarations). `npm run bench` builds first.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Source from '../../src/index.js';
import type * as SourceTesting from '../../src/testing/index.js';

const root = new URL('../../', import.meta.url);

/** The newest modification time under `dir` (recursively). */
function newest(dir: URL): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    latest = Math.max(latest, entry.isDirectory() ? newest(url) : statSync(url).mtimeMs);
  }
  return latest;
}

/** The newest modification time of the sources (src/ and machines/), walked once per process. */
let sourcesAt: number | undefined;

/** The built entry `name`, refusing a build older than the sources (it would measure old code). */
function built(name: string): string {
  const entry = new URL(`dist/${name}`, root);
  let builtAt: number;
  try {
    builtAt = statSync(entry).mtimeMs;
  } catch {
    throw new Error(`${fileURLToPath(entry)} is missing: run \`npm run build\` (npm run bench does)`);
  }
  sourcesAt ??= Math.max(newest(new URL('src/', root)), newest(new URL('machines/', root)));
  if (builtAt < sourcesAt) {
    throw new Error(`dist/ is older than src/ or machines/: run \`npm run build\` (npm run bench does)`);
  }
  return entry.href;
}

const statecrew = (await import(built('index.js'))) as typeof Source;
const testing = (await import(built('testing.js'))) as typeof SourceTesting;

export const { Agent, Crew, Task, OpenAILLM, FileCheckpointStore, MemoryCheckpointStore } = statecrew;
export const { startFakeOpenAI } = testing;
// The classes as types too (instances of the built classes have the sources' declarations).
export type Agent = Source.Agent;
export type Crew = Source.Crew;
export type Task = Source.Task;
export type OpenAILLM = Source.OpenAILLM;
export type FileCheckpointStore = Source.FileCheckpointStore;
export type MemoryCheckpointStore = Source.MemoryCheckpointStore;
export type {
  Checkpoint,
  CheckpointStore,
  CrewOutput,
  LLM,
  LLMRequest,
  LLMResponse,
} from '../../src/index.js';
