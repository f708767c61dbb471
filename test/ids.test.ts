import { describe, expect, it } from 'vitest';
import { slug, stableId } from '../src/ids.js';

describe('stableId', () => {
  it('should be 16 lowercase hex characters', () => {
    expect(stableId('Researcher', 'Find facts', 'You love facts')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('should be deterministic and depend on every part', () => {
    const id = stableId('a', 'b', 'c');
    expect(stableId('a', 'b', 'c')).toBe(id);
    expect(stableId('a', 'b', 'd')).not.toBe(id);
    expect(stableId('b', 'a', 'c')).not.toBe(id);
  });

  it('should join parts unambiguously', () => {
    expect(stableId('ab', 'c')).not.toBe(stableId('a', 'bc'));
    expect(stableId('a|b')).not.toBe(stableId('a', 'b'));
    expect(stableId('', 'x')).not.toBe(stableId('x', ''));
    expect(stableId('x')).not.toBe(stableId('x', ''));
  });

  it('should not change between processes or releases (ids in saved checkpoints depend on it)', () => {
    expect(stableId('Researcher', 'Find facts')).toBe('fffdb7f1e2a6660c');
  });
});

describe('slug', () => {
  it('should lowercase and turn runs of non-alphanumerics into single dashes', () => {
    expect(slug('Research AI: trends & facts!')).toBe('research-ai-trends-facts');
  });

  it('should trim dashes at both ends', () => {
    expect(slug('  --Hello, World--  ')).toBe('hello-world');
  });

  it('should cut to 24 characters by default without a trailing dash', () => {
    const result = slug('Summarize the latest developments in artificial intelligence');
    expect(result.length).toBeLessThanOrEqual(24);
    expect(result).toBe('summarize-the-latest-dev');
    expect(slug('abcdefghijklmnopqrstuvw xyz')).toBe('abcdefghijklmnopqrstuvw');
  });

  it('should honour a custom maximum', () => {
    expect(slug('Senior Data Researcher', 6)).toBe('senior');
    expect(slug('Senior Data Researcher', 100)).toBe('senior-data-researcher');
  });

  it('should keep the base letter of accented characters', () => {
    expect(slug('Café Crème')).toBe('cafe-creme');
  });

  it('should give an empty slug for text with no letters or digits', () => {
    expect(slug('!!! ???')).toBe('');
  });
});
