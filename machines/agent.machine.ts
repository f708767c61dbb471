import { enqueueActions, setup, type AnyEventObject } from 'xstate';
import { emptyUsage } from '../src/usage.js';
import { agentJobMachine, type JobOutcome } from './agent-job.machine.js';
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
  replyJob?: string;
}

export interface AgentContext extends AgentInput {
  /** Requests being worked on now; each runs in a job child named by its request id. */
  active: number;
  /** The requester of every request being worked on, by request id. */
  requests: Record<string, PendingRequest>;
}

/** A coworker's request, as the manager or a delegating agent sends it. */
export interface DelegationEvent {
  type: 'delegate_work' | 'ask_question';
  requestId: string;
  replyTo: string;
  replyJob: string;
  request: string;
  context: string;
  chain: string[];
}

export type AgentEvent =
  | { type: 'agent.execute'; request: WorkRequest }
  | DelegationEvent
  | { type: 'agent.send'; to: string; event: DelegationEvent }
  | AgentReply
  | { type: `xstate.done.actor.${string}`; output: JobOutcome; actorId: string }
  | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

function delegationRequest(event: DelegationEvent): WorkRequest {
  return {
    requestId: event.requestId,
    kind: event.type,
    replyTo: event.replyTo,
    replyJob: event.replyJob,
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
    ...(request.replyJob === undefined ? {} : { replyJob: request.replyJob }),
  };
}

function withoutRequest(context: AgentContext, requestId: string): Partial<AgentContext> {
  const { [requestId]: _done, ...requests } = context.requests;
  return { requests, active: context.active - 1 };
}

function replyOf(outcome: JobOutcome): AgentReply {
  if (outcome.ok) return { type: 'agent.result', ...outcome.result };
  const { requestId, kind, replyJob, error, usage } = outcome;
  return { type: 'agent.failed', requestId, kind, replyJob, error, usage };
}

/**
 * Builds the chart shared by worker agents and the manager: an actor that takes work by events
 * (`agent.execute` from tasks, `delegate_work` / `ask_question` from coworkers), runs each request in
 * its own job child (so one agent serves concurrent tasks), and answers the requester by event.
 */
function createAgentChart(id: 'agent' | 'manager') {
  return setup({
    types: {} as { context: AgentContext; events: AgentEvent; input: AgentInput },
    actors: { agentJob: agentJobMachine },
    actions: {
      // One job per request, whether a task asks (`agent.execute`) or a coworker delegates.
      startJob: enqueueActions(({ context, event, enqueue }) => {
        const request =
          event.type === 'agent.execute' ? event.request : delegationRequest(event as DelegationEvent);
        enqueue.spawnChild('agentJob', {
          id: request.requestId,
          input: { runId: context.runId, agent: context.spec, owner: context.systemId, request },
        });
        enqueue.assign({
          active: context.active + 1,
          requests: { ...context.requests, [request.requestId]: pending(request) },
        });
      }),
      // A coworker's answer comes to this actor; the job that asked is the child named `replyJob`.
      forwardReply: enqueueActions(({ event, enqueue, self }) => {
        const reply = event as AgentReply;
        if (!reply.replyJob || !self.getSnapshot().children[reply.replyJob]) return;
        const answer =
          reply.type === 'agent.result'
            ? reply.answer
            : `Error executing the request: ${reply.error.message}`;
        enqueue.sendTo(reply.replyJob, {
          type: 'delegation.reply',
          requestId: reply.requestId,
          from: reply.type === 'agent.result' ? reply.agentRole : '',
          answer,
          usage: reply.usage,
          failed: reply.type === 'agent.failed',
        } satisfies AnyEventObject);
      }),
    },
  }).createMachine({
    id,
    context: ({ input }) => ({ ...input, active: 0, requests: {} }),
    initial: 'ready',
    states: {
      ready: {
        on: {
          'agent.execute': { actions: 'startJob' },
          delegate_work: { actions: 'startJob' },
          ask_question: { actions: 'startJob' },
          'agent.send': {
            actions: enqueueActions(({ event, enqueue, system }) => {
              const target = system.get(event.to);
              if (target) enqueue.sendTo(target, event.event);
              else enqueue.raise({ ...failedDelegation(event.event, `No coworker actor '${event.to}'`) });
            }),
          },
          'agent.result': { actions: 'forwardReply' },
          'agent.failed': { actions: 'forwardReply' },
          'xstate.done.actor.*': {
            actions: enqueueActions(({ context, event, enqueue, system }) => {
              const outcome = (event as { output: JobOutcome }).output;
              const requester = system.get(outcome.replyTo);
              if (requester) enqueue.sendTo(requester, replyOf(outcome));
              enqueue.stopChild(event.actorId);
              enqueue.assign(withoutRequest(context, event.actorId));
            }),
          },
          // A job that crashed (a throwing action) still answers, so its requester fails instead of waiting.
          'xstate.error.actor.*': {
            actions: enqueueActions(({ context, event, enqueue, system }) => {
              const request = context.requests[event.actorId];
              if (!request) return;
              const requester = system.get(request.replyTo);
              if (requester) {
                const reply: AgentReply = {
                  type: 'agent.failed',
                  requestId: event.actorId,
                  kind: request.kind,
                  ...(request.replyJob === undefined ? {} : { replyJob: request.replyJob }),
                  error: errorData((event as { error?: unknown }).error),
                  usage: emptyUsage(),
                };
                enqueue.sendTo(requester, reply);
              }
              enqueue.stopChild(event.actorId);
              enqueue.assign(withoutRequest(context, event.actorId));
            }),
          },
        },
      },
    },
  });
}

function failedDelegation(event: DelegationEvent, message: string): AgentReply {
  return {
    type: 'agent.failed',
    requestId: event.requestId,
    kind: event.type,
    replyJob: event.replyJob,
    error: { name: 'Error', message },
    usage: emptyUsage(),
  };
}

/** A worker agent: systemId `agent:<id>`. */
export const agentMachine = createAgentChart('agent');

/** The hierarchical crew's manager: systemId `manager`; its jobs delegate to workers by event. */
export const managerMachine = createAgentChart('manager');
