import type { AnyStateNode } from 'xstate';
import {
  allNodes,
  childNodes,
  edgesOf,
  initialChild,
  machineOf,
  stateLabel,
  type DiagramEdge,
  type DiagramTarget,
} from './target.js';

/*
 * Layout choices, and why:
 * - Compound and parallel states are `cluster_<id>` subgraphs (Graphviz only boxes subgraphs
 *   whose name starts with "cluster"); parallel regions are dashed clusters inside them.
 * - Graphviz edges need node endpoints, so every state with children gets an anchor node whose
 *   name is the state's id. In a compound state the anchor is the filled initial dot (with an
 *   arrow to the initial child); in a parallel state it is invisible. Edges to or from the
 *   state itself use `lhead`/`ltail` (with `compound=true`) so they are clipped at the box.
 * - Node names are the XState ids, quoted, so `guardrail-retry` or dotted ids need no mangling.
 * - Targetless transitions are self-loops labelled "(targetless)", as in the Mermaid output.
 */

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function isDescendant(node: AnyStateNode, ancestor: AnyStateNode): boolean {
  for (let n: AnyStateNode | undefined = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

function hasChildren(node: AnyStateNode): boolean {
  return childNodes(node).length > 0;
}

function leafAttributes(node: AnyStateNode): string {
  const label = `label=${quote(stateLabel(node))}`;
  if (node.type === 'final') return `[${label}, peripheries=2]`;
  if (node.type === 'history') return `[${label}, shape=circle]`;
  return `[${label}]`;
}

function anchorLine(node: AnyStateNode, indent: string): string[] {
  const style = node.type === 'parallel' ? 'shape=point, style=invis' : 'shape=point, width=0.15';
  const initial = initialChild(node);
  return [
    `${indent}${quote(node.id)} [${style}];`,
    ...(initial ? [`${indent}${quote(node.id)} -> ${quote(initial.id)};`] : []),
  ];
}

function clusterLines(node: AnyStateNode, indent: string, region: boolean): string[] {
  const inner = `${indent}  `;
  return [
    `${indent}subgraph ${quote(`cluster_${node.id}`)} {`,
    `${inner}label=${quote(stateLabel(node) + (node.type === 'parallel' ? ' (parallel)' : ''))};`,
    `${inner}style=${region ? '"rounded,dashed"' : 'rounded'};`,
    ...anchorLine(node, inner),
    ...childNodes(node).flatMap((child) => declare(child, inner, node.type === 'parallel')),
    `${indent}}`,
  ];
}

function declare(node: AnyStateNode, indent: string, region = false): string[] {
  if (!hasChildren(node)) return [`${indent}${quote(node.id)} ${leafAttributes(node)};`];
  return clusterLines(node, indent, region);
}

function edgeLine(edge: DiagramEdge): string {
  const { source, target } = edge;
  const attributes = [`label=${quote(edge.targetless ? `${edge.label} (targetless)` : edge.label)}`];
  // Clip at a cluster border only when the other end is outside it; Graphviz ignores it otherwise.
  if (hasChildren(source) && !isDescendant(target, source))
    attributes.push(`ltail=${quote(`cluster_${source.id}`)}`);
  if (hasChildren(target) && !isDescendant(source, target))
    attributes.push(`lhead=${quote(`cluster_${target.id}`)}`);
  return `  ${quote(source.id)} -> ${quote(target.id)} [${attributes.join(', ')}];`;
}

/** Graphviz DOT for a machine or anything exposing `.machine` (e.g. a Crew). */
export function toDot(target: DiagramTarget): string {
  const root = machineOf(target).root;
  const edges = allNodes(root).flatMap(edgesOf);
  // The root needs its own box when edges start or end on it, or to frame its parallel regions.
  const wrapRoot = root.type === 'parallel' || edges.some((e) => e.source === root || e.target === root);
  const body = wrapRoot
    ? declare(root, '  ')
    : [...anchorLine(root, '  '), ...childNodes(root).flatMap((c) => declare(c, '  '))];
  return [
    `digraph ${quote(root.machine.id)} {`,
    '  compound=true;',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    ...body,
    ...edges.map(edgeLine),
    '}',
    '',
  ].join('\n');
}
