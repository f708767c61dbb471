// KaibanJS 0.23.1: a Team of 3 agents × 3 tasks (sequential, one LLM call each), a LangChain
// FakeListChatModel (zero latency) per agent answering KaibanJS's ReAct JSON final answer.
// Run with KAIBAN_TELEMETRY_OPT_OUT=1 (bench/peers/run.ts sets it).
import { Agent, Task, Team } from 'kaibanjs';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { measure, report } from '../harness.mjs';

const ANSWER = JSON.stringify({ thought: 'done', finalAnswer: 'ok' });
const fake = () => new FakeListChatModel({ responses: [ANSWER] });

function build() {
  const agents = [1, 2, 3].map(
    (i) =>
      new Agent({
        name: `Worker ${i}`,
        role: `Worker ${i}`,
        goal: `Do part ${i} of the job well`,
        background: `You are worker number ${i}, careful and quick.`,
        llmInstance: fake(),
      }),
  );
  const tasks = agents.map(
    (agent, i) =>
      new Task({
        title: `Task ${i + 1}`,
        description: `Task ${i + 1}: write one short paragraph about topic ${i + 1}.`,
        expectedOutput: 'One short paragraph.',
        agent,
      }),
  );
  return new Team({ name: 'bench', agents, tasks, logLevel: 'error' });
}

const models = [fake(), fake(), fake()];
const messages = [new SystemMessage('You are Worker 1.'), new HumanMessage('Task 1: write one short paragraph.')];

let checked = false;
const result = await measure({
  build,
  run: async (team) => {
    const out = await team.start();
    if (!checked) {
      checked = true;
      if (out.status !== 'FINISHED') throw new Error(`KaibanJS run ended ${out.status}`);
    }
  },
  baseline: async () => {
    for (const m of models) await m.invoke(messages);
  },
});
report({ ...result, version: '0.23.1', model: 'FakeListChatModel (@langchain/core 0.3.80)' });
