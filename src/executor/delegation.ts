import { z } from 'zod';
import type { ToolDefinition } from '../llm/types.js';
import type { RunAgent } from '../runtime/run-env.js';

export const DELEGATE_WORK = 'delegate_work';
export const ASK_QUESTION = 'ask_question';

export const delegateWorkSchema = z.object({
  task: z.string().describe('The task to delegate'),
  context: z.string().describe('Everything the coworker needs to know to do it'),
  coworker: z.string().describe('The role of the coworker to delegate to'),
});

export const askQuestionSchema = z.object({
  question: z.string().describe('The question to ask'),
  context: z.string().describe('Everything the coworker needs to know to answer it'),
  coworker: z.string().describe('The role of the coworker to ask'),
});

export function isDelegationTool(name: string): name is typeof DELEGATE_WORK | typeof ASK_QUESTION {
  return name === DELEGATE_WORK || name === ASK_QUESTION;
}

/** The two tools a delegating agent (or the manager) gets, naming the coworkers it may use. */
export function delegationToolDefinitions(coworkers: RunAgent[]): ToolDefinition[] {
  const names = coworkers.map((c) => c.role).join(', ');
  const schema = (s: z.ZodType) => {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(s) as Record<string, unknown>;
    return parameters;
  };
  return [
    {
      name: DELEGATE_WORK,
      description: `Delegate a specific task to one of the following coworkers: ${names}\nThe input to this tool should be the coworker, the task you want them to do, and ALL necessary context to execute the task, they know nothing about the task, so share absolutely everything you know, don't reference things but instead explain them.`,
      parameters: schema(delegateWorkSchema),
    },
    {
      name: ASK_QUESTION,
      description: `Ask a specific question to one of the following coworkers: ${names}\nThe input to this tool should be the coworker, the question you have for them, and ALL necessary context to ask the question properly, they know nothing about the question, so share absolutely everything you know, don't reference things but instead explain them.`,
      parameters: schema(askQuestionSchema),
    },
  ];
}

/** Case, surrounding and repeated whitespace and quotes do not matter; `"[a, b]"` means `a`. */
export function normalizeCoworker(name: string): string {
  let text = name.replace(/["'`]/g, '').trim();
  const list = /^\[(.*)\]$/s.exec(text);
  if (list) text = list[1].split(',')[0] ?? '';
  return text.split(/\s+/).filter(Boolean).join(' ').toLowerCase();
}

export function findCoworker(coworkers: RunAgent[], name: string): RunAgent | undefined {
  const wanted = normalizeCoworker(name);
  return coworkers.find((c) => normalizeCoworker(c.role) === wanted);
}

export function unknownCoworkerMessage(name: string, coworkers: RunAgent[]): string {
  const options = coworkers.map((c) => `- ${normalizeCoworker(c.role)}`).join('\n');
  return `Error executing tool. Coworker '${name}' not found, it must be one of the following options:\n${options}`;
}
