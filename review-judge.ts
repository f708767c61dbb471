import { Agent, Crew, Task, type LLMRequest } from './src/index.js';
import { ScriptedLLM } from './src/testing/index.js';
let judgeCalls = 0; const feedbacks: string[] = [];
const llm = new ScriptedLLM((r: LLMRequest) => {
  if (r.responseFormat?.name === 'guardrail_result') { judgeCalls++; return 'I think it is fine.'; }
  const last = r.messages.at(-1); if (r.messages.length > 2) feedbacks.push(String(last?.content).slice(0, 300));
  return 'draft';
});
const a = new Agent({ id: 'w', role: 'r', goal: 'g', backstory: 'b', llm });
const crew = new Crew({ agents: [a], tasks: [new Task({ description: 'd', expectedOutput: 'x', agent: a, guardrail: 'be nice', guardrailMaxRetries: 1 })] });
crew.kickoff().then((o) => console.log('ok', o.raw), (e) => console.log('err', e.code, e.message.slice(0, 300))).finally(() => { console.log('judge calls', judgeCalls); console.log('feedback to agent:', feedbacks); });
