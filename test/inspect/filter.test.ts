import { createInspector } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { filterInspection } from '../../src/index.js';
import { withReportedErrors } from '../helpers/crew-fixtures.js';
import { manyTaskCrew, twoAgentCrew } from './fixtures/crews.js';

const root = { sessionId: 'x:0', id: 'x:0' };
const child = { sessionId: 'x:1', id: 'task:a' };
const snapshotOf = (actorRef: object, status = 'active', value = 'running') =>
  ({
    type: '@xstate.snapshot',
    rootId: 'x:0',
    actorRef,
    event: { type: 'e' },
    snapshot: { status, value },
  }) as unknown as InspectionEvent;
const other = (type: string, actorRef: object = child) =>
  ({ type, rootId: 'x:0', actorRef }) as unknown as InspectionEvent;

afterEach(() => vi.useRealTimers());

describe('filterInspection', () => {
  it("passes every actor, event, child snapshot, microstep and action, and the root's first snapshot", () => {
    const seen: InspectionEvent[] = [];
    const inspect = filterInspection((e) => seen.push(e));
    const events = [
      other('@xstate.actor', root),
      other('@xstate.actor'),
      snapshotOf(root),
      other('@xstate.event'),
      other('@xstate.microstep'),
      other('@xstate.action'),
      snapshotOf(child),
      snapshotOf(child),
    ];
    events.forEach(inspect);
    expect(seen).toEqual(events);
  });

  it("throttles the root's snapshots: the first, then the latest at most once per interval, and the settled one at once", () => {
    vi.useFakeTimers();
    const seen: unknown[] = [];
    const inspect = filterInspection((e) => seen.push(e.type === '@xstate.snapshot' && e.snapshot.status));
    inspect(snapshotOf(root));
    inspect(snapshotOf(root));
    inspect(snapshotOf(root));
    expect(seen).toEqual(['active']);
    vi.advanceTimersByTime(500);
    expect(seen).toEqual(['active', 'active']);
    inspect(snapshotOf(root));
    inspect(snapshotOf(root, 'done'));
    vi.advanceTimersByTime(1_000);
    expect(seen).toEqual(['active', 'active', 'done']);
  });

  it('passes everything with rootSnapshotInterval 0, and drops microsteps and actions when asked', () => {
    const all: string[] = [];
    const some: string[] = [];
    const everything = filterInspection((e) => all.push(e.type), { rootSnapshotInterval: 0 });
    const fewer = filterInspection((e) => some.push(e.type), { microsteps: false, actions: false });
    for (const event of [
      snapshotOf(root),
      snapshotOf(root),
      other('@xstate.microstep'),
      other('@xstate.action'),
    ]) {
      everything(event);
      fewer(event);
    }
    expect(all).toEqual(['@xstate.snapshot', '@xstate.snapshot', '@xstate.microstep', '@xstate.action']);
    expect(some).toEqual(['@xstate.snapshot']);
  });

  it('is not applied twice: kickoff keeps a filter the user chose', async () => {
    const seen: string[] = [];
    const mine = filterInspection((e) => seen.push(`${e.type} ${e.actorRef.sessionId === e.rootId}`), {
      rootSnapshotInterval: 0,
    });
    expect(filterInspection(mine)).toBe(mine);
    await twoAgentCrew().crew.kickoff({}, { inspect: mine });
    expect(seen.filter((s) => s === '@xstate.snapshot true').length).toBeGreaterThan(2);
  });

  it('keeps every actor of a 100-task crew visible to @statelyai/inspect while sending the crew snapshot twice', async () => {
    const messages: Array<{ type: string; name?: string; sessionId: string }> = [];
    const inspector = createInspector({ send: (m) => void messages.push(m as (typeof messages)[number]) });
    const crew = manyTaskCrew(100);

    await crew.kickoff(
      {},
      { inspect: filterInspection(inspector.inspect, { rootSnapshotInterval: Infinity }) },
    );
    await new Promise((resolve) => setTimeout(resolve, 0)); // the inspector converts in setTimeout(0)

    const names = messages.filter((m) => m.type === '@xstate.actor').map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['crew.sequential', 'agent:worker', 'task:t0', 'task:t99']));
    const rootId = messages.find((m) => m.name === 'crew.sequential')!.sessionId;
    const rootSnapshots = messages.filter((m) => m.type === '@xstate.snapshot' && m.sessionId === rootId);
    expect(rootSnapshots).toHaveLength(2);
    const taskSnapshots = messages.filter((m) => m.type === '@xstate.snapshot' && m.sessionId !== rootId);
    expect(taskSnapshots.length).toBeGreaterThan(100);
  });
});

describe('an inspector that throws', () => {
  it('does not stop the run (nor hold its id); its error is reported outside the run', async () => {
    const thrown = await withReportedErrors(async (reported) => {
      const inspect = (event: InspectionEvent) => {
        if (event.type === '@xstate.actor') throw new Error('inspector bug');
      };
      const first = await twoAgentCrew().crew.kickoff({}, { runId: 'inspected', inspect });
      expect(first.runId).toBe('inspected');
      await vi.waitFor(() => expect(reported.length).toBeGreaterThan(0));
      // Its id was released with the run: the same id runs again.
      await expect(twoAgentCrew().crew.kickoff({}, { runId: 'inspected' })).resolves.toBeTruthy();
    });
    expect(thrown.every((e) => (e as Error).message === 'inspector bug')).toBe(true);
  });
});
