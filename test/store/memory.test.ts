// The memory store: what it holds lives in the map it was given (the tests' window into it) and nowhere else.
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/store/memory.js';

describe('the memory store', () => {
  it('gets, sets and deletes in its map, and says it is gone with the process', async () => {
    const entries = new Map([['kept', 'before']]);
    const store = memoryStore(entries);
    expect(await store.get('kept')).toBe('before');
    await store.set('new', 'value');
    expect(entries.get('new')).toBe('value');
    expect(await store.delete('kept')).toBe(true);
    expect(await store.delete('kept')).toBe(false);
    expect(await store.get('kept')).toBeUndefined();
    expect(store.kind).toBe('memory');
    expect(store.describe()).toContain('gone when this process ends');
  });

  it('two stores never share entries', async () => {
    const first = memoryStore();
    await first.set('k', 'v');
    expect(await memoryStore().get('k')).toBeUndefined();
  });
});
