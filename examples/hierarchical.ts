// A hierarchical crew: a manager plans and delegates to a researcher, an analyst and a writer by
// events between actors; the tasks are left unassigned, so the manager picks the coworker.
import { Agent, Crew, Process, Task, type LLM } from '../src/index.js';
import { ScriptedLLM } from '../src/testing/index.js';
import { runIfMain } from './run-main.js';

const delegate = (coworker: string, task: string) => ({
  name: 'delegate_work',
  arguments: { coworker, task, context: 'The topic is electric aviation.' },
});

export function createHierarchicalCrew(managerLlm?: LLM): Crew {
  const worker = (id: string, role: string, answer: string) =>
    new Agent({
      id,
      role,
      goal: `Be the team's best ${role.toLowerCase()}`,
      backstory: `A seasoned ${role.toLowerCase()}.`,
      llm: new ScriptedLLM([answer, answer]),
    });
  const researcher = worker('researcher', 'Researcher', 'Battery density limits range to ~500 km.');
  const analyst = worker('analyst', 'Analyst', 'Short regional routes are viable by 2030.');
  const writer = worker('writer', 'Writer', 'Electric planes will fly your short hops first.');
  return new Crew({
    name: 'electric-aviation',
    agents: [researcher, analyst, writer],
    tasks: [
      new Task({
        id: 'brief',
        description: 'Produce a brief on {topic}',
        expectedOutput: 'Facts, an analysis and a headline',
      }),
    ],
    process: Process.hierarchical,
    managerLlm:
      managerLlm ??
      new ScriptedLLM([
        // Two delegations in one response run in parallel on two workers.
        {
          toolCalls: [
            delegate('Researcher', 'Find the hard limits'),
            delegate('Analyst', 'Assess which routes work'),
          ],
        },
        { toolCalls: [delegate('Writer', 'Write a headline from the findings')] },
        'Limits: ~500 km range. Viable: short regional routes by 2030. Headline: Electric planes will fly your short hops first.',
      ]),
    verbose: true,
  });
}

async function main(): Promise<void> {
  const output = await createHierarchicalCrew().kickoff({ topic: 'electric aviation' });
  console.log(
    `\n${output.raw}\n(${output.tasksOutput[0].agent}, ${output.tokenUsage.successfulRequests} model requests)`,
  );
}

runIfMain(import.meta.url, main);
