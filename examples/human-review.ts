/**
 * Human review in the terminal.
 *
 * A copywriter drafts a tagline. A guardrail checks its length, and the writer tries again while it
 * is too long. Then you review the tagline in your terminal: type what should change and press Enter
 * to send the writer back to work (the guardrail checks the new draft, then you are asked again), or
 * press Enter on an empty line to accept it.
 *
 *   npx tsx examples/human-review.ts                          # offline: a scripted model plays the writer
 *   OPENAI_API_KEY=sk-… npx tsx examples/human-review.ts --live   # a real model ($STATECREW_MODEL or gpt-4o-mini)
 *
 * Without a terminal (stdin piped, CI), give the crew a `humanInput` handler instead, or drive the run
 * with `crew.createActor()` and `{ type: 'human.feedback', taskId, feedback }` events.
 */
import { Agent, Crew, Task, type Guardrail, type LLM } from '../src/index.js';
import { ScriptedLLM } from '../src/testing/index.js';

const MAX_WORDS = 10;

/** A function guardrail: passes a short tagline (trimmed), rejects a long one with a reason. */
const fitsOnABillboard: Guardrail = (output) => {
  const tagline = output.raw.trim();
  const words = tagline.split(/\s+/).length;
  return words <= MAX_WORDS
    ? [true, tagline]
    : [false, `The tagline has ${words} words; keep it to ${MAX_WORDS} words or fewer.`];
};

/** The writer's model offline: a first draft that is too long, a shorter one, then one per revision. */
function scriptedWriter(): LLM {
  return new ScriptedLLM(
    [
      'Statecrew runs whole crews of AI agents as XState actors that you can inspect, persist and resume.',
      'Crews of AI agents, run as XState actors.',
      'Crews of AI agents as XState actors, in TypeScript.',
      'Inspectable, resumable crews of AI agents, in TypeScript.',
      'Typed AI agent crews you can watch, pause and resume.',
    ],
    { model: 'scripted-writer' },
  );
}

async function main() {
  const live = process.argv.includes('--live');
  const writer = new Agent({
    role: 'Copywriter',
    goal: 'Write short, memorable taglines',
    backstory: 'You write taglines for developer tools. You never pad a sentence.',
    llm: live ? (process.env.STATECREW_MODEL ?? 'gpt-4o-mini') : scriptedWriter(),
  });
  const tagline = new Task({
    name: 'tagline',
    description: 'Write a tagline for {product}, {pitch}.',
    expectedOutput: `One tagline of at most ${MAX_WORDS} words, and nothing else.`,
    agent: writer,
    guardrail: fitsOnABillboard,
    humanInput: true,
  });
  const crew = new Crew({ agents: [writer], tasks: [tagline], verbose: true });

  const result = await crew.kickoff({
    product: 'statecrew',
    pitch: "a TypeScript library that runs crewAI-style teams of AI agents on XState's actors",
  });

  console.log(`\nFinal tagline: ${result.raw}`);
  console.log(
    `(${result.tokenUsage.totalTokens} tokens in ${result.tokenUsage.successfulRequests} model calls)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
});
