import { Agent } from '../../agent.js';
import type { Crew } from '../../crew.js';
import { ConditionalTask, Task, type TaskOptions } from '../../task.js';
import type { PathScript } from './script.js';

/**
 * The crew a path runs: the same tasks and agents (same ids, texts, tools, callbacks and crew options),
 * with each agent's model replaced by the path's scripted one, each task's guardrails by one scripted
 * guardrail, each condition by the path's decision and the reviewer by the path's `humanInput` handler.
 * Checkpoints and request limits (`maxRpm`) are left out, and so are output files unless `keepOutputFiles`.
 */
export function pathCrew(crew: Crew, script: PathScript, keepOutputFiles = false): Crew {
  const manager = crew.managerAgent;
  const agents = new Map<Agent, Agent>();
  const cloneAgent = (agent: Agent): Agent => {
    let clone = agents.get(agent);
    if (!clone) {
      const work = agent === manager ? crew.tasks : crew.tasks.filter((t) => t.agent === agent);
      // No request limit: a scripted model answers at once, and a limit of a few a minute stalls the path.
      const llm = script.model(work, `scripted ${agent.role}`);
      clone = new Agent({ ...agent, llm, maxRpm: undefined });
      agents.set(agent, clone);
    }
    return clone;
  };
  const tasks = new Map<Task, Task>();
  for (const task of crew.tasks) {
    const options: TaskOptions = {
      id: task.id,
      name: task.name,
      description: task.description,
      expectedOutput: task.expectedOutput,
      agent: task.agent && cloneAgent(task.agent),
      context: task.context?.map((c) => tasks.get(c) ?? c),
      asyncExecution: task.asyncExecution,
      tools: task.tools,
      outputSchema: task.outputSchema,
      guardrails: task.guardrails.length > 0 ? [script.guardrail(task.id)] : [],
      guardrailMaxRetries: task.guardrailMaxRetries,
      humanInput: task.humanInput,
      callback: task.callback,
      outputFile: keepOutputFiles ? task.outputFile : undefined,
      createDirectory: task.createDirectory,
      markdown: task.markdown,
    };
    tasks.set(
      task,
      task instanceof ConditionalTask
        ? new ConditionalTask({ ...options, condition: script.condition(task.id) })
        : new Task(options),
    );
  }
  return crew.with({
    agents: crew.agents.map(cloneAgent),
    tasks: crew.tasks.map((t) => tasks.get(t)!),
    managerAgent: manager && cloneAgent(manager),
    managerLlm: undefined,
    humanInput: script.humanInput,
    checkpoint: undefined,
    maxRpm: undefined,
  });
}
