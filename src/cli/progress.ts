import type { InspectionEvent } from 'xstate';
import { outcomeCount, type OutcomeChunks } from '../../machines/crew-outcomes.js';
import type { Crew } from '../crew.js';
import { oneLine } from '../verbose.js';

export interface TaskProgress {
  /** An XState inspection observer for the run. */
  inspect(event: InspectionEvent): void;
  /** The run's id, once its crew actor has started (replay makes a new one the CLI cannot choose). */
  runId(): string | undefined;
}

interface SnapshotContext {
  runId?: unknown;
  outcomes?: OutcomeChunks;
  spec?: { name?: string; description?: string };
}

const MARKS: Record<string, string> = { done: '✓', skipped: '↷', failed: '✗' };
const MAX_LABEL = 72;

/**
 * One line per finished task, read from the task actors' snapshots. Inspection, unlike the crew's
 * event stream, works the same for kickoff, resume and replay and sees the actors' own states
 * (SPEC §8: `task:<id>` ends in `done`, `skipped` or `failed`).
 */
export function taskProgress(crew: Crew, write: ((line: string) => void) | undefined): TaskProgress {
  const labels = new Map(crew.tasks.map((task) => [`task:${task.id}`, oneLine(task.label, MAX_LABEL)]));
  const states = new Map<string, string>();
  let finished = 0;
  let runId: string | undefined;

  return {
    runId: () => runId,
    inspect(event) {
      if (event.type !== '@xstate.snapshot') return;
      const context = (event.snapshot as { context?: SnapshotContext }).context;
      if (event.actorRef.sessionId === event.rootId) {
        if (runId !== undefined || typeof context?.runId !== 'string') return;
        runId = context.runId;
        // Resume and replay start with some outcomes already there: count them, so [n/total] is right.
        finished = context.outcomes ? outcomeCount({ outcomes: context.outcomes }) : 0;
        return;
      }
      const id = (event.actorRef as { id?: unknown }).id;
      if (typeof id !== 'string' || !labels.has(id)) return;
      const state = topState((event.snapshot as { value?: unknown }).value);
      if (state === undefined || states.get(id) === state) return;
      states.set(id, state);
      const mark = MARKS[state];
      if (!mark) return;
      finished++;
      const note = state === 'done' ? '' : ` (${state})`;
      // The spec in the task's context is interpolated ("Research AI"), the Task's text is not ("Research {topic}").
      const label = context?.spec?.name || context?.spec?.description;
      write?.(
        `  ${mark} [${finished}/${labels.size}] ${label ? oneLine(label, MAX_LABEL) : labels.get(id)}${note}`,
      );
    },
  };
}

function topState(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return Object.keys(value)[0];
  return undefined;
}
