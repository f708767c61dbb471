/** The parts of a persisted actor snapshot the restore walks read (machine snapshots and invoked promises). */
export interface PersistedActor {
  status?: string;
  context?: Record<string, unknown>;
  input?: Record<string, unknown>;
  children?: Record<string, { snapshot?: PersistedActor }>;
}

/** What holds an agent loop's deadline: a task's `context.loop`, or a coworker job's whole context. */
interface LoopLike {
  deadline?: number | null;
  agent?: { maxExecutionTime?: number };
}

/**
 * Gives every agent loop that was at work in a checkpoint's snapshot a fresh `maxExecutionTime` from
 * `now`, in place (on a copy the caller owns). Deadlines are absolute (so a loop keeps its own across a
 * restore), but a restored loop runs its step again — the model call or tools the crash cut short — and
 * the time the process was down is not the agent's: without this, a run down for longer than
 * `maxExecutionTime` could never be resumed. The invoked actors of the loop (model call, tools, deadline
 * timer) get the new deadline in their input.
 */
export function refreshDeadlines(actor: PersistedActor, now: number): void {
  if (actor.status === 'active') {
    const loop = loopOf(actor);
    const budget = loop?.agent?.maxExecutionTime;
    if (loop && typeof loop.deadline === 'number' && budget) {
      const previous = loop.deadline;
      loop.deadline = now + budget;
      for (const { snapshot } of Object.values(actor.children ?? {})) {
        if (snapshot?.input?.deadline === previous) snapshot.input.deadline = loop.deadline;
      }
    }
  }
  for (const { snapshot } of Object.values(actor.children ?? {}))
    if (snapshot) refreshDeadlines(snapshot, now);
}

function loopOf(actor: PersistedActor): LoopLike | undefined {
  const context = actor.context;
  if (!context) return undefined;
  if (isLoop(context.loop)) return context.loop;
  // A coworker's job keeps its loop as its whole context.
  return 'request' in context && isLoop(context) ? context : undefined;
}

function isLoop(value: unknown): value is LoopLike {
  return typeof value === 'object' && value !== null && 'deadline' in value && 'agent' in value;
}
