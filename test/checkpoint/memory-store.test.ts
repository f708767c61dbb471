import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { makeCheckpoint } from '../helpers/checkpoint-fixtures.js';

describe('MemoryCheckpointStore', () => {
  it('round-trips a checkpoint', async () => {
    const store = new MemoryCheckpointStore();
    const checkpoint = makeCheckpoint('run-1');
    await store.save('run-1', checkpoint);
    expect(await store.load('run-1')).toEqual(checkpoint);
  });

  it('returns undefined for a run it does not have', async () => {
    expect(await new MemoryCheckpointStore().load('nope')).toBeUndefined();
  });

  it('replaces the checkpoint of a run on a second save', async () => {
    const store = new MemoryCheckpointStore();
    await store.save('run-1', makeCheckpoint('run-1', { reason: 'kickoff' }));
    await store.save('run-1', makeCheckpoint('run-1', { reason: 'crew.completed' }));
    expect((await store.load('run-1'))?.reason).toBe('crew.completed');
    expect(await store.list()).toEqual(['run-1']);
  });

  it('lists runs in save order, a re-saved run moving last', async () => {
    const store = new MemoryCheckpointStore();
    for (const id of ['b', 'a', 'c']) await store.save(id, makeCheckpoint(id));
    expect(await store.list()).toEqual(['b', 'a', 'c']);
    await store.save('b', makeCheckpoint('b'));
    expect(await store.list()).toEqual(['a', 'c', 'b']);
  });

  it('deletes a run, and deleting a missing run is a no-op', async () => {
    const store = new MemoryCheckpointStore();
    await store.save('a', makeCheckpoint('a'));
    await store.save('b', makeCheckpoint('b'));
    await store.delete('a');
    await store.delete('missing');
    expect(await store.load('a')).toBeUndefined();
    expect(await store.list()).toEqual(['b']);
  });

  it('stores a copy: mutating the saved object afterwards changes nothing', async () => {
    const store = new MemoryCheckpointStore();
    const checkpoint = makeCheckpoint('run-1');
    await store.save('run-1', checkpoint);
    checkpoint.taskIds.push('t3');
    (checkpoint.snapshot as { status: string }).status = 'mutated';
    (checkpoint.inputs.nested as { n: number }).n = 99;
    const loaded = await store.load('run-1');
    expect(loaded?.taskIds).toEqual(['t1', 't2']);
    expect(loaded?.snapshot).toEqual({ status: 'active', context: { outputs: [{ raw: 'done' }] } });
    expect(loaded?.inputs).toEqual({ topic: 'AI', nested: { n: 1 } });
  });

  it('returns a fresh copy on every load', async () => {
    const store = new MemoryCheckpointStore();
    await store.save('run-1', makeCheckpoint('run-1'));
    const first = await store.load('run-1');
    first?.agentIds.push('intruder');
    const second = await store.load('run-1');
    expect(second).not.toBe(first);
    expect(second?.agentIds).toEqual(['a1']);
  });

  it('keeps only what survives JSON, like a real store', async () => {
    const store = new MemoryCheckpointStore();
    const when = new Date('2024-01-02T03:04:05.000Z');
    await store.save('run-1', makeCheckpoint('run-1', { snapshot: { when, gone: undefined } }));
    expect((await store.load('run-1'))?.snapshot).toEqual({ when: '2024-01-02T03:04:05.000Z' });
  });

  it('refuses a checkpoint that is not JSON-serialisable', async () => {
    const store = new MemoryCheckpointStore();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.save('run-1', makeCheckpoint('run-1', { snapshot: cyclic }))).rejects.toMatchObject({
      code: 'invalid_checkpoint',
    });
    expect(await store.list()).toEqual([]);
  });
});
