import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, fixture } from './cli-process.js';

beforeAll(ensureBuilt, 120_000);

describe('statecrew visualize', () => {
  it('prints a Mermaid state diagram by default', async () => {
    const { code, stdout, stderr } = await cli(['visualize', fixture]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^stateDiagram-v2\n/);
    expect(stdout).toContain('crew_sequential_running');
  });

  it('prints DOT with --format dot', async () => {
    const { code, stdout } = await cli(['visualize', fixture, '--format', 'dot']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^digraph "crew\.sequential" \{/);
  });

  it('prints Stately Studio JSON with --format json', async () => {
    const { code, stdout } = await cli(['visualize', fixture, '--format', 'json', '--export', 'crew']);
    expect(code).toBe(0);
    const config = JSON.parse(stdout) as { id: string; initial: string; states: Record<string, unknown> };
    expect(config).toMatchObject({ id: 'crew.sequential', initial: 'running' });
    expect(Object.keys(config.states)).toEqual(expect.arrayContaining(['running', 'done', 'failed']));
  });
});
