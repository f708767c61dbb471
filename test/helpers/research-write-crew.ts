import { Agent, Crew, Task, type CrewOptions, type LLM } from '../../src/index.js';

/**
 * The durability tests' crew: a researcher, then a writer whose task asks a person when `reviewed`. Built the same
 * way every time (fixed agent and task ids), as a crew rebuilt in another process would be.
 */
export function researchWriteCrew(
  models: { research: LLM; writing: LLM },
  options: { reviewed: boolean } & Omit<CrewOptions, 'agents' | 'tasks'>,
): Crew {
  const { reviewed, ...crewOptions } = options;
  const researcher = new Agent({
    id: 'researcher',
    role: 'Researcher',
    goal: 'Find facts about {topic}',
    backstory: 'Careful.',
    llm: models.research,
  });
  const writer = new Agent({
    id: 'writer',
    role: 'Writer',
    goal: 'Write',
    backstory: 'Clear.',
    llm: models.writing,
  });
  const tasks = [
    new Task({ id: 'research', description: 'Research {topic}', expectedOutput: 'facts', agent: researcher }),
    new Task({
      id: 'write',
      description: 'Write about {topic}',
      expectedOutput: 'article',
      agent: writer,
      humanInput: reviewed,
    }),
  ];
  return new Crew({ agents: [researcher, writer], tasks, ...crewOptions });
}
