// A crew with a conditional task: the fact-check runs only when the draft cites numbers.
import { Agent, ConditionalTask, Crew, Task, type LLM } from '../src/index.js';
import { ScriptedLLM } from '../src/testing/index.js';
import { runIfMain } from './run-main.js';

export function createConditionalCrew(draft = 'Octopuses have 3 hearts and 9 brains.', llm?: LLM): Crew {
  const writer = new Agent({
    id: 'writer',
    role: 'Writer',
    goal: 'Draft a note on {topic}',
    backstory: 'Concise.',
    llm: llm ?? new ScriptedLLM([draft, 'Checked: 3 hearts is right; 9 brains counts the arm ganglia.']),
  });
  return new Crew({
    agents: [writer],
    tasks: [
      new Task({
        id: 'draft',
        description: 'Draft a one-line note on {topic}',
        expectedOutput: 'One line',
        agent: writer,
      }),
      new ConditionalTask({
        id: 'fact-check',
        description: 'Fact-check the numbers in the note',
        expectedOutput: 'What is right and what is not',
        agent: writer,
        condition: (previous) => /\d/.test(previous.raw),
      }),
    ],
  });
}

async function main(): Promise<void> {
  for (const draft of ['Octopuses have 3 hearts and 9 brains.', 'Octopuses are clever.']) {
    const output = await createConditionalCrew(draft).kickoff({ topic: 'octopuses' });
    const check = output.tasksOutput[1];
    console.log(`draft: ${draft}\n  fact-check ${check.skipped ? 'skipped' : `ran: ${check.raw}`}`);
  }
}

runIfMain(import.meta.url, main);
