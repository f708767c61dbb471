// LangGraph.js 1.4.18: a StateGraph with 3 nodes in a row (one per "agent"), each calling its own
// FakeListChatModel (zero latency) with a system + task message and writing the answer to the state.
// The graph is built and compiled per run (as statecrew builds a crew per run), no checkpointer.
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { measure, report } from '../harness.mjs';

const State = Annotation.Root({
  outputs: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }),
});
const fake = () => new FakeListChatModel({ responses: ['ok'] });
const prompt = (i) => [
  new SystemMessage(`You are Worker ${i}. You are worker number ${i}, careful and quick.\nYour personal goal is: Do part ${i} of the job well`),
  new HumanMessage(`Current Task: Task ${i}: write one short paragraph about topic ${i}.\n\nThis is the expected criteria for your final answer: One short paragraph.`),
];

function build() {
  const models = [fake(), fake(), fake()];
  const node = (i) => async () => {
    const reply = await models[i - 1].invoke(prompt(i));
    return { outputs: [reply.content] };
  };
  return new StateGraph(State)
    .addNode('task1', node(1))
    .addNode('task2', node(2))
    .addNode('task3', node(3))
    .addEdge(START, 'task1')
    .addEdge('task1', 'task2')
    .addEdge('task2', 'task3')
    .addEdge('task3', END)
    .compile();
}

const models = [fake(), fake(), fake()];
const prompts = [1, 2, 3].map(prompt);
let checked = false;
const result = await measure({
  build,
  run: async (graph) => {
    const out = await graph.invoke({ outputs: [] });
    if (!checked) {
      checked = true;
      if (out.outputs.length !== 3) throw new Error('LangGraph run missed outputs');
    }
  },
  baseline: async () => {
    for (let i = 0; i < 3; i++) await models[i].invoke(prompts[i]);
  },
});
report({ ...result, version: '1.4.18', model: 'FakeListChatModel (@langchain/core 1.2.13)' });
