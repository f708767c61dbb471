import { describe, expect, it } from 'vitest';
import { allNodes, edgesOf } from '../../src/visualize/target.js';
import { toDot } from '../../src/visualize/index.js';
import { fixtures, monitorMachine, taskMachine } from './fixtures.js';

// No Graphviz here: a small scanner checks what breaks `dot` most often — unbalanced braces,
// unterminated strings, and edges to names that were never declared (dot would invent nodes
// outside every cluster).

const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

function braceDepthOk(text: string): boolean {
  let depth = 0;
  const unquoted = text.replace(QUOTED, '""');
  if (unquoted.split('"').length % 2 !== 1) return false; // an unterminated string
  for (const ch of unquoted) {
    depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}

function statements(text: string): { nodes: Set<string>; edges: [string, string][] } {
  const nodes = new Set<string>();
  const edges: [string, string][] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const edge = /^"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"/.exec(line);
    const node = /^"((?:[^"\\]|\\.)*)" \[/.exec(line);
    if (edge) edges.push([edge[1], edge[2]]);
    else if (node) nodes.add(node[1]);
  }
  return { nodes, edges };
}

describe('toDot', () => {
  for (const [name, machine] of Object.entries(fixtures)) {
    it(`${name}: balanced braces, declared endpoints, one edge per transition`, () => {
      const text = toDot(machine);
      expect(text).toMatch(/^digraph "[^"]*" \{\n/);
      expect(braceDepthOk(text)).toBe(true);
      const { nodes, edges } = statements(text);
      for (const [from, to] of edges) {
        expect(nodes.has(from), from).toBe(true);
        expect(nodes.has(to), to).toBe(true);
      }
      const labelled = text.split('\n').filter((l) => l.includes(' -> ') && l.includes('label='));
      expect(labelled).toHaveLength(allNodes(machine.root).flatMap(edgesOf).length);
    });
  }

  it('uses clusters for compound states and clips edges at their border', () => {
    const text = toDot(taskMachine);
    expect(text).toContain('subgraph "cluster_task.running" {');
    expect(text).toContain('label="running (invoke runAgent)";');
    expect(text).toContain(
      '"task.pending" -> "task.running" [label="task.start", lhead="cluster_task.running"];',
    );
    expect(text).toContain(
      '"task.running" -> "task.check-human" [label="done agentCall [guardrailPassed]", ltail="cluster_task.running"];',
    );
    expect(text).toContain('"task.guardrail-retry" [label="guardrail-retry"];');
    expect(text).toContain('"task.done" [label="done", peripheries=2];');
  });

  it('frames a parallel root and its regions', () => {
    const text = toDot(monitorMachine);
    expect(text).toContain('subgraph "cluster_monitor" {');
    expect(text).toContain('label="monitor (parallel)";');
    expect(text).toContain('subgraph "cluster_monitor.llm-usage" {');
    expect(text).toContain('style="rounded,dashed";');
  });

  it('escapes quotes in labels', () => {
    expect(toDot(fixtures.awkward)).toContain('[label="say \\"hi\\"; #1"]');
  });

  it('accepts { machine } objects', () => {
    expect(toDot({ machine: taskMachine })).toBe(toDot(taskMachine));
  });
});
