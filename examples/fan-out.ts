// Three research tasks fanned out with asyncExecution, joined before a synthesis task.
// Offline: every agent answers from a ScriptedLLM that waits 200 ms like a real model would.
import { Agent, Crew, Task, type LLM } from '../src/index.js';
import { ScriptedLLM } from '../src/testing/index.js';
import { runIfMain } from './run-main.js';

const slow = (answer: string) => () =>
  new Promise<string>((resolve) => setTimeout(() => resolve(answer), 200));

export function createFanOutCrew(models?: { researcher: LLM; synthesizer: LLM }): Crew {
  const researcher = new Agent({
    id: 'researcher',
    role: 'Researcher',
    goal: 'Research one angle of {topic}',
    backstory: 'Fast and thorough.',
    llm:
      models?.researcher ??
      new ScriptedLLM([
        slow('Market: growing 30% a year'),
        slow('Tech: transformers dominate'),
        slow('Policy: the EU AI Act applies'),
      ]),
  });
  const synthesizer = new Agent({
    id: 'synthesizer',
    role: 'Analyst',
    goal: 'Combine research on {topic} into one view',
    backstory: 'Sees the big picture.',
    llm:
      models?.synthesizer ??
      new ScriptedLLM([slow('AI agents: a fast-growing market built on transformers, under new EU rules.')]),
  });
  const angle = (id: string, what: string) =>
    new Task({
      id,
      description: `Research the ${what} of {topic}`,
      expectedOutput: 'One line',
      agent: researcher,
      asyncExecution: true,
    });
  return new Crew({
    agents: [researcher, synthesizer],
    tasks: [
      angle('market', 'market'),
      angle('technology', 'technology'),
      angle('policy', 'regulation'),
      new Task({
        id: 'synthesis',
        description: 'Synthesise the research on {topic}',
        expectedOutput: 'One paragraph',
        agent: synthesizer,
      }),
    ],
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const output = await createFanOutCrew().kickoff({ topic: 'AI agents' });
  for (const task of output.tasksOutput) console.log(`${task.name}: ${task.raw}`);
  console.log(`Four 200 ms model calls, three of them concurrent: ${Date.now() - started} ms`);
}

runIfMain(import.meta.url, main);
