// The XState floor (bench/lib/xstate-floor.ts) through the sequential workload's loop: the same 3 agents ×
// 3 tasks, zero-latency model, prompts and subtraction of the bare model calls as statecrew's row.
import { pathToFileURL } from 'node:url';
import { argValue, baselineMessages, report, ZeroLLM } from '../lib/common.js';
import { runFloorCrew } from '../lib/xstate-floor.js';
import { measureSequential, type Kickoff } from './sequential.js';

/** A fresh floor crew (built before the timer, like a statecrew crew): 3 agents, 3 tasks. */
export function floorCrew(): Kickoff {
  const input = {
    agents: ['worker-1', 'worker-2', 'worker-3'],
    tasks: [0, 1, 2].map((i) => ({ id: `task-${i + 1}`, messages: baselineMessages(i), llm: new ZeroLLM() })),
  };
  return {
    kickoff: async () => {
      const outputs = await runFloorCrew(input);
      return { raw: outputs[outputs.length - 1], tasksOutput: outputs };
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(
    await measureSequential({
      runs: argValue('runs', 300),
      rounds: argValue('rounds', 9),
      warmup: argValue('warmup', 300),
      makeCrew: floorCrew,
    }),
  );
}
