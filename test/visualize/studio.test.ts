import { describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import * as statecrew from '../../src/index.js';
import { toMermaid, toStudioJSON } from '../../src/visualize/index.js';
import { crewMachine, fixtures, taskMachine, timerMachine } from './fixtures.js';

/** Every edge as `source -> target : eventType`, plus `always` transitions (not in the graph). */
function edgeSet(machine: AnyStateMachine): string[] {
  const collect = (g: DirectedGraphNode): string[] => [
    ...g.edges.map((e) => `${e.source.id} -> ${e.target.id} : ${e.transition.eventType}`),
    ...(g.stateNode.always ?? []).flatMap((t) =>
      (t.target ?? [g.stateNode]).map((target) => `${g.stateNode.id} -> ${target.id} : always`),
    ),
    ...g.children.flatMap(collect),
  ];
  return collect(toDirectedGraph(machine)).sort();
}

function findFunctions(value: unknown, path = '$'): string[] {
  if (typeof value === 'function') return [path];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => findFunctions(v, `${path}.${k}`));
}

const roundTrip = (m: AnyStateMachine): AnyStateMachine =>
  createMachine(JSON.parse(JSON.stringify(toStudioJSON(m))));

describe('toStudioJSON', () => {
  for (const [name, machine] of Object.entries(fixtures)) {
    describe(name, () => {
      const json = toStudioJSON(machine);

      it('is JSON-safe: no functions, survives stringify unchanged', () => {
        expect(findFunctions(json)).toEqual([]);
        expect(JSON.parse(JSON.stringify(json))).toEqual(json);
      });

      it('round-trips through createMachine with identical edges', () => {
        const again = roundTrip(machine);
        expect(edgeSet(again)).toEqual(edgeSet(machine));
        expect(edgeSet(again).length).toBeGreaterThan(0);
      });

      it('round-trips to the same diagram (guards, invokes and labels included)', () => {
        expect(toMermaid(roundTrip(machine))).toBe(toMermaid(machine));
      });
    });
  }

  it('replaces functions by names and drops data mappers', () => {
    const json = toStudioJSON(taskMachine) as {
      context: unknown;
      states: Record<string, Record<string, unknown>>;
    };
    expect(json.context).toEqual({}); // the context factory
    const running = json.states.running as { invoke: Record<string, unknown>; on: Record<string, unknown> };
    expect(running.invoke).toMatchObject({ id: 'agentCall', src: 'runAgent' });
    expect(running.invoke).not.toHaveProperty('input');
    expect(running.on['task.progress']).toEqual({ actions: 'assign' }); // inline assign(...)
    expect(json.states['guardrail-retry']).toMatchObject({
      entry: 'assign',
      after: { retryDelay: 'running' },
    });
    expect(json.states.done).toEqual({ type: 'final' }); // output mapper dropped
    expect(json.states['human-input']).toMatchObject({
      on: { 'task.human_feedback': [{ guard: 'approved' }, { guard: '!approved' }] },
    });
  });

  it('keeps wildcard transitions and names combined guards', () => {
    const json = JSON.stringify(toStudioJSON(crewMachine));
    expect(json).toContain('"xstate.done.actor.*"');
    expect(json).toContain('"xstate.error.actor.*"');
    expect(json).toContain('"guard":"(isCurrentTask && allTasksDone && !hasErrors)"');
  });

  it('names inline actor logic after its invoke id', () => {
    const json = toStudioJSON(timerMachine) as { states: { waiting: { invoke: unknown } } };
    expect(json.states.waiting.invoke).toEqual({ id: 'ping', src: 'ping' });
  });

  it("names every action of statecrew's own charts (none shows as a bare assign or enqueueActions)", () => {
    const charts = [
      statecrew.taskMachine,
      statecrew.sequentialCrewMachine,
      statecrew.hierarchicalCrewMachine,
    ];
    for (const chart of [...charts, statecrew.agentMachine, statecrew.managerMachine]) {
      const json = JSON.stringify(toStudioJSON(chart));
      expect(json, chart.id).not.toMatch(/"(assign|enqueueActions|raise|sendTo|inline)"/);
    }
  });

  it('accepts { machine } objects', () => {
    expect(toStudioJSON({ machine: crewMachine })).toEqual(toStudioJSON(crewMachine));
  });
});
