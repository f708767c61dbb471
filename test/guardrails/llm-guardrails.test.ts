import { describe, expect, it } from 'vitest';
import { eventsOf, lastMessage, ofType, oneTaskCrew, reply } from '../helpers/human-fixtures.js';

const RULE = 'The slogan must mention bread.';
const verdict = (valid: boolean, feedback: string, promptTokens = 7, completionTokens = 3) =>
  reply(JSON.stringify({ valid, feedback }), promptTokens, completionTokens);

describe('string guardrails', () => {
  it('are judged by the task agent’s model, in a call of its own with responseFormat { valid, feedback }', async () => {
    const { crew, llm } = oneTaskCrew(['Fresh bread daily', verdict(true, '')], { guardrail: RULE });
    const output = await crew.kickoff();

    expect(output.raw).toBe('Fresh bread daily');
    expect(llm.calls).toHaveLength(2);
    const judge = llm.calls[1];
    expect(judge.tools).toBeUndefined();
    expect(judge.responseFormat?.name).toBe('guardrail_result');
    expect(judge.responseFormat?.schema.safeParse({ valid: false, feedback: 'why' }).success).toBe(true);
    expect(judge.responseFormat?.schema.safeParse({ valid: 'yes' }).success).toBe(false);
    // A fresh conversation: only the rule and the result to judge, not the writer's prompt.
    expect(judge.messages).toHaveLength(2);
    expect(lastMessage(judge)).toContain(`Task result:\nFresh bread daily`);
    expect(lastMessage(judge)).toContain(`Guardrail:\n${RULE}`);
  });

  it('count the judge’s tokens in tokenUsage', async () => {
    const { crew } = oneTaskCrew(
      [
        reply('Fresh milk daily', 100, 20),
        verdict(false, 'It does not mention bread.', 40, 4),
        reply('Fresh bread daily', 130, 21),
        verdict(true, 'Mentions bread.', 42, 5),
      ],
      { guardrail: RULE },
    );
    const output = await crew.kickoff();

    expect(output.raw).toBe('Fresh bread daily');
    expect(output.tokenUsage).toEqual({
      promptTokens: 312,
      completionTokens: 50,
      totalTokens: 362,
      cachedPromptTokens: 0,
      reasoningTokens: 0,
      successfulRequests: 4,
    });
    expect(crew.usageMetrics).toEqual(output.tokenUsage);
  });

  it('send the judge’s feedback to the agent when the output does not comply', async () => {
    const { crew, llm } = oneTaskCrew(
      ['Fresh milk daily', verdict(false, 'It does not mention bread.'), 'Bread!', verdict(true, '')],
      { guardrail: RULE },
    );
    const events = await eventsOf(crew);

    const retry = lastMessage(llm.calls[2]);
    expect(retry).toContain('It does not mention bread.');
    expect(retry).toContain('Fresh milk daily');
    expect(ofType(events, 'guardrail.failed').map((e) => e.error)).toEqual(['It does not mention bread.']);
    // The judge's call is a model call like any other: announced, with its usage.
    const judged = ofType(events, 'llm.response').filter((e) => e.content?.includes('"valid"'));
    expect(judged).toHaveLength(2);
    expect(judged[0]).toMatchObject({ agentId: 'writer', taskId: 'draft', usage: { totalTokens: 10 } });
    // …and streamed to a stream() subscriber like any other.
    const deltas = ofType(events, 'llm.delta').filter((e) => e.delta.includes('"valid"'));
    expect(deltas.map((e) => e.taskId)).toEqual(['draft', 'draft']);
  });

  it('accept a valid verdict without feedback, and explain a rejection without feedback', async () => {
    const { crew, llm } = oneTaskCrew(
      ['milk', JSON.stringify({ valid: false, feedback: '' }), 'bread', JSON.stringify({ valid: true })],
      { guardrail: RULE },
    );
    expect((await crew.kickoff()).raw).toBe('bread');
    expect(lastMessage(llm.calls[2])).toContain(
      `failed validation: The output does not comply with the guardrail: ${RULE}`,
    );
  });

  it('ask the judge again when its answer is no verdict, telling it what is wrong', async () => {
    const { crew, llm } = oneTaskCrew(['Fresh bread daily', 'Yes, it is valid.', verdict(true, '')], {
      guardrail: RULE,
    });
    const output = await crew.kickoff();

    expect(output.raw).toBe('Fresh bread daily');
    expect(llm.calls).toHaveLength(3);
    const again = llm.calls[2].messages;
    expect(again.slice(-2).map((m) => m.role)).toEqual(['assistant', 'user']);
    expect(again.at(-2)?.content).toBe('Yes, it is valid.');
    expect(again.at(-1)?.content).toContain('No JSON was found in the answer');
    expect(llm.calls[2].responseFormat?.name).toBe('guardrail_result');
  });

  it('fail when the judge gives no verdict in 3 answers, or its model fails, without telling the agent how to write JSON', async () => {
    const prose = ['I think it is fine', 'Looks fine to me', 'Fine!'];
    const { crew, llm } = oneTaskCrew(['one', ...prose, 'two', new Error('model overloaded')], {
      guardrail: RULE,
      guardrailMaxRetries: 1,
    });
    const error = (await crew.kickoff().catch((e: unknown) => e)) as Error;

    const retry = lastMessage(llm.calls[4]);
    expect(retry).toContain(
      `failed validation: Error while validating the task output: the guardrail's judge gave no verdict in 3 answers (its last: "Fine!")`,
    );
    expect(retry).not.toContain('Reply with only');
    expect(error.name).toBe('GuardrailError');
    expect(error.message).toContain('Last error: Error while validating the task output: model overloaded');
  });

  it('judge the result of the function guardrails before them in the chain', async () => {
    const { crew, llm } = oneTaskCrew(['bread', verdict(true, '')], {
      guardrails: [(o) => [true, `${o.raw.toUpperCase()}!`], RULE],
    });
    expect((await crew.kickoff()).raw).toBe('BREAD!');
    expect(lastMessage(llm.calls[1])).toContain('Task result:\nBREAD!');
  });
});
