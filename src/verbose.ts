import type { CrewEvent } from './events.js';

/** Human-readable progress lines on stderr, for `verbose: true` and the CLI. */
export function consoleProgress(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
  return (event: CrewEvent) => {
    const line = describe(event);
    if (line) write(line);
  };
}

function describe(event: CrewEvent): string | undefined {
  switch (event.type) {
    case 'crew.started':
      return `▶ crew '${event.crewName}' (${event.process}) started, run ${event.runId}`;
    case 'task.started':
      return `  ▶ task '${event.name}' started (${event.agentId})`;
    case 'tool.called':
      return `    ⚙ ${event.call.name}(${event.call.arguments})`;
    case 'delegation.sent':
      return `    → ${event.kind} to ${event.to}: ${event.request}`;
    case 'delegation.replied':
      return `    ← ${event.from} answered`;
    case 'guardrail.failed':
      return `    ✗ guardrail failed (retry ${event.retry}/${event.maxRetries}): ${event.error}`;
    case 'human.input.requested':
      return `    ? waiting for human feedback on task ${event.taskId}`;
    case 'task.completed':
      return `  ✓ task '${event.output.name}' done`;
    case 'task.skipped':
      return `  ↷ task '${event.output.name}' skipped`;
    case 'task.failed':
      return `  ✗ task ${event.taskId} failed: ${event.error.message}`;
    case 'crew.completed':
      return `■ crew done: ${event.output.tokenUsage.totalTokens} tokens in ${event.output.tokenUsage.successfulRequests} requests`;
    case 'crew.failed':
      return `■ crew failed: ${event.error.message}`;
    default:
      return undefined;
  }
}
