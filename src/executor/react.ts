import type { ToolDefinition } from '../llm/types.js';
import { closingQuote } from './relaxed-json.js';

/** One parsed model reply in the ReAct text protocol. */
export type ReActStep =
  | { kind: 'final'; answer: string; thought?: string }
  | { kind: 'action'; tool: string; input: string /* JSON text as written */; thought?: string };

const FENCE = '```';

const FINAL_FORMAT = `\`\`\`
Thought: I now know the final answer
Final Answer: the final answer to the original input question
\`\`\``;

/** The system-prompt section that lists the tools and teaches the Thought/Action/Final Answer format. */
export function reactToolInstructions(tools: ToolDefinition[]): string {
  if (tools.length === 0) return `When you have the answer, use the following format:\n\n${FINAL_FORMAT}`;
  const described = tools
    .map(
      (t) =>
        `Tool Name: ${t.name}\nTool Arguments: ${JSON.stringify(t.parameters)}\nTool Description: ${t.description}`,
    )
    .join('\n\n');
  const names = tools.map((t) => t.name).join(', ');
  return `You ONLY have access to the following tools, and should NEVER make up tools that are not listed here:

${described}

IMPORTANT: Use the following format in your response:

\`\`\`
Thought: you should always think about what to do
Action: the action to take, only one name of [${names}], just the name, exactly as it's written.
Action Input: the input to the action, just a simple JSON object, enclosed in curly braces, using " to wrap keys and values.
Observation: the result of the action
\`\`\`

Use one tool at a time, then stop: the Observation is given to you, never write it yourself.
Once all necessary information is gathered, return the following format:

${FINAL_FORMAT}`;
}

/** The user message that carries a tool's result back and asks the model to go on. */
export function reactObservation(result: string): string {
  return `Observation: ${result}

Analyze the tool result. If requirements are met, give the Final Answer (Thought: … then Final Answer: …). Otherwise, call the next tool (Thought: … Action: … Action Input: …).`;
}

// Models often bold the labels (`**Final Answer:**`, `**Action**:`); the stars are not part of the content.
// No two parts of a label can match the same characters (`\s*\d*\s*` could, which made a long run of
// spaces after "Action" take cubic time), so each label is read in time linear in its length.
const FINAL_MARKER = /(?:\*\*)?Final Answer(?:\*\*)?:(?:\*\*)?/g;
const ACTION_LABEL = /Action\s*(?:\d+\s*)?(?:\*\*\s*)?:/g;
const INPUT_LABEL = /Action\s*(?:\d+\s*)?Input\s*(?:\d+\s*)?(?:\*\*\s*)?:/g;
const FIRST_MARKER = /(?:\*\*)?(?:Action\s*(?:\d+\s*)?(?:\*\*\s*)?:|Final Answer(?:\*\*)?:)/;
// Without stop words a model may go on past its Action Input; what follows is not part of the input.
const INPUT_END = /\n[ \t]*(?:\*\*)?(?:Observation|Thought|Action(?:[ \t]*\d+)?)(?:\*\*)?[ \t]*:/;

/**
 * Reads a reply: `Final Answer:` wins (the last one) wherever it is but inside an Action Input's JSON
 * value (`{"note": "… Final Answer: …"}` is an argument); else `Action:` + `Action Input:`; else the whole
 * reply is the final answer.
 */
export function parseReAct(text: string): ReActStep {
  const action = findAction(text);
  const inInput = (at: number) => action !== undefined && at >= action.inputStart && at < action.inputEnd;
  const last = [...text.matchAll(FINAL_MARKER)].filter((m) => !inInput(m.index)).at(-1);
  if (last) {
    const answer = finalAnswer(text.slice(last.index + last[0].length));
    return { kind: 'final', answer, ...thoughtOf(text) };
  }
  if (action) return { kind: 'action', tool: action.tool, input: action.input, ...thoughtOf(text) };
  return { kind: 'final', answer: text.trim() };
}

interface FoundAction {
  tool: string;
  input: string;
  /** Where the input's JSON value starts and ends (both at the label's end when it holds none). */
  inputStart: number;
  inputEnd: number;
}

/** The first `Action:` followed by an `Action Input:`, the tool named between them and the input after. */
function findAction(text: string): FoundAction | undefined {
  ACTION_LABEL.lastIndex = 0;
  const label = ACTION_LABEL.exec(text);
  if (!label) return undefined;
  const after = label.index + label[0].length;
  INPUT_LABEL.lastIndex = after;
  const input = INPUT_LABEL.exec(text);
  if (!input) return undefined;
  const inputAt = input.index + input[0].length;
  const valueAt =
    inputAt + (/^\s*(?:```[A-Za-z]*\s*)?/.exec(text.slice(inputAt, inputAt + 64))?.[0].length ?? 0);
  return {
    tool: toolName(text.slice(after, input.index)),
    input: actionInput(text.slice(inputAt)),
    inputStart: valueAt,
    inputEnd: jsonValueEnd(text, valueAt) ?? valueAt,
  };
}

/**
 * The end of the `{…}` or `[…]` that starts at `start` (quotes and escapes respected); undefined when
 * none starts there or it never closes (then it is no JSON value, and hides no Final Answer after it).
 */
function jsonValueEnd(text: string, start: number): number | undefined {
  if (text[start] !== '{' && text[start] !== '[') return undefined;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (char === '"' || char === "'") {
      i = closingQuote(text, i);
      if (i < 0) return undefined;
    } else if (char === '{' || char === '[') depth++;
    else if ((char === '}' || char === ']') && --depth === 0) return i + 1;
  }
  return undefined;
}

function finalAnswer(rest: string): string {
  const answer = rest.trim();
  // The model wrapped the whole reply in a fence; the closing one is not part of the answer.
  const fences = answer.split(FENCE).length - 1;
  if (answer.endsWith(FENCE) && fences % 2 === 1) return answer.slice(0, -FENCE.length).trimEnd();
  return answer;
}

function toolName(raw: string): string {
  return raw
    .trim()
    .replace(/^\*+|\*+$/g, '')
    .trim();
}

function actionInput(raw: string): string {
  return raw
    .split(INPUT_END)[0]
    .trim()
    .replace(/^\*+|\*+$/g, '')
    .trim()
    .replace(/^```[A-Za-z]*[ \t]*\r?\n?/, '')
    .replace(/\r?\n?```$/, '')
    .trim();
}

function thoughtOf(text: string): { thought?: string } {
  const end = FIRST_MARKER.exec(text)?.index ?? 0;
  const thought = text
    .slice(0, end)
    .replaceAll(FENCE, '')
    .trim()
    .replace(/^(?:\*\*)?Thought(?:\*\*)?\s*:(?:\*\*)?/, '')
    .trim();
  return thought ? { thought } : {};
}
