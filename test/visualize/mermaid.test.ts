// @vitest-environment jsdom
// Mermaid sanitises labels with DOMPurify, which needs a `window` when the module loads; the
// jsdom environment provides it, so mermaid's own parser runs here offline.
import mermaid from 'mermaid';
import { describe, expect, it } from 'vitest';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import type { AnyStateMachine } from 'xstate';
import { Agent, ConditionalTask, Crew, Task } from '../../src/index.js';
import { crewTestModel } from '../../src/testing/index.js';
import { toMermaid } from '../../src/visualize/index.js';
import { crewMachine, fixtures, monitorMachine, taskMachine } from './fixtures.js';

interface LayoutNode {
  id: string;
  parentId?: string;
  shape?: string;
}
interface LayoutEdge {
  start: string;
  end: string;
  label: string;
}

/** Mermaid's own model of the diagram: nodes with their parent cluster, and edges. */
async function layoutData(text: string): Promise<{ nodes: LayoutNode[]; edges: LayoutEdge[] }> {
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db as unknown as { getData(): { nodes: LayoutNode[]; edges: LayoutEdge[] } };
  return db.getData();
}

/** Where each `state "…" as id` is declared in the text: the enclosing composite, if any. */
function declaredParents(text: string): Map<string, string | undefined> {
  const parents = new Map<string, string | undefined>();
  const stack: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const match = /^state ".*" as (\w+)( \{)?$/.exec(line);
    if (match) {
      parents.set(match[1], stack.at(-1));
      if (match[2]) stack.push(match[1]);
    } else if (line === '}') stack.pop();
  }
  return parents;
}

function countTransitions(machine: AnyStateMachine): number {
  // toDirectedGraph covers event, done/error/after and targetless transitions; not `always`.
  const count = (g: DirectedGraphNode): number =>
    g.edges.length + (g.stateNode.always?.length ?? 0) + g.children.reduce((n, c) => n + count(c), 0);
  return count(toDirectedGraph(machine));
}

const transitionLines = (text: string): string[] =>
  text.split('\n').filter((l) => l.includes(' --> ') && !l.includes('[*]'));

describe('toMermaid', () => {
  it('the parser check is real: mermaid rejects a hyphenated bare id', async () => {
    await expect(mermaid.parse('stateDiagram-v2\n  a-b --> c\n')).rejects.toThrow(/Parse error/);
  });

  for (const [name, machine] of Object.entries(fixtures)) {
    describe(name, () => {
      const text = toMermaid(machine);

      it("passes mermaid's parser in both directions", async () => {
        await expect(mermaid.parse(text)).resolves.toMatchObject({ diagramType: 'stateDiagram' });
        await expect(mermaid.parse(toMermaid(machine, { direction: 'TB' }))).resolves.toBeTruthy();
      });

      it('draws every transition exactly once', async () => {
        expect(transitionLines(text)).toHaveLength(countTransitions(machine));
        const { edges } = await layoutData(text);
        expect(edges.filter((e) => e.label !== '')).toHaveLength(countTransitions(machine));
      });

      it('keeps every state in the cluster it was declared in', async () => {
        const { nodes } = await layoutData(text);
        const byId = new Map(nodes.map((n) => [n.id, n]));
        // Parallel regions sit in divider clusters; look through them to the composite.
        const owner = (id: string | undefined): string | undefined =>
          id && byId.get(id)?.shape === 'divider' ? owner(byId.get(id)?.parentId) : id;
        for (const [id, parent] of declaredParents(text)) {
          expect(owner(byId.get(id)?.parentId), id).toBe(parent);
        }
      });
    });
  }

  it('writes the task chart with invokes, guards, after, always and safe ids', () => {
    const text = toMermaid(taskMachine);
    expect(text.startsWith('stateDiagram-v2\n  direction LR\n')).toBe(true);
    expect(text).toContain('state "running (invoke runAgent)" as task_running {');
    expect(text).toContain('state "guardrail-retry" as task_guardrail_retry\n');
    expect(text).toContain('[*] --> task_pending');
    expect(text).toContain('task_done --> [*]');
    expect(text).toContain('task_running --> task_check_human : done agentCall [guardrailPassed]');
    expect(text).toContain('task_running --> task_failed : error agentCall');
    expect(text).toContain('task_guardrail_retry --> task_running : after retryDelay');
    expect(text).toContain('task_check_human --> task_human_input : always [needsHumanInput]');
    expect(text).toContain('task_human_input --> task_running : task.human_feedback [!approved]');
    expect(text).toContain('task_running --> task_running : task.progress (targetless)');
  });

  it('nests sibling edges inside their composite', () => {
    const lines = toMermaid(taskMachine).split('\n');
    const open = lines.findIndex((l) => l.includes('as task_running {'));
    const close = lines.findIndex((l, i) => i > open && l.trim() === '}');
    const inner = lines.findIndex((l) => l.includes('task_running_thinking --> task_running_tool_call'));
    expect(inner).toBeGreaterThan(open);
    expect(inner).toBeLessThan(close);
  });

  it('labels wildcard actor events and combined guards; wraps a root that has transitions', () => {
    const text = toMermaid(crewMachine);
    expect(text).toContain('state "crew" as crew {');
    expect(text).toContain('crew --> crew_cancelled : crew.cancel');
    expect(text).toContain(
      'crew_sequential --> crew_finishing : done any actor [(isCurrentTask && allTasksDone && !hasErrors)]',
    );
    expect(text).toContain('crew_sequential --> crew_failed : error any actor [isCurrentTask]');
    expect(text).toContain('crew_sequential --> crew_sequential : any event (*) (targetless)');
    expect(text).toContain('crew_finishing --> crew_done : always [outputValid]');
  });

  it('separates parallel regions with -- inside a wrapping composite', () => {
    const text = toMermaid(monitorMachine);
    expect(text).toMatch(/state "monitor" as monitor \{\n[\s\S]*\n {4}--\n[\s\S]*\n {2}\}\n/);
    expect(text).toContain('[*] --> monitor\n');
  });

  it('accepts anything exposing .machine, such as a Crew', () => {
    class FakeCrew {
      constructor(readonly machine: AnyStateMachine) {}
    }
    expect(toMermaid({ machine: taskMachine })).toBe(toMermaid(taskMachine));
    expect(toMermaid(new FakeCrew(crewMachine), { direction: 'TB' })).toBe(
      toMermaid(crewMachine, { direction: 'TB' }),
    );
  });

  it("names a state by its description too: a crew's test model shows the crew's tasks", async () => {
    const agent = new Agent({ role: 'W', goal: 'g', backstory: 'b', llm: 'gpt-4o-mini' });
    const crew = new Crew({
      agents: [agent],
      tasks: [
        new Task({ name: 'Draft "v1"', description: 'Draft', expectedOutput: 'a draft', agent }),
        new ConditionalTask({
          name: 'Fact-check',
          description: 'Check',
          expectedOutput: 'checked',
          agent,
          condition: () => true,
          guardrail: () => [true, undefined],
        }),
      ],
    });
    const text = toMermaid(crewTestModel(crew));
    expect(text).toContain(`state "task0: Draft 'v1'" as crew_model_task0\n`);
    expect(text).toContain('state "task1: Fact-check" as crew_model_task1 {');
    expect(text).toContain('crew_model_task0 --> crew_model_task1 : always');
    expect(text).toContain('crew_model_task1_condition --> crew_model_task1_guardrail : task.run');
    expect(text).toContain('crew_model_task1_condition --> crew_model_completed : task.skip');
    expect(text).toContain(
      'crew_model_task1_guardrail --> crew_model_task1_guardrail : guardrail.fail [retryLeft] (targetless)',
    );
    await expect(mermaid.parse(text)).resolves.toMatchObject({ diagramType: 'stateDiagram' });
  });
});
