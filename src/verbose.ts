import type { Agent } from './agent.js';
import type { CrewEvent } from './events.js';
import { interpolate, type Inputs } from './interpolation.js';

/** Who asked for progress: the crew (`verbose: true`, or the CLI's `--verbose`), or some of its agents. */
export interface VerboseScope {
  verbose: boolean;
  agents: readonly Agent[];
}

/** A model answer or a tool result is shown on one line, cut at this many characters. */
const MAX_TEXT = 200;

/**
 * Human-readable progress lines on stderr: every event when the crew is verbose; else, for each agent
 * with `verbose: true`, that agent's own steps (its tasks starting, model answers, tool calls and
 * results, delegations), as crewAI prints a verbose agent's steps. Undefined when nobody is verbose.
 */
export function consoleProgress(
  scope: VerboseScope,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ((event: CrewEvent) => void) | undefined {
  const ids = new Set(scope.agents.filter((a) => a.verbose).map((a) => a.id));
  // Built for every crew: nothing else is made when nobody is verbose.
  if (!scope.verbose && ids.size === 0) return undefined;
  // A delegation's reply is printed with it; the tool.result of the same call would repeat it. Replies
  // are kept by run and request id (`<loop's request>/<call id>`; a call id may hold '/' too) until then.
  const replied = new Set<string>();
  const repeats = (runId: string, callId: string) => {
    for (const key of replied) {
      if (key.startsWith(`${runId} `) && key.endsWith(`/${callId}`)) return replied.delete(key);
    }
    return false;
  };
  const who = agentNames(scope.agents);
  const print = (event: CrewEvent) => {
    if (event.type === 'delegation.replied') replied.add(`${event.runId} ${event.requestId}`);
    if (event.type === 'tool.result' && repeats(event.runId, event.call.id)) return;
    const line = describe(event, (agentId) => who.name(event.runId, agentId));
    if (line) write(line);
  };
  if (scope.verbose) return (event) => (who.track(event), print(event));
  return (event) => {
    who.track(event);
    if ('agentId' in event && ids.has(event.agentId)) print(event);
  };
}

/**
 * Agents are shown by role, as crewAI prints them (events carry ids). A role with `{placeholders}` is
 * filled with its run's inputs: once, at `crew.started`, kept until the run ends.
 */
function agentNames(agents: readonly Agent[]) {
  const roles = new Map(agents.map((agent) => [agent.id, agent.role]));
  const runRoles = new Map<string, Map<string, string>>();
  const filled = (inputs: Inputs) =>
    new Map(
      [...roles].map(([agentId, role]) => {
        try {
          return [agentId, interpolate(role, inputs, { field: 'role', owner: agentId })];
        } catch {
          return [agentId, role];
        }
      }),
    );
  return {
    track(event: CrewEvent): void {
      if (event.type === 'crew.started') {
        const inputs = event.inputs as Inputs;
        if (Object.keys(inputs).length > 0) runRoles.set(event.runId, filled(inputs));
      } else if (event.type === 'crew.completed' || event.type === 'crew.failed')
        runRoles.delete(event.runId);
    },
    name(runId: string, agentId: string): string {
      return runRoles.get(runId)?.get(agentId) ?? roles.get(agentId) ?? agentId;
    },
  };
}

function describe(event: CrewEvent, who: (agentId: string) => string): string | undefined {
  switch (event.type) {
    case 'crew.started':
      return `▶ crew '${event.crewName}' (${event.process}) ${event.resumed ? 'resumed' : 'started'}, run ${event.runId}`;
    case 'task.started':
      return `  ▶ task '${event.name}' started (${who(event.agentId)})`;
    case 'llm.response':
      return event.content?.trim()
        ? `    💬 ${who(event.agentId)}: ${oneLine(event.content, MAX_TEXT)}`
        : undefined;
    case 'llm.failed':
      return `    ✗ ${who(event.agentId)}: model call failed: ${oneLine(event.error.message, MAX_TEXT)}`;
    case 'tool.called':
      return `    ⚙ ${event.call.name}(${event.call.arguments})`;
    case 'tool.result': {
      const cached = event.cached ? ' (cached)' : '';
      const verb = event.isError ? '✗ failed' : '↳';
      return `    ${verb} ${event.call.name}${cached}: ${oneLine(event.result, MAX_TEXT)}`;
    }
    case 'delegation.sent':
      return `    → ${event.kind} to ${who(event.to)}: ${event.request}`;
    case 'delegation.replied':
      return `    ← ${event.fromRole} answered: ${oneLine(event.reply, MAX_TEXT)}`;
    case 'guardrail.failed':
      return event.exhausted
        ? `    ✗ guardrail failed, no retries left (${event.maxRetries}): ${event.error}`
        : `    ✗ guardrail failed (retry ${event.retry}/${event.maxRetries}): ${event.error}`;
    case 'human.input.requested':
      return `    ? waiting for human feedback on task ${event.taskId}`;
    case 'task.completed':
      return `  ✓ task '${event.output.name}' done`;
    case 'task.skipped':
      return `  ↷ task '${event.output.name}' skipped`;
    case 'task.failed':
      return `  ✗ task ${event.taskId} failed: ${event.error.message}`;
    case 'crew.completed':
      return `■ crew done: ${counted(event.output.tokenUsage.totalTokens, 'token')} in ${counted(event.output.tokenUsage.successfulRequests, 'request')}`;
    case 'crew.failed':
      return `■ crew failed: ${event.error.message}`;
    default:
      return undefined;
  }
}

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `text` on one line (runs of whitespace made one space), cut to at most `max` characters with an ellipsis. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
