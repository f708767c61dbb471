// The floor of the actor topology SPEC §8 prescribes, with none of statecrew's features: a crew machine
// spawns one actor per agent (`agent:<id>`) and one task machine per task (`task:<id>`, the seven
// top-level states), starts the tasks in order, and each task invokes the model by name in `running`.
// No prompts, agent loop, events, usage, outputs or checkpoints. What it costs per task is what any
// runtime with this topology pays on XState 5 before doing anything a crew needs: the bench reports it
// beside statecrew's overhead, so a per-task target below it is seen to be out of this design's reach.
import { assign, createActor, fromPromise, sendTo, setup, toPromise, type AnyActorRef } from 'xstate';
import type { LLM, LLMRequest, LLMResponse } from './statecrew.js';

interface FloorTask {
  id: string;
  messages: LLMRequest['messages'];
  llm: LLM;
}

export interface FloorInput {
  agents: string[];
  tasks: FloorTask[];
}

const callModel = fromPromise<LLMResponse, FloorTask>(({ input, signal }) =>
  input.llm.call({ messages: input.messages, signal }),
);

const agentMachine = setup({}).createMachine({
  id: 'floor.agent',
  initial: 'idle',
  states: { idle: { on: { delegate_work: 'idle', ask_question: 'idle' } } },
});

const taskMachine = setup({
  types: {} as { context: { task: FloorTask; raw: string }; input: FloorTask; output: string },
  actors: { callModel },
}).createMachine({
  id: 'floor.task',
  context: ({ input }) => ({ task: input, raw: '' }),
  initial: 'pending',
  output: ({ context }) => context.raw,
  states: {
    pending: { on: { start: 'running' } },
    running: {
      invoke: {
        src: 'callModel',
        input: ({ context }) => context.task,
        onDone: { target: 'done', actions: assign({ raw: ({ event }) => event.output.content ?? '' }) },
        onError: 'failed',
      },
    },
    'guardrail-retry': {},
    'human-input': {},
    done: { type: 'final' },
    skipped: { type: 'final' },
    failed: { type: 'final' },
  },
});

interface CrewContext {
  tasks: AnyActorRef[];
  index: number;
  outputs: string[];
}

const isLast = ({ context }: { context: CrewContext }) => context.index + 1 >= context.tasks.length;
const current = ({ context }: { context: CrewContext }) => context.tasks[context.index];

const crewMachine = setup({
  types: {} as { context: CrewContext; input: FloorInput; output: string[] },
  actors: { agent: agentMachine, task: taskMachine },
}).createMachine({
  id: 'floor.crew',
  context: ({ input, spawn }) => {
    for (const id of input.agents) spawn('agent', { id: `agent:${id}`, systemId: `agent:${id}` });
    const tasks = input.tasks.map((task) =>
      spawn('task', { id: `task:${task.id}`, systemId: `task:${task.id}`, input: task }),
    );
    return { tasks, index: 0, outputs: [] };
  },
  initial: 'running',
  output: ({ context }) => context.outputs,
  states: {
    running: {
      entry: sendTo(current, { type: 'start' }),
      on: {
        'xstate.done.actor.*': [
          {
            guard: isLast,
            target: 'done',
            actions: assign({ outputs: ({ context, event }) => [...context.outputs, String(event.output)] }),
          },
          {
            actions: [
              assign({
                outputs: ({ context, event }) => [...context.outputs, String(event.output)],
                index: ({ context }) => context.index + 1,
              }),
              sendTo(current, { type: 'start' }),
            ],
          },
        ],
        'xstate.error.actor.*': 'failed',
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

/** Runs one floor crew to its end: the task outputs in order, as `kickoff` would give them. */
export async function runFloorCrew(input: FloorInput): Promise<string[]> {
  const actor = createActor(crewMachine, { input });
  actor.start();
  return toPromise(actor);
}
