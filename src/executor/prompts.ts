import type { z } from 'zod';
import { answerSchemaText } from '../llm/openai-mapping.js';
import type { ChatMessage, ToolDefinition } from '../llm/types.js';
import { reactToolInstructions } from './react.js';

export const MANAGER_REQUEST_EXPECTATION =
  'Your best answer to your coworker asking you this, accounting for the context shared.';

const MARKDOWN_INSTRUCTION =
  'Your final answer MUST be formatted in Markdown syntax. Use # for headers, ** for bold text, * for italic, - or * for bullet points and ` for inline code.';

const STRUCTURED_INSTRUCTION =
  'Answer with only a JSON value that matches the requested schema, and nothing else.';

export interface PromptAgent {
  role: string;
  goal: string;
  backstory: string;
}

export interface PromptWork {
  description: string;
  expectedOutput: string;
  context: string | null;
  markdown?: boolean;
  structured?: boolean;
  /**
   * The output schema, written into the prompt: for a ReAct agent, whose requests do not carry it as a
   * response format while it may still act (crewAI writes the format into the prompt too).
   */
  schema?: z.ZodType;
}

/** The system message: who the agent is, and (for ReAct models) how to call tools in text. */
export function systemMessage(agent: PromptAgent, reactTools: ToolDefinition[] | null): ChatMessage {
  const persona = `You are ${agent.role}. ${agent.backstory}\nYour personal goal is: ${agent.goal}`;
  const tools = reactTools && reactTools.length > 0 ? `\n${reactToolInstructions(reactTools)}` : '';
  return { role: 'system', content: persona + tools };
}

/** How the task message begins its two first parts (model-based tests recognise a task's prompt by them). */
export const TASK_LABEL = 'Current Task: ';
export const EXPECTED_LABEL = '\n\nThis is the expected criteria for your final answer: ';

/** The user message: the task, what a good answer looks like, and the context it builds on. */
export function taskMessage(work: PromptWork): ChatMessage {
  const parts = [
    `${TASK_LABEL}${work.description}${EXPECTED_LABEL}${work.expectedOutput}\nyou MUST return the actual complete content as the final answer, not a summary.`,
  ];
  if (work.markdown) parts.push(MARKDOWN_INSTRUCTION);
  if (work.structured) parts.push(STRUCTURED_INSTRUCTION);
  if (work.structured && work.schema) {
    parts.push(`The JSON Schema your answer must match:\n${answerSchemaText(work.schema)}`);
  }
  if (work.context) parts.push(`\nThis is the context you're working with:\n${work.context}`);
  return { role: 'user', content: parts.join('\n') };
}

// The messages the agent loop and the task add to a conversation (named by the charts in machines/).

/** The last call once `maxIter` is spent: no tools, just the answer (crewAI's wording). */
export const FORCE_FINAL_ANSWER =
  "Now it's time you MUST give your absolute best final answer. You'll ignore all previous instructions, stop using any tools, and just return your absolute BEST Final answer.";

/** A structured answer that did not parse or validate, asked again with the reason. */
export function fixAnswerMessage(error: string): string {
  return `Your final answer could not be used: ${error}\nAnswer again with only valid JSON that matches the requested schema.`;
}

/** A guardrail rejected the answer: the agent runs again with the error and the rejected text. */
export function guardrailRetryMessage(error: string, rejected: string): string {
  return `### Previous attempt failed validation: ${error}\n\n\n### Previous result:\n${rejected}\n\n\nTry again, making sure to address the validation error.`;
}

/** A person asked for a revision (SPEC §6.2). */
export function feedbackMessage(feedback: string): string {
  return `User feedback: ${feedback}\nInstructions: Use this feedback to enhance the next output iteration.\nNote: Do not respond or add commentary.`;
}
