// Fan-out (SPEC §14): 8 async tasks whose model answers after 50 ms, then one sync task (a crew may not
// end with more than one async task) whose model answers at once. Wall time of the kickoff vs the
// 50 ms ideal; also when the last async task completed.
import { pathToFileURL } from 'node:url';
import { Agent, Crew, Task } from '../lib/statecrew.js';
import { ANSWER, argValue, median, now, report, round, settle, SlowLLM, ZeroLLM } from '../lib/common.js';

const LATENCY_MS = 50;

function fanoutCrew(asyncTasks: number, marks: { asyncDone: number }) {
  const slow = new SlowLLM(LATENCY_MS);
  const agents = Array.from(
    { length: asyncTasks },
    (_, i) => new Agent({ role: `Researcher ${i + 1}`, goal: 'Research', backstory: 'Fast.', llm: slow }),
  );
  const writer = new Agent({ role: 'Writer', goal: 'Write', backstory: 'Clear.', llm: new ZeroLLM() });
  const tasks = agents.map(
    (agent, i) =>
      new Task({
        description: `Research part ${i + 1}`,
        expectedOutput: 'notes',
        agent,
        asyncExecution: true,
        callback: () => {
          marks.asyncDone = Math.max(marks.asyncDone, now());
        },
      }),
  );
  tasks.push(new Task({ description: 'Summarise the notes', expectedOutput: 'a summary', agent: writer }));
  return new Crew({ agents: [...agents, writer], tasks });
}

export async function measureFanout(runs: number, warmup: number, asyncTasks = 8) {
  const walls: number[] = [];
  const asyncPhase: number[] = [];
  for (let r = 0; r < warmup + runs; r++) {
    await settle();
    const marks = { asyncDone: 0 };
    const crew = fanoutCrew(asyncTasks, marks);
    const t0 = now();
    const output = await crew.kickoff();
    const wall = now() - t0;
    if (output.raw !== ANSWER || output.tasksOutput.length !== asyncTasks + 1) throw new Error('bad output');
    if (r >= warmup) {
      walls.push(wall);
      asyncPhase.push(marks.asyncDone - t0);
    }
  }
  // The floor: 8 concurrent 50 ms timers alone, no runtime.
  const floors: number[] = [];
  const slow = new SlowLLM(LATENCY_MS);
  for (let r = 0; r < 5; r++) {
    const t0 = now();
    await Promise.all(Array.from({ length: asyncTasks }, () => slow.call({ messages: [] })));
    floors.push(now() - t0);
  }
  return {
    asyncTasks,
    modelLatencyMs: LATENCY_MS,
    wallMs: round(median(walls), 2),
    wallMsMin: round(Math.min(...walls), 2),
    wallMsMax: round(Math.max(...walls), 2),
    asyncPhaseMs: round(median(asyncPhase), 2),
    timersOnlyMs: round(median(floors), 2),
    overIdealMs: round(median(walls) - LATENCY_MS, 2),
    runs,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(await measureFanout(argValue('runs', 25), argValue('warmup', 5)));
}
