// SPEC §3 (prompt content the runtime guarantees) and §5.2 (context), checked by containment in `llm.calls`.
import { describe, expect, it } from 'vitest';
import { Agent, Crew, Task } from '../../src/index.js';
import { ScriptedLLM } from '../../src/testing/index.js';
import { soloCrew, textOf } from '../helpers/loop-fixtures.js';

function threeTaskCrew(contexts: { second?: Task[] | 'first'; third?: Task[] | 'first' } = {}) {
  const llm = new ScriptedLLM(['FIRST-OUTPUT', 'SECOND-OUTPUT', 'THIRD-OUTPUT']);
  const agent = new Agent({ role: 'Analyst', goal: 'Analyse', backstory: 'Careful.', llm });
  const first = new Task({ description: 'Task one', expectedOutput: 'one', agent });
  const pick = (c: Task[] | 'first' | undefined) => (c === 'first' ? [first] : c);
  const second = new Task({
    description: 'Task two',
    expectedOutput: 'two',
    agent,
    ...(contexts.second ? { context: pick(contexts.second) } : {}),
  });
  const third = new Task({
    description: 'Task three',
    expectedOutput: 'three',
    agent,
    ...(contexts.third ? { context: pick(contexts.third) } : {}),
  });
  const crew = new Crew({ agents: [agent], tasks: [first, second, third] });
  return { crew, llm, first, second, third };
}

const userMessage = (llm: ScriptedLLM, i: number) => textOf(llm.calls[i].messages[1]);

describe('the prompt of a task', () => {
  it("starts with a system message holding the agent's role, goal and backstory", async () => {
    const { crew, llm } = soloCrew({ script: ['done'] });
    await crew.kickoff();

    const [system] = llm.calls[0].messages;
    expect(system.role).toBe('system');
    expect(system.content).toContain('Field Researcher');
    expect(system.content).toContain('Find verified facts about octopuses');
    expect(system.content).toContain('A marine biologist who double-checks every source.');
  });

  it('follows with a user message holding the description and the expected output', async () => {
    const { crew, llm } = soloCrew({ script: ['done'] });
    await crew.kickoff();

    expect(llm.calls[0].messages).toHaveLength(2);
    const user = llm.calls[0].messages[1];
    expect(user.role).toBe('user');
    expect(user.content).toContain('Summarise what is known about octopus cognition');
    expect(user.content).toContain('Three short bullet points');
  });

  it('uses the interpolated texts of the agent and the task', async () => {
    const { crew, llm } = soloCrew({
      script: ['done'],
      agent: { role: '{field} Researcher', goal: 'Study {animal}s', backstory: 'Loves {animal}s.' },
      task: { description: 'Describe the {animal}', expectedOutput: '{n} facts' },
    });
    await crew.kickoff({ field: 'Marine', animal: 'octopus', n: 3 });

    const [system, user] = llm.calls[0].messages;
    expect(system.content).toContain('Marine Researcher');
    expect(system.content).toContain('Study octopuss');
    expect(system.content).toContain('Loves octopuss.');
    expect(user.content).toContain('Describe the octopus');
    expect(user.content).toContain('3 facts');
    expect(`${system.content}${user.content}`).not.toMatch(/\{(field|animal|n)\}/);
  });

  it('has no context for the first task', async () => {
    const { crew, llm } = threeTaskCrew();
    await crew.kickoff();
    expect(userMessage(llm, 0)).not.toMatch(/context/i);
  });

  it('gives a later task the outputs of every earlier task by default, joined by the divider', async () => {
    const { crew, llm } = threeTaskCrew();
    await crew.kickoff();

    expect(userMessage(llm, 1)).toContain('FIRST-OUTPUT');
    expect(userMessage(llm, 2)).toContain('FIRST-OUTPUT\n\n----------\n\nSECOND-OUTPUT');
  });

  it('gives only the named tasks as context', async () => {
    const { crew, llm } = threeTaskCrew({ third: 'first' });
    await crew.kickoff();

    expect(userMessage(llm, 2)).toContain('FIRST-OUTPUT');
    expect(userMessage(llm, 2)).not.toContain('SECOND-OUTPUT');
  });

  it('has no context section with context: []', async () => {
    const { crew, llm } = threeTaskCrew({ second: [] });
    await crew.kickoff();
    const plain = userMessage(llm, 0);

    expect(userMessage(llm, 1)).not.toContain('FIRST-OUTPUT');
    // Same shape as the first task's prompt: no section was added.
    expect(userMessage(llm, 1)).toBe(plain.replace('Task one', 'Task two').replace(': one', ': two'));
  });

  it('asks for Markdown when the task sets markdown', async () => {
    const { crew, llm } = soloCrew({ script: ['# done'], task: { markdown: true } });
    await crew.kickoff();
    expect(userMessage(llm, 0)).toMatch(/markdown/i);
  });

  it('adds a message with the guardrail error and the rejected output on a guardrail retry', async () => {
    let checks = 0;
    const { crew, llm } = soloCrew({
      script: ['too short', 'a long enough answer'],
      task: {
        guardrail: (output) => (++checks === 1 ? [false, 'The answer must be longer'] : [true, output.raw]),
      },
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('a long enough answer');
    const retry = llm.calls[1].messages.map(textOf).slice(2).join('\n');
    expect(retry).toContain('The answer must be longer');
    expect(retry).toContain('too short');
  });

  it("adds a user message with the human's feedback", async () => {
    const feedback = ['Add a fact about their hearts', ''];
    const { crew, llm } = soloCrew({
      script: ['first draft', 'second draft'],
      task: { humanInput: true },
      crew: { humanInput: () => feedback.shift() ?? '' },
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('second draft');
    const messages = llm.calls[1].messages;
    expect(messages.some((m) => m.role === 'assistant' && m.content === 'first draft')).toBe(true);
    expect(
      messages.some((m) => m.role === 'user' && m.content.includes('Add a fact about their hearts')),
    ).toBe(true);
  });
});
