// The crew the model-based test example (test/examples/model-based.test.ts) derives its paths from:
// research (checked by a guardrail) → write (only when the research found something, reviewed by a person).
import { Agent, ConditionalTask, Crew, Task, type Guardrail } from '../src/index.js';

/** The research must cite at least one source. */
export const citesASource: Guardrail = (output) =>
  /https?:\/\//.test(output.raw) ? { ok: true } : { ok: false, error: 'Cite at least one source (a URL).' };

/**
 * A research → write crew: the research is checked by a guardrail (one retry), the article is written
 * only when the research found something, and a person reviews it.
 */
export function createResearchWriteCrew(llm = 'gpt-4o-mini'): Crew {
  const researcher = new Agent({
    id: 'researcher',
    role: 'Researcher',
    goal: 'Find reliable facts about {topic}',
    backstory: 'A careful researcher who always names sources.',
    llm,
  });
  const writer = new Agent({
    id: 'writer',
    role: 'Writer',
    goal: 'Write a clear article about {topic}',
    backstory: 'A science writer for a general audience.',
    llm,
  });
  const research = new Task({
    id: 'research',
    name: 'research',
    description: 'Research {topic}: list the five most important facts with their sources.',
    expectedOutput: 'Five facts, each with a URL.',
    agent: researcher,
    guardrail: citesASource,
    guardrailMaxRetries: 1,
  });
  const write = new ConditionalTask({
    id: 'write',
    name: 'write',
    description: 'Write a short article about {topic} from the research.',
    expectedOutput: 'An article of three paragraphs.',
    agent: writer,
    humanInput: true,
    condition: (previous) => !/nothing found/i.test(previous.raw),
  });
  return new Crew({ name: 'research-write', agents: [researcher, writer], tasks: [research, write] });
}
