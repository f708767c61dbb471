// @vitest-environment jsdom
// The diagrams of statecrew's own charts and of a real crew, checked with Mermaid's parser and the
// Studio JSON round trip (the other files check representative fixtures in depth).
import mermaid from 'mermaid';
import { createMachine, type AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  agentJobMachine,
  agentMachine,
  hierarchicalCrewMachine,
  managerMachine,
  sequentialCrewMachine,
  taskMachine,
} from '../../machines/index.js';
import { createConditionalCrew } from '../../examples/conditional.js';
import { toDot, toMermaid, toStudioJSON } from '../../src/visualize/index.js';

function edges(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: DirectedGraphNode) => {
    for (const edge of node.edges)
      out.push(`${edge.source.id} -> ${edge.target.id} : ${edge.transition.eventType}`);
    node.children.forEach(walk);
  };
  walk(toDirectedGraph(machine));
  return out.sort();
}

const charts: Record<string, AnyStateMachine> = {
  taskMachine,
  agentJobMachine,
  agentMachine,
  managerMachine,
  sequentialCrewMachine,
  hierarchicalCrewMachine,
};

describe("diagrams of statecrew's charts", () => {
  for (const [name, machine] of Object.entries(charts)) {
    it(`${name}: Mermaid parses, DOT names every state, Studio JSON round-trips`, async () => {
      await expect(mermaid.parse(toMermaid(machine))).resolves.toBeTruthy();
      const dot = toDot(machine);
      expect(dot.startsWith('digraph')).toBe(true);
      const studio = JSON.parse(JSON.stringify(toStudioJSON(machine))) as Parameters<typeof createMachine>[0];
      expect(edges(createMachine(studio))).toEqual(edges(machine));
    });
  }

  it('draws a crew as its chart, with the seven task states on the task chart', async () => {
    const crew = createConditionalCrew();
    const text = toMermaid(crew);
    await expect(mermaid.parse(text)).resolves.toBeTruthy();
    expect(text).toContain('evaluatingCondition');
    const task = toMermaid(taskMachine);
    for (const state of [
      'pending',
      'running',
      'guardrail-retry',
      'human-input',
      'done',
      'skipped',
      'failed',
    ]) {
      expect(task).toContain(`state "${state}`);
    }
  });
});
