import { enqueueActions, setup, type AnyEventObject } from 'xstate';
import { emptyUsage } from '../src/usage.js';
import { agentJobMachine, type JobEvent, type JobOutcome } from './agent-job.machine.js';
import { errorData, type AgentReply, type AgentSpec, type WorkKind, type WorkRequest } from './types.js';

export interface AgentInput {
  runId: string;
  spec: AgentSpec;
  /** This actor's systemId: `agent:<id>`, or `manager`. */
  systemId: string;
}

/** Who waits for a request's answer: enough to reply even when its job crashes. */
export interface PendingRequest {
  replyTo: string;
  kind: WorkKind;
  askingTask?: string;
}

export interface AgentContext extends AgentInput {
  /** Coworkers' requests being worked on now; each runs in a job child named by its request id. */
  active: number;
  /** The requester of every request being worked on, by request id. */
  requests: Record<string, PendingRequest>;
}

/** A coworker's request, as the manager or a delegating agent sends it. */
export interface DelegationEvent {
  type: 'delegate_work' | 'ask_question';
  requestId: string;
  replyTo: string;
  askingTask: string;
  request: string;
  context: string;
  chain: string[];
}

/** A coworker's answer as agent actors pass it on: `agentId` is the id of the agent that answered. */
export type CoworkerReply = AgentReply & { agentId: string };

export type AgentEvent =
  | DelegationEvent
  | { type: 'agent.send'; to: string; event: DelegationEvent }
  | CoworkerReply
  | { type: `xstate.done.actor.${string}`; output: JobOutcome; actorId: string }
  | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

function delegationRequest(event: DelegationEvent): WorkRequest {
  return {
    requestId: event.requestId,
    kind: event.type,
    replyTo: event.replyTo,
    askingTask: event.askingTask,
    context: event.context,
    request: event.request,
    conversation: [],
    structured: false,
    chain: event.chain,
  };
}

function pending(request: WorkRequest): PendingRequest {
  return {
    replyTo: request.replyTo,
    kind: request.kind,
    ...(request.askingTask === undefined ? {} : { askingTask: request.askingTask }),
  };
}

function withoutRequest(context: AgentContext, requestId: string): Partial<AgentContext> {
  const { [requestId]: _done, ...requests } = context.requests;
  return { requests, active: context.active - 1 };
}

/** What a job's end event says: its output, or — for a job that crashed — a failure of its request. */
function jobOutcome(context: AgentContext, event: AgentEvent): JobOutcome | undefined {
  if (event.type.startsWith('xstate.done.actor.')) return (event as { output: JobOutcome }).output;
  const { actorId, error } = event as { actorId: string; error?: unknown };
  const request = context.requests[actorId];
  if (!request) return undefined;
  return {
    ok: false,
    replyTo: request.replyTo,
    requestId: actorId,
    kind: request.kind,
    ...(request.askingTask === undefined ? {} : { askingTask: request.askingTask }),
    error: errorData(error),
    usage: emptyUsage(),
  };
}

function replyOf(outcome: JobOutcome, agentId: string): CoworkerReply {
  if (outcome.ok) return { type: 'agent.result', ...outcome.result, agentId };
  const { requestId, kind, askingTask, error, usage } = outcome;
  return { type: 'agent.failed', requestId, kind, askingTask, error, usage, agentId };
}

/** The id of the agent behind a worker's systemId (`agent:<id>`); any other systemId as it is. */
export function agentIdOf(systemId: string): string {
  return systemId.startsWith('agent:') ? systemId.slice('agent:'.length) : systemId;
}

/**
 * Builds the chart shared by worker agents and the manager: the address coworkers work through. A task
 * runs its agent's loop in its own states; the loop's delegations leave through the agent's
 * actor (`agent.send`) as `delegate_work` / `ask_question` events to the coworker's actor, which runs
 * each request in its own job child (so one agent serves concurrent requests) and answers by event;
 * the answer comes back through the asking agent's actor to the task whose loop asked.
 */
function createAgentChart(id: 'agent' | 'manager') {
  return setup({
    types: {} as { context: AgentContext; events: AgentEvent; input: AgentInput },
    actors: { agentJob: agentJobMachine },
    guards: {
      // A request names itself; a bare `{ type }` event (xstate/graph walking the chart) starts no job.
      isRequest: ({ event }) => typeof (event as Partial<DelegationEvent>).requestId === 'string',
    },
    actions: {
      // One of this agent's delegations, on to its coworker's actor (or failed, when there is none).
      passOn: enqueueActions(({ event, enqueue, system }) => {
        const { to, event: request } = event as Partial<{ to: string; event: DelegationEvent }>;
        // A bare `{ type }` event (xstate/graph walking the chart) carries nothing to pass on.
        if (!request || to === undefined) return;
        const target = system.get(to);
        if (target) enqueue.sendTo(target, request);
        else enqueue.raise({ ...failedDelegation(request, to, `No coworker actor '${to}'`) });
      }),
      startJob: enqueueActions(({ context, event, enqueue }) => {
        const request = delegationRequest(event as DelegationEvent);
        enqueue.spawnChild('agentJob', {
          id: request.requestId,
          input: { runId: context.runId, agent: context.spec, owner: context.systemId, request },
        });
        enqueue.assign({
          active: context.active + 1,
          requests: { ...context.requests, [request.requestId]: pending(request) },
        });
      }),
      // A job ended: its requester gets the answer (or the failure), and the job is stopped and forgotten.
      answerAndRelease: enqueueActions(({ context, event, enqueue, system }) => {
        const { actorId } = event as { actorId: string };
        const outcome = jobOutcome(context, event);
        if (!outcome) return;
        const requester = system.get(outcome.replyTo);
        if (requester) enqueue.sendTo(requester, replyOf(outcome, context.spec.id));
        enqueue.stopChild(actorId);
        enqueue.assign(withoutRequest(context, actorId));
      }),
      // A coworker's answer to one of this agent's delegations: on to the task whose loop asked.
      forwardReply: enqueueActions(({ event, enqueue, system }) => {
        const reply = event as CoworkerReply;
        const asker = reply.askingTask ? system.get(reply.askingTask) : undefined;
        if (!asker) return;
        const answer =
          reply.type === 'agent.result'
            ? reply.answer
            : `Error executing the request: ${reply.error.message}`;
        const passed: JobEvent = {
          type: 'delegation.reply',
          requestId: reply.requestId,
          // The coworker's id, whether it answered or failed.
          from: reply.agentId,
          answer,
          usage: reply.usage,
          ...(reply.type === 'agent.failed' ? { failed: true } : {}),
        };
        enqueue.sendTo(asker, passed as AnyEventObject as never);
      }),
    },
  }).createMachine({
    id,
    context: ({ input }) => ({
      runId: input.runId,
      spec: input.spec,
      systemId: input.systemId,
      active: 0,
      requests: {},
    }),
    initial: 'ready',
    states: {
      ready: {
        on: {
          delegate_work: { guard: 'isRequest', actions: 'startJob' },
          ask_question: { guard: 'isRequest', actions: 'startJob' },
          'agent.send': { actions: 'passOn' },
          'agent.result': { actions: 'forwardReply' },
          'agent.failed': { actions: 'forwardReply' },
          'xstate.done.actor.*': { actions: 'answerAndRelease' },
          // A job that crashed (a throwing action) still answers, so its requester fails instead of waiting.
          'xstate.error.actor.*': { actions: 'answerAndRelease' },
        },
      },
    },
  });
}

/** The answer to a delegation whose coworker actor (`to`, a systemId) cannot be reached. */
function failedDelegation(event: DelegationEvent, to: string, message: string): CoworkerReply {
  return {
    type: 'agent.failed',
    agentId: agentIdOf(to),
    requestId: event.requestId,
    kind: event.type,
    askingTask: event.askingTask,
    error: { name: 'Error', message },
    usage: emptyUsage(),
  };
}

/** A worker agent: systemId `agent:<id>`. */
export const agentMachine = createAgentChart('agent');

/** The hierarchical crew's manager: systemId `manager`; its tasks' loops delegate to workers through it. */
export const managerMachine = createAgentChart('manager');
