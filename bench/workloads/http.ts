// HTTP (SPEC §14): the 3 × 3 crew through OpenAILLM against the loopback fake OpenAI server (in its own
// process), vs a bare `openai` client loop making the same calls (same request bodies, one at a time).
// One OpenAILLM instance is shared by the fresh crews (as an app shares its model config), so the
// openai client is built once on both sides. Overhead per task = (crew wall − bare loop wall) / tasks.
import OpenAI from 'openai';
import { pathToFileURL } from 'node:url';
import { OpenAILLM, type LLM, type LLMRequest } from '../lib/statecrew.js';
import { toChatParams } from '../../src/llm/openai-mapping.js';
import { ANSWER, argValue, buildCrew, median, minOf, now, report, round, settle } from '../lib/common.js';
import { startServerProcess } from '../lib/server-process.js';

const MODEL = 'gpt-4o-mini';

/** Records the requests of one crew run, so the bare loop sends exactly the same bodies. */
class Recorder implements LLM {
  readonly model = MODEL;
  requests: LLMRequest[] = [];
  constructor(private readonly inner: LLM) {}
  call(request: LLMRequest) {
    this.requests.push(request);
    return this.inner.call(request);
  }
}

export async function measureHttp(runs: number, rounds: number, warmup: number) {
  const server = await startServerProcess();
  try {
    const llm = new OpenAILLM({ model: MODEL, baseURL: server.url, apiKey: 'bench-key' });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'bench-key', maxRetries: 2, timeout: 60_000 });
    const recorder = new Recorder(llm);
    await buildCrew({ llm: () => recorder }).kickoff();
    const bodies = recorder.requests.map((r) => toChatParams({ messages: r.messages }, { model: MODEL }));

    // Wall and CPU time of the kickoffs only (building each crew is not timed), as in sequential.ts.
    const crews = async (n: number) => {
      let wall = 0;
      let cpu = 0;
      for (let r = 0; r < n; r++) {
        const crew = buildCrew({ llm: () => llm });
        const cpu0 = process.cpuUsage();
        const t0 = now();
        const output = await crew.kickoff();
        wall += now() - t0;
        const used = process.cpuUsage(cpu0);
        cpu += (used.user + used.system) / 1000;
        if (output.raw !== ANSWER) throw new Error(`unexpected answer ${output.raw}`);
      }
      return { wall, cpu };
    };
    const bare = async (n: number) => {
      const t0 = now();
      for (let r = 0; r < n; r++) {
        for (const body of bodies) {
          const completion = await client.chat.completions.create(body as never);
          if (
            (completion as { choices: Array<{ message: { content: string } }> }).choices[0].message
              .content !== ANSWER
          )
            throw new Error('bad');
        }
      }
      return now() - t0;
    };
    // The adapter alone: OpenAILLM.call in a loop with the same requests, no crew around it.
    const adapter = async (n: number) => {
      const t0 = now();
      for (let r = 0; r < n; r++) {
        for (const request of recorder.requests) {
          const response = await llm.call({ messages: request.messages });
          if (response.content !== ANSWER) throw new Error('bad');
        }
      }
      return now() - t0;
    };
    await crews(warmup);
    await bare(warmup);
    await adapter(warmup);
    const cpuOf = async (work: () => Promise<number>) => {
      const c0 = process.cpuUsage();
      const wall = await work();
      const c = process.cpuUsage(c0);
      return { wall, cpu: (c.user + c.system) / 1000 };
    };
    const overheads: number[] = [];
    const cpuOverheads: number[] = [];
    const crewPerTask: number[] = [];
    const barePerTask: number[] = [];
    const adapterPerTask: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await settle();
      // Alternate the order so drift in the machine's load hits both sides alike.
      const first = i % 2 === 0;
      const b1 = first ? undefined : await cpuOf(() => bare(runs));
      const cc = await crews(runs);
      const b2 = first ? await cpuOf(() => bare(runs)) : undefined;
      const bb = (b1 ?? b2)!;
      const c = cc.wall;
      const b = bb.wall;
      cpuOverheads.push((cc.cpu - bb.cpu) / (runs * bodies.length));
      const a = await adapter(runs);
      const tasks = runs * bodies.length;
      adapterPerTask.push(a / tasks);
      overheads.push((c - b) / tasks);
      crewPerTask.push(c / tasks);
      barePerTask.push(b / tasks);
    }
    return {
      overheadMsPerTask: round(median(overheads)),
      overheadMsPerTaskMin: round(minOf(overheads)),
      // Client-process CPU (all threads) of the crews minus the bare loop's, per task.
      cpuOverheadMsPerTask: round(median(cpuOverheads)),
      crewMsPerTask: round(median(crewPerTask)),
      bareClientMsPerTask: round(median(barePerTask)),
      // OpenAILLM.call alone vs the bare client: how much of the overhead is the adapter, not the runtime.
      adapterMsPerCall: round(median(adapterPerTask)),
      adapterOverheadMsPerCall: round(median(adapterPerTask) - median(barePerTask)),
      rounds: overheads.map((v) => round(v)),
      runsPerRound: runs,
      requestBytes: JSON.stringify(bodies[0]).length,
    };
  } finally {
    server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  // As warm as the sequential workload (300 crews first): after 50 the first rounds were still 40 % slower.
  report(await measureHttp(argValue('runs', 100), argValue('rounds', 9), argValue('warmup', 300)));
}
