// OpenAI Agents SDK 0.20.0: 3 agents, one Runner.run per task (3 per "crew"), each agent's model a
// ScriptedModel from @openai/agents/testing answering one assistant message. Tracing disabled.
// The baseline calls ScriptedModel.getResponse directly (3 per run), built before the timer like the agents.
import { Agent, Runner, setTracingDisabled } from '@openai/agents';
import { ScriptedModel, assistantMessage } from '@openai/agents/testing';
import { measure, report } from '../harness.mjs';

setTracingDisabled(true);
const runner = new Runner({ tracingDisabled: true });
const scripted = () => new ScriptedModel([[assistantMessage('ok')]]);

function build() {
  return [1, 2, 3].map(
    (i) =>
      new Agent({
        name: `Worker ${i}`,
        instructions: `You are Worker ${i}. You are worker number ${i}, careful and quick.\nYour personal goal is: Do part ${i} of the job well`,
        model: scripted(),
      }),
  );
}
const input = (i) =>
  `Current Task: Task ${i}: write one short paragraph about topic ${i}.\n\nThis is the expected criteria for your final answer: One short paragraph.`;

let checked = false;
const result = await measure({
  build,
  run: async (agents) => {
    for (let i = 0; i < 3; i++) {
      const out = await runner.run(agents[i], input(i + 1));
      if (!checked) {
        if (out.finalOutput !== 'ok') throw new Error(`unexpected output ${out.finalOutput}`);
        if (i === 2) checked = true;
      }
    }
  },
  // A ScriptedModel answers once, so the baseline builds fresh ones — before its timer, like the agents.
  prepareBaseline: () => [scripted(), scripted(), scripted()],
  baseline: async (models) => {
    for (let i = 0; i < 3; i++) {
      await models[i].getResponse({
        systemInstructions: 'You are Worker.',
        input: input(i + 1),
        modelSettings: {},
        tools: [],
        outputType: 'text',
        handoffs: [],
        tracing: false,
      });
    }
  },
});
report({ ...result, version: '0.20.0', model: 'ScriptedModel (@openai/agents/testing)' });
