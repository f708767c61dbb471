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

export interface MermaidOptions {
  readonly direction?: 'LR' | 'TB';
}

/*
 * Choices, and why:
 * - Every XState node is declared as `state "label" as id`; labels may hold anything, ids may not
 *   (a `-` reads as the start of an arrow), so ids are the node ids reduced to [A-Za-z0-9_].
 * - Edges between siblings are written inside their parent's block; all others at the top level
 *   (see `edgeBlock` for why not in the lowest common ancestor's block).
 * - Targetless transitions (actions only, e.g. `on: { 'task.progress': { actions: … } }`) are
 *   drawn as self-loops labelled "(targetless)": omitting them would hide events the state
 *   handles, and a self-loop is what `xstate/graph`'s `toDirectedGraph` reports for them too.
 * - `--` is only legal inside a composite, so a parallel root (or a root that has transitions of
 *   its own) is wrapped in a composite named after the machine.
 */

/** Words the stateDiagram grammar treats as keywords when used as a bare id. */
const RESERVED = new Set(['note', 'class', 'classdef', 'style', 'click', 'default', 'direction', 'state']);

function buildIds(root: AnyStateNode): Map<AnyStateNode, string> {
  const ids = new Map<AnyStateNode, string>();
  const used = new Set<string>();
  for (const node of allNodes(root)) {
    let base = node.id.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'state';
    if (/^\d/.test(base) || RESERVED.has(base.toLowerCase())) base = `s_${base}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(node, id);
  }
  return ids;
}

/** Labels run to the end of the line; quotes, `%%` comments and `#…;` entities would break them. */
function safeLabel(text: string): string {
  return text
    .replace(/"/g, "'")
    .replace(/[\r\n]+/g, ' ')
    .replace(/%%/g, '%')
    .replace(/;/g, ',');
}

/**
 * Where an edge line goes. Mermaid's StateDB re-parents a state to the last nested block that
 * mentions it (mentions at the top level leave the parent alone; checked with `getData()`), so an
 * edge may sit inside a block only when that block itself declares both ends. Edges between
 * different levels, or between parallel regions (which live in different `--` sections), go to
 * the top level. `undefined` stands for the top level.
 */
function edgeBlock(edge: DiagramEdge): AnyStateNode | undefined {
  const container = edge.source.parent;
  const shared = container !== undefined && container === edge.target.parent;
  return shared && container.type !== 'parallel' ? container : undefined;
}

class MermaidWriter {
  private readonly ids: Map<AnyStateNode, string>;
  private readonly edgesByBlock = new Map<AnyStateNode | undefined, DiagramEdge[]>();

  constructor(private readonly root: AnyStateNode) {
    this.ids = buildIds(root);
    for (const edge of allNodes(root).flatMap(edgesOf)) {
      const block = edgeBlock(edge);
      this.edgesByBlock.set(block, [...(this.edgesByBlock.get(block) ?? []), edge]);
    }
  }

  write(direction: 'LR' | 'TB'): string {
    const rootEdges = [...this.edgesByBlock.values()]
      .flat()
      .filter((e) => e.source === this.root || e.target === this.root);
    const wrapRoot = this.root.type === 'parallel' || rootEdges.length > 0;
    const body = [
      ...(wrapRoot
        ? [...this.declare(this.root, ''), `[*] --> ${this.id(this.root)}`]
        : this.blockBody(this.root, '')),
      ...this.edgeLines(undefined, ''),
    ];
    return ['stateDiagram-v2', ...[`direction ${direction}`, ...body].map((l) => `  ${l}`), ''].join('\n');
  }

  private id(node: AnyStateNode): string {
    return this.ids.get(node) ?? 'unknown';
  }

  private declare(node: AnyStateNode, indent: string): string[] {
    const head = `${indent}state "${safeLabel(stateLabel(node))}" as ${this.id(node)}`;
    if (childNodes(node).length === 0) return [head];
    return [`${head} {`, ...this.blockBody(node, `${indent}  `), `${indent}}`];
  }

  /** What goes inside `node`'s `{ … }`: children (regions split by `--`), pseudo-states, edges. */
  private blockBody(node: AnyStateNode, indent: string): string[] {
    const children = childNodes(node);
    const declarations =
      node.type === 'parallel'
        ? children.flatMap((region, i) => [
            ...(i > 0 ? [`${indent}--`] : []),
            ...this.declare(region, indent),
          ])
        : children.flatMap((child) => this.declare(child, indent));
    const initial = initialChild(node);
    const finals = children.filter((c) => c.type === 'final');
    return [
      ...declarations,
      ...(initial ? [`${indent}[*] --> ${this.id(initial)}`] : []),
      ...finals.map((f) => `${indent}${this.id(f)} --> [*]`),
      ...this.edgeLines(node, indent),
    ];
  }

  private edgeLines(block: AnyStateNode | undefined, indent: string): string[] {
    const edges = this.edgesByBlock.get(block) ?? [];
    return edges.map((e) => {
      const label = safeLabel(e.targetless ? `${e.label} (targetless)` : e.label);
      return `${indent}${this.id(e.source)} --> ${this.id(e.target)} : ${label}`;
    });
  }
}

/** Mermaid `stateDiagram-v2` text for a machine or anything exposing `.machine` (e.g. a Crew). */
export function toMermaid(target: DiagramTarget, options: MermaidOptions = {}): string {
  return new MermaidWriter(machineOf(target).root).write(options.direction ?? 'LR');
}
