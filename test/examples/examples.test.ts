import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createConditionalCrew } from '../../examples/conditional.js';
import { createFanOutCrew } from '../../examples/fan-out.js';
import { createHierarchicalCrew } from '../../examples/hierarchical.js';

const run = promisify(execFile);

describe('the examples', () => {
  it('the demo (npm start) runs the research crew offline through the fake OpenAI server and says so first', async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../examples/research-crew.ts')],
      {
        env,
        timeout: 30_000,
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^No OPENAI_API_KEY or OPENAI_BASE_URL set: running offline against the bundled fake OpenAI-compatible server at http:\/\/127\.0\.0\.1:\d+\/v1$/,
    );
    expect(stdout).toContain('# The Eight-Armed Mind');
    expect(lines.at(-1)).toMatch(/^3 tasks, 4 model requests, 60 tokens/);
  });

  it('fans three research tasks out concurrently and joins them before the synthesis', async () => {
    const output = await createFanOutCrew().kickoff({ topic: 'AI agents' });
    expect(output.tasksOutput.map((t) => t.taskId)).toEqual(['market', 'technology', 'policy', 'synthesis']);
    expect(output.raw).toContain('fast-growing market');
  });

  it('runs the fact-check only when the draft cites numbers', async () => {
    const withNumbers = await createConditionalCrew('3 hearts').kickoff({ topic: 'octopuses' });
    const without = await createConditionalCrew('Clever animals').kickoff({ topic: 'octopuses' });
    expect(withNumbers.tasksOutput[1].skipped).toBe(false);
    expect(without.tasksOutput[1].skipped).toBe(true);
    expect(without.raw).toBe('Clever animals');
  });

  it('lets the manager delegate to the three workers', async () => {
    const output = await createHierarchicalCrew()
      .with({ verbose: false })
      .kickoff({ topic: 'electric aviation' });
    expect(output.tasksOutput[0].agent).toBe('Crew Manager');
    expect(output.tokenUsage.successfulRequests).toBe(6);
  });
});
