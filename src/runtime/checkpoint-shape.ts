import { z } from 'zod';
import type { AnyMachineSnapshot, AnyStateMachine, StateValue } from 'xstate';
import { CHUNK_SIZE, outcomeOf, type OutcomeSource } from '../../machines/crew-outcomes.js';
import type { Checkpoint } from '../checkpoint/types.js';
import { StatecrewError } from '../errors.js';
import { isMachine, isRecord, logicOf, taskActorsOf } from './persisted-actor.js';

/**
 * A store hands back what it was given, but a file edited by hand or a database row damaged can be valid
 * JSON and still not a crew's snapshot. Restored as it is, such a snapshot made `resume` hang for ever
 * (a task with no actor), throw a TypeError from inside an actor (which no caller can catch), or rewrite
 * the damaged checkpoint. So what a resume or replay reads is checked first, and refused with
 * `corrupt_checkpoint`, the checkpoint left as it was.
 */
export function checkCheckpointFields(checkpoint: Checkpoint): void {
  const problem = fieldProblem(checkpoint);
  if (problem) throw damaged(checkpoint, problem);
}

/** The crew snapshot of a checkpoint in this build's format (after `upgradeCheckpoint`). */
export function checkCrewSnapshot(checkpoint: Checkpoint): void {
  const problem = snapshotProblem(checkpoint.snapshot, checkpoint);
  if (problem) throw damaged(checkpoint, problem);
}

function damaged(checkpoint: Checkpoint, problem: string): StatecrewError {
  return new StatecrewError(
    'corrupt_checkpoint',
    `The checkpoint of run '${checkpoint.runId}' is damaged (${problem}): it was left as it was`,
  );
}

/**
 * `corrupt_checkpoint` for a snapshot whose restore threw (`cause`: what it threw); a StatecrewError (a
 * check's own refusal) is thrown as it is.
 */
export function corruptCheckpoint(runId: string, error: unknown): StatecrewError {
  if (error instanceof StatecrewError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StatecrewError(
    'corrupt_checkpoint',
    `The checkpoint of run '${runId}' is damaged (restoring it failed: ${message}): it was left as it was`,
    { cause: error },
  );
}

function fieldProblem(checkpoint: Checkpoint): string | undefined {
  if (!isStringList(checkpoint.taskIds)) return 'taskIds is not a list of task ids';
  if (checkpoint.agentIds !== undefined && !isStringList(checkpoint.agentIds)) {
    return 'agentIds is not a list of agent ids';
  }
  if (!isRecord(checkpoint.inputs)) return 'inputs is not an object';
  if (!isRecord(checkpoint.snapshot)) return 'snapshot is not an object';
  return undefined;
}

interface CrewSnapshot {
  status?: unknown;
  context?: { runId?: unknown; tasks?: unknown; outcomes?: unknown; index?: unknown };
  children?: unknown;
}

function snapshotProblem(value: unknown, { runId, taskIds }: Checkpoint): string | undefined {
  const snapshot = value as CrewSnapshot;
  if (snapshot.status !== 'active' && snapshot.status !== 'done') {
    return `its status is ${JSON.stringify(snapshot.status)}, not active or done`;
  }
  const context = snapshot.context;
  if (!isRecord(context)) return 'the crew snapshot has no context';
  // Its actors find their run by this id: another one would name (and act for) another run.
  if (context.runId !== runId) return `its crew snapshot is of run ${JSON.stringify(context.runId)}`;
  const tasks = context.tasks;
  if (!Array.isArray(tasks) || tasks.map((t: { id?: unknown }) => t?.id).join('\n') !== taskIds.join('\n')) {
    return "the crew's task list does not match its taskIds";
  }
  const chunks = context.outcomes;
  const chunkCount = Math.ceil(taskIds.length / CHUNK_SIZE);
  if (!Array.isArray(chunks) || chunks.length !== chunkCount || !chunks.every(Array.isArray)) {
    return "the crew's outcomes are not in chunks of its tasks";
  }
  const index = context.index;
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) > taskIds.length) {
    return `its position in the task list (${JSON.stringify(index)}) is not one`;
  }
  const flat = (chunks as unknown[][]).flat();
  const badOutcome = flat.findIndex((outcome, at) => outcome !== null && !isOutcome(outcome, taskIds[at]));
  if (badOutcome >= 0) return `the outcome of task '${taskIds[badOutcome]}' is not one`;
  const pending = (context as { pendingAsync?: unknown }).pendingAsync;
  if (!(isStringList(pending) && pending.every((id) => taskIds.includes(id)))) {
    return 'its list of async tasks at work is not one';
  }
  const refs = (context as { taskRefs?: unknown }).taskRefs;
  if (!(isRecord(refs) && Object.values(refs).every(isActorRef))) {
    return 'its references to its task actors are not actor references';
  }
  return snapshot.status === 'active' ? missingActor(snapshot, taskIds) : undefined;
}

/** A running crew holds an actor for every task without an outcome (in `batch:` actors when it is large). */
function missingActor(snapshot: CrewSnapshot, taskIds: string[]): string | undefined {
  if (!isRecord(snapshot.children)) return 'the crew snapshot has no children';
  const live = taskActorIds(snapshot.children);
  const source = snapshot.context as OutcomeSource;
  const missing = taskIds.find((id) => !outcomeOf(source, id) && !live.has(id));
  return missing === undefined ? undefined : `task '${missing}' has neither an outcome nor an actor`;
}

function taskActorIds(children: Record<string, unknown>): Set<string> {
  return new Set(Array.from(taskActorsOf(children), ([taskId]) => taskId));
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

const STATUSES = new Set(['active', 'done', 'error', 'stopped']);

/**
 * Every actor of a snapshot to restore, checked against the chart that will run it: each child is an
 * actor of logic the chart registers, with a snapshot of a known status; each running machine is in states
 * of its chart, with a context and the actors those states invoke (a task in `running` without its model
 * call would wait for ever). Throws `corrupt_checkpoint` naming the first damaged actor.
 */
export function checkSnapshotTree(checkpoint: Checkpoint, machine: AnyStateMachine): void {
  const problem = treeProblem(machine, checkpoint.snapshot, 'the crew', checkpoint.runId);
  if (problem) throw damaged(checkpoint, problem);
}

function treeProblem(
  machine: AnyStateMachine,
  snapshot: unknown,
  path: string,
  runId: string,
): string | undefined {
  if (!isRecord(snapshot) || !STATUSES.has(snapshot.status as string)) return `${path} has no actor snapshot`;
  if (snapshot.status !== 'active') return undefined;
  const { context, children, historyValue } = snapshot;
  // An actor of a run finds the run by the id in its context (a batch of tasks holds none).
  if (!isRecord(context)) return `${path} has no context`;
  if (('runId' in context || machine.id === 'task') && context.runId !== runId) {
    return `${path} has no context of this run`;
  }
  if (!contextFits(context, machine.id)) return `${path}'s usage or agent loop is not one`;
  if (!isRecord(children)) return `${path}'s children are not actors`;
  if (
    historyValue !== undefined &&
    !(isRecord(historyValue) && Object.values(historyValue).every(Array.isArray))
  ) {
    return `${path}'s history is not one`;
  }
  const active = resolved(machine, snapshot.value, context);
  if (!active) return `${path} is in ${JSON.stringify(snapshot.value)}, not a state of its chart`;
  // A task whose agent is at work keeps the agent's loop in its context (`context.loop`).
  const atWork = active._nodes.some(
    (node) => node.id === 'task.running.working' || node.id === 'task.guardrail-retry',
  );
  if (atWork && context.loop === undefined)
    return `${path} is in ${JSON.stringify(snapshot.value)} without its agent loop`;
  for (const node of active._nodes) {
    const missing = node.invoke.find((invoke) => !isRecord(children[invoke.id]));
    if (missing) return `${path} is in ${node.id} without the actor it invokes there (${missing.id})`;
  }
  for (const [id, child] of Object.entries(children)) {
    const problem = childProblem(machine, child, `${path} / ${id}`, runId);
    if (problem) return problem;
  }
  return undefined;
}

/** The machine's snapshot in `value`, if `value` is a state of it written as the machine writes it. */
function resolved(machine: AnyStateMachine, value: unknown, context: Record<string, unknown>) {
  let active: AnyMachineSnapshot;
  try {
    active = machine.resolveState({ value: value as StateValue, context });
  } catch {
    return undefined;
  }
  return JSON.stringify(active.value) === JSON.stringify(value) ? active : undefined;
}

function childProblem(
  parent: AnyStateMachine,
  child: unknown,
  path: string,
  runId: string,
): string | undefined {
  const logic = logicOf(parent, child);
  if (!logic || !isRecord(child)) return `${path} is not an actor of its chart`;
  if (isMachine(logic)) return treeProblem(logic, child.snapshot, path, runId);
  return isRecord(child.snapshot) && STATUSES.has(child.snapshot.status as string)
    ? undefined
    : `${path} has no actor snapshot`;
}

// What the runtime reads of a context or an outcome without checking: a damaged one would throw a
// TypeError inside an actor (the run fails with it) instead of being refused as damaged.
const usageShape = z.object({
  totalTokens: z.number(),
  promptTokens: z.number(),
  cachedPromptTokens: z.number(),
  completionTokens: z.number(),
  reasoningTokens: z.number(),
  successfulRequests: z.number(),
});
const outputShape = z.object({
  taskId: z.string(),
  name: z.string(),
  description: z.string(),
  expectedOutput: z.string(),
  raw: z.string(),
  agent: z.string(),
  outputFormat: z.enum(['raw', 'json']),
  messages: z.array(z.record(z.string(), z.unknown())),
  skipped: z.boolean(),
});
const outcomeShape = z.union([
  z.object({
    status: z.enum(['done', 'skipped']),
    taskId: z.string(),
    output: outputShape,
    usage: usageShape,
  }),
  z.object({
    status: z.literal('failed'),
    taskId: z.string(),
    error: z.object({ name: z.string(), message: z.string() }),
    usage: usageShape,
  }),
]);
const loopShape = z.object({
  usage: usageShape,
  agent: z.record(z.string(), z.unknown()),
  request: z.record(z.string(), z.unknown()),
});

function isOutcome(value: unknown, taskId: string | undefined): boolean {
  return outcomeShape.safeParse(value).success && (value as { taskId: string }).taskId === taskId;
}

function contextFits(context: Record<string, unknown>, machineId: string): boolean {
  // A task counts its usage from its first step; other actors' contexts may hold none.
  const needsUsage = machineId === 'task' || 'usage' in context;
  if (needsUsage && !usageShape.safeParse(context.usage).success) return false;
  return !('loop' in context) || context.loop === undefined || loopShape.safeParse(context.loop).success;
}

const isActorRef = (value: unknown): boolean =>
  isRecord(value) && value.xstate$$type === 1 && typeof value.id === 'string';
