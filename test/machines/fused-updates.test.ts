import { describe, expect, it } from 'vitest';
import { createActor, setup, type AnyStateMachine } from 'xstate';
import { fusedAssign, fusedName, withFusions } from '../../machines/fused-updates.js';
import {
  agentJobMachine,
  agentMachine,
  hierarchicalCrewMachine,
  managerMachine,
  sequentialCrewMachine,
  taskMachine,
} from '../../machines/index.js';

describe('withFusions', () => {
  const fusions = [
    ['a', 'b'],
    ['a', 'b', 'c'],
  ];

  it('replaces the longest listed run of names with its fused name', () => {
    expect(withFusions(['a', 'b', 'c', 'announce'], fusions)).toEqual(['a+b+c', 'announce']);
    expect(withFusions(['x', 'a', 'b', 'announce'], fusions)).toEqual(['x', 'a+b', 'announce']);
  });

  it('keeps names outside a listed run, in order', () => {
    expect(withFusions(['b', 'a', 'c'], fusions)).toEqual(['b', 'a', 'c']);
    expect(withFusions([], fusions)).toEqual([]);
  });
});

describe('fusedAssign', () => {
  type C = { count: number; log: string[] };
  const updates = {
    add: ({ context, event }: { context: C; event: { type: string; by?: number } }) => ({
      count: context.count + (event.by ?? 1),
    }),
    note: ({ context }: { context: C }) => ({ log: [...context.log, `count ${context.count}`] }),
  };

  it('applies the updates in order, each seeing what the previous left', () => {
    const machine = setup({
      types: {} as { context: C; events: { type: 'go'; by: number } },
      actions: {
        [fusedName(['add', 'note'])]: fusedAssign<C, { type: 'go'; by: number }>(updates, ['add', 'note']),
      },
    }).createMachine({
      context: { count: 1, log: [] },
      on: { go: { actions: 'add+note' } },
    });
    const actor = createActor(machine).start();
    actor.send({ type: 'go', by: 2 });
    expect(actor.getSnapshot().context).toEqual({ count: 3, log: ['count 3'] });
  });

  it('refuses to fuse an update it does not know', () => {
    expect(() => fusedAssign(updates, ['add', 'missing'])).toThrow("No context update named 'missing'");
  });
});

/** Every action a chart names, on entry, exit and every transition (XState skips a name it cannot find). */
function namedActions(machine: AnyStateMachine): string[] {
  const names = new Set<string>();
  const add = (actions: readonly unknown[] | undefined) => {
    for (const action of actions ?? []) if (typeof action === 'string') names.add(action);
  };
  const visit = (node: AnyStateMachine['root']) => {
    add(node.entry);
    add(node.exit);
    for (const transitions of node.transitions.values()) for (const t of transitions) add(t.actions);
    for (const t of node.always ?? []) add(t.actions);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return [...names];
}

describe('the charts', () => {
  const charts = {
    taskMachine,
    agentMachine,
    agentJobMachine,
    managerMachine,
    sequentialCrewMachine,
    hierarchicalCrewMachine,
  };

  it.each(Object.entries(charts))(
    '%s implements every action it names (fused ones included)',
    (_, machine) => {
      const implemented = Object.keys(machine.implementations.actions);
      const missing = namedActions(machine).filter((name) => !implemented.includes(name));
      expect(missing).toEqual([]);
    },
  );

  it("a task finishes a plain answer in one fused update of the model's turn", () => {
    expect(namedActions(taskMachine)).toContain('recordTurn+recordDraft+finishAtOnce');
  });
});
