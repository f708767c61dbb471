import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FEEDBACK_PROMPT,
  hasPythonPty,
  occurrences,
  startInTerminal,
  type Terminal,
} from '../helpers/human-fixtures.js';

const example = join(import.meta.dirname, '..', '..', 'examples', 'human-review.ts');
const PROMPT = FEEDBACK_PROMPT;

describe.skipIf(!hasPythonPty())(
  'the terminal prompt (examples/human-review.ts in a pseudo-terminal)',
  () => {
    it('shows the output under review, takes typed feedback, and accepts on an empty line', async () => {
      let terminal: Terminal | undefined;
      try {
        terminal = startInTerminal(process.execPath, ['--import', 'tsx', example]);
        const t = terminal;

        await t.waitFor((s) => s.includes(PROMPT), 'the first prompt', 15_000);
        const first = t.screen();
        // The guardrail sent the first, too long, draft back before the person was asked.
        expect(first).toContain('guardrail failed (retry 1/3): The tagline has 17 words');
        expect(first).toContain("Human feedback needed — task 'tagline'");
        expect(first).toContain('Crews of AI agents, run as XState actors.');
        expect(first).toContain('press Enter without typing anything');

        t.type('Mention TypeScript\r');
        await t.waitFor((s) => occurrences(s, PROMPT) === 2, 'the second prompt');
        const second = t.screen().slice(first.length);
        expect(second).toContain('Mention TypeScript'); // echoed as it was typed
        expect(second).toContain("task 'tagline' (round 2)");
        expect(second).toContain('Crews of AI agents as XState actors, in TypeScript.');

        t.type('\r');
        expect(await t.exited).toBe(0);
        expect(t.screen()).toContain('Final tagline: Crews of AI agents as XState actors, in TypeScript.');
        expect(occurrences(t.screen(), PROMPT)).toBe(2);
      } finally {
        terminal?.kill();
      }
    }, 30_000);

    it('fails the task, rather than approving it, when the person ends the input with Ctrl+D', async () => {
      let terminal: Terminal | undefined;
      try {
        terminal = startInTerminal(process.execPath, ['--import', 'tsx', example]);
        const t = terminal;
        await t.waitFor((s) => s.includes(PROMPT), 'the prompt', 15_000);

        t.type('\x04');
        expect(await t.exited).toBe(1);
        expect(t.screen()).toContain("The terminal closed before feedback was given on task 'tagline'");
        expect(t.screen()).not.toContain('Final tagline');
      } finally {
        terminal?.kill();
      }
    }, 30_000);
  },
);
