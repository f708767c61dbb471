// The README's first command (`npm start`): a research → write → edit crew run end to end through
// OpenAILLM over real HTTP. With OPENAI_API_KEY or OPENAI_BASE_URL set it uses that model; without,
// it starts the bundled fake OpenAI-compatible server on 127.0.0.1 and says so.
import { z } from 'zod';
import { Agent, Crew, OpenAILLM, Task, tool, type LLM } from '../src/index.js';
import { startFakeOpenAI, type FakeReply, type RecordedRequest } from '../src/testing/index.js';
import { runIfMain } from './run-main.js';

/** A stand-in search tool: it returns canned notes, so the demo needs no search API. */
export const webSearch = tool({
  name: 'web_search',
  description: 'Search the web and return short notes about a query',
  schema: z.object({ query: z.string().describe('What to search for') }),
  execute: ({ query }) =>
    [
      `Notes on "${query}":`,
      '- Octopuses have about 500 million neurons, two thirds of them in their arms.',
      '- They solve puzzles, open jars and recognise individual humans.',
      '- Each arm can taste and act semi-independently.',
    ].join('\n'),
});

export function createResearchCrew(llm: LLM | string): Crew {
  const researcher = new Agent({
    id: 'researcher',
    role: 'Senior Researcher',
    goal: 'Uncover surprising, well-sourced facts about {topic}',
    backstory: 'You dig through sources and keep only what is true and interesting.',
    tools: [webSearch],
    llm,
  });
  const writer = new Agent({
    id: 'writer',
    role: 'Science Writer',
    goal: 'Turn research on {topic} into a vivid short article',
    backstory: 'You write for curious readers who have five minutes.',
    llm,
  });
  const editor = new Agent({
    id: 'editor',
    role: 'Editor',
    goal: 'Make articles about {topic} accurate and tight',
    backstory: 'You cut every word that does not earn its place.',
    llm,
  });
  return new Crew({
    name: 'research-write-edit',
    agents: [researcher, writer, editor],
    tasks: [
      new Task({
        id: 'research',
        name: 'Research',
        description: 'Research {topic}: find three surprising facts.',
        expectedOutput: 'Three facts, one line each',
        agent: researcher,
      }),
      new Task({
        id: 'write',
        name: 'Write',
        description: 'Write a 120-word article about {topic} from the research.',
        expectedOutput: 'A short article',
        agent: writer,
      }),
      new Task({
        id: 'edit',
        name: 'Edit',
        description: 'Edit the article about {topic} for accuracy and brevity.',
        expectedOutput: 'The final article',
        agent: editor,
        markdown: true,
      }),
    ],
    verbose: true,
  });
}

/** What the offline server answers: the researcher searches first; every agent then answers from its context. */
export function demoConversation(request: RecordedRequest): FakeReply {
  const messages = request.body.messages;
  const system = String(messages[0]?.content ?? '');
  const searched = messages.some((m) => m.role === 'tool');
  if (system.includes('Senior Researcher') && !searched) {
    return { toolCalls: [{ name: 'web_search', arguments: { query: 'octopus intelligence' } }] };
  }
  if (system.includes('Senior Researcher')) {
    return "1. Two thirds of an octopus's neurons are in its arms.\n2. Octopuses open jars and solve puzzles.\n3. They recognise individual humans.";
  }
  if (system.includes('Science Writer')) {
    return 'The Eight-Armed Mind: an octopus thinks with its whole body. Two thirds of its neurons sit in its arms, which taste and act on their own, and yet the animal opens jars, solves puzzles and remembers the people it meets.';
  }
  return '# The Eight-Armed Mind\n\nAn octopus thinks with its whole body: two thirds of its neurons are in its arms. It opens jars, solves puzzles and **recognises the people it meets**.';
}

export async function main(): Promise<void> {
  const real = process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL;
  const server = real ? undefined : await startFakeOpenAI({ handler: demoConversation });
  if (server) {
    console.log(
      `No OPENAI_API_KEY or OPENAI_BASE_URL set: running offline against the bundled fake OpenAI-compatible server at ${server.url}`,
    );
  } else {
    console.log(
      `Using the model '${process.env.STATECREW_MODEL ?? 'gpt-4o-mini'}' at ${process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'}`,
    );
  }
  try {
    const llm = server
      ? new OpenAILLM({ model: 'statecrew-demo', baseURL: server.url, apiKey: 'offline-demo' })
      : new OpenAILLM({ model: process.env.STATECREW_MODEL ?? 'gpt-4o-mini' });
    const output = await createResearchCrew(llm).kickoff({ topic: 'octopus intelligence' });
    console.log(`\n${output.raw}\n`);
    const usage = output.tokenUsage;
    console.log(
      `${output.tasksOutput.length} tasks, ${usage.successfulRequests} model requests, ${usage.totalTokens} tokens (run ${output.runId})`,
    );
  } finally {
    await server?.close();
  }
}

runIfMain(import.meta.url, main);
