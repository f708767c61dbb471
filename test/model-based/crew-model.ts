// The abstract model of a crew's control flow (SPEC §5.1, §5.3, §5.4) that the generated crew suites test
// both crew charts against: tasks start in list order; async tasks start and the crew moves on; every
// running async task is joined before a sync task, before a condition and at the end; a condition runs
// or skips its task; any failure fails the run at once. Context only, no invocations: `createTestModel`
// accepts it. Its events name the task they happen to.
import { assign, setup } from 'xstate';

export type TaskKind = 'sync' | 'async' | 'conditional';
export interface ShapeTask {
  id: string;
  kind: TaskKind;
}
export type ModelStatus = 'pending' | 'deciding' | 'running' | 'done' | 'skipped' | 'failed';

export interface CrewModelContext {
  shape: ShapeTask[];
  /** Next task to start (everything before it started or skipped). */
  index: number;
  status: Record<string, ModelStatus>;
}

export type CrewModelEvent =
  | { type: `FINISH:${string}` }
  | { type: `FAIL:${string}` }
  | { type: `RUN:${string}` }
  | { type: `SKIP:${string}` };

/** Starts whatever the crew starts next: async tasks at once, the next sync task or condition after the join. */
export function advance(shape: ShapeTask[], index: number, status: Record<string, ModelStatus>) {
  const next = { ...status };
  let i = index;
  while (i < shape.length && !Object.values(next).includes('failed')) {
    const task = shape[i];
    if (next[task.id] === 'done' || next[task.id] === 'skipped') {
      i++;
      continue;
    }
    if (next[task.id] !== 'pending') break;
    if (task.kind === 'async') {
      next[task.id] = 'running';
      i++;
      continue;
    }
    if (shape.some((t) => t.kind === 'async' && next[t.id] === 'running')) break;
    next[task.id] = task.kind === 'conditional' ? 'deciding' : 'running';
    break;
  }
  return { index: i, status: next };
}

const is = (context: CrewModelContext, id: string, status: ModelStatus) => context.status[id] === status;

/** The crew model of one crew shape. */
export function crewModel(shape: ShapeTask[]) {
  const model = setup({ types: {} as { context: CrewModelContext; events: CrewModelEvent } });
  const settle = (id: string, status: ModelStatus) =>
    assign(({ context }: { context: CrewModelContext }) =>
      advance(context.shape, context.index, { ...context.status, [id]: status }),
    );
  const on: Record<string, object> = {};
  for (const task of shape) {
    const running = ({ context }: { context: CrewModelContext }) => is(context, task.id, 'running');
    const deciding = ({ context }: { context: CrewModelContext }) => is(context, task.id, 'deciding');
    on[`FINISH:${task.id}`] = { guard: running, actions: settle(task.id, 'done') };
    on[`FAIL:${task.id}`] = { guard: running, actions: settle(task.id, 'failed') };
    if (task.kind === 'conditional') {
      on[`RUN:${task.id}`] = { guard: deciding, actions: settle(task.id, 'running') };
      on[`SKIP:${task.id}`] = { guard: deciding, actions: settle(task.id, 'skipped') };
    }
  }
  const pending = Object.fromEntries(shape.map((t): [string, ModelStatus] => [t.id, 'pending']));
  return model.createMachine({
    id: 'crew-model',
    context: { shape, ...advance(shape, 0, pending) },
    initial: 'running',
    states: {
      running: {
        always: [
          { guard: ({ context }) => Object.values(context.status).includes('failed'), target: 'failed' },
          {
            guard: ({ context }) =>
              context.index >= shape.length && shape.every((t) => !is(context, t.id, 'running')),
            target: 'completed',
          },
        ],
        on,
      },
      completed: { type: 'final' },
      failed: { type: 'final' },
    },
  });
}
