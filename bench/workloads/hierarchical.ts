// Hierarchical: crews of 3 tasks run by a manager that delegates once per task to the task's agent,
// then answers (3 model calls per task: manager → delegate_work, worker, manager → final answer).
// All models answer at once; overhead per task = (kickoff wall − 3 bare model calls) / tasks.
import { pathToFileURL } from 'node:url';
import { Crew, Task, type LLM, type LLMRequest, type LLMResponse } from '../lib/statecrew.js';
import { argValue, makeAgents, report, USAGE } from '../lib/common.js';
import { measureSequential } from './sequential.js';

/** Delegates to the coworker named in the task's description, then answers 'ok' once it has the reply. */
class ManagerLLM implements LLM {
  readonly model = 'zero-manager';
  #n = 0;
  async call(request: LLMRequest): Promise<LLMResponse> {
    const last = request.messages[request.messages.length - 1];
    if (last.role === 'tool') return { content: 'ok', usage: USAGE };
    const task = request.messages.find((m) => m.role === 'user')?.content ?? '';
    const coworker = /assign: (Worker \d+)/.exec(task)?.[1] ?? 'Worker 1';
    const args = JSON.stringify({ task: 'Write the paragraph', context: 'Nothing else.', coworker });
    return {
      content: null,
      toolCalls: [{ id: `call_${++this.#n}`, name: 'delegate_work', arguments: args }],
      usage: USAGE,
    };
  }
}

export function hierarchicalCrew(): Crew {
  const agents = makeAgents(3);
  const tasks = agents.map(
    (agent, i) =>
      new Task({
        description: `Task ${i + 1}: write one short paragraph about topic ${i + 1} (assign: ${agent.role}).`,
        expectedOutput: 'One short paragraph.',
        agent,
      }),
  );
  return new Crew({ agents, tasks, process: 'hierarchical', managerLlm: new ManagerLLM() });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await measureSequential({
    runs: argValue('runs', 150),
    rounds: argValue('rounds', 7),
    warmup: argValue('warmup', 150),
    makeCrew: hierarchicalCrew,
    callsPerTask: 3,
  });
  report(result);
}
