// Which store a run gets: OAUTH_STORE when set (memory, file, keychain — anything else is a usage error), else the
// keychain, else the 0600 file with a warning said once, on the first write; and whichever it is, a write is read back
// before it counts.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/store/memory.js';
import { openStore, readBackWrites } from '../../src/store/open.js';
import type { SecretStore } from '../../src/store/store.js';

/** No D-Bus session bus: no keychain on Linux, decided without asking one. */
const NO_BUS = { HOME: '/nonexistent' };

function open(env: Record<string, string>) {
  const stateDir = mkdtempSync(join(tmpdir(), 'oauth-open-store-'));
  const warnings: string[] = [];
  return { stateDir, warnings, store: openStore({ env, stateDir, warn: (message) => void warnings.push(message) }) };
}

describe.runIf(process.platform === 'linux')('openStore', () => {
  it('OAUTH_STORE=memory keeps nothing on disk', async () => {
    const { stateDir, store } = open({ ...NO_BUS, OAUTH_STORE: 'memory' });
    const memory = await store;
    await memory.set('k', 'v');
    expect(memory.kind).toBe('memory');
    expect(await memory.get('k')).toBe('v');
    expect(existsSync(join(stateDir, 'tokens.json'))).toBe(false);
  });

  it('OAUTH_STORE=file is the tokens.json of the state directory, without a warning', async () => {
    const { stateDir, store, warnings } = open({ ...NO_BUS, OAUTH_STORE: ' file ' });
    const file = await store;
    await file.set('k', 'v');
    expect(file.kind).toBe('file');
    expect(JSON.parse(readFileSync(join(stateDir, 'tokens.json'), 'utf8')).entries).toEqual({ k: 'v' });
    expect(warnings).toEqual([]);
  });

  it('an unknown OAUTH_STORE is a usage error (exit 2) listing the kinds', async () => {
    await expect(open({ ...NO_BUS, OAUTH_STORE: 'vault' }).store).rejects.toMatchObject({
      code: 'USAGE',
      exitCode: 2,
      message: 'OAUTH_STORE must be one of keychain, file, memory, not "vault".',
    });
  });

  it('OAUTH_STORE=keychain without a keychain is STORE_UNAVAILABLE saying why, never a silent file', async () => {
    const { stateDir, store } = open({ ...NO_BUS, OAUTH_STORE: 'keychain' });
    const error = await store.catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('there is no D-Bus session bus'),
    });
    expect(existsSync(join(stateDir, 'tokens.json'))).toBe(false);
  });

  it('without OAUTH_STORE and without a keychain: the file, with a warning on the first write only — in this run and the next', async () => {
    const { stateDir, store, warnings } = open(NO_BUS);
    const file = await store;
    expect(file.kind).toBe('file');
    expect(await file.get('k')).toBeUndefined();
    expect(warnings).toEqual([]);
    await file.set('k', 'v');
    await file.set('k', 'w');
    expect(warnings).toEqual([
      `No keychain is available (there is no D-Bus session bus, so no Secret Service); tokens are stored in ${join(stateDir, 'tokens.json')} (mode 0600) instead.`,
    ]);
    const nextRun: string[] = [];
    const again = await openStore({ env: NO_BUS, stateDir, warn: (message) => void nextRun.push(message) });
    await again.set('k', 'x');
    expect(nextRun).toEqual([]);
    expect(await again.get('k')).toBe('x');
  });
});

describe('every write is read back', () => {
  const forgetful = (): SecretStore => ({ ...memoryStore(), set: async () => undefined });

  it('a store that answers "saved" and keeps nothing is STORE_FAILED, without the value in the message', async () => {
    const secret = 'access-token-that-was-never-kept-0123456789';
    const error = await readBackWrites(forgetful())
      .set('profile:default', secret)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'STORE_FAILED', exitCode: 2 });
    expect(String((error as Error).message) + (error as { hint?: string }).hint).not.toContain(secret);
  });

  it('a store that keeps an older value is STORE_FAILED too; one that keeps the write is fine', async () => {
    const stale = memoryStore(new Map([['k', 'old']]));
    await expect(readBackWrites({ ...stale, set: async () => undefined }).set('k', 'new')).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
    const store = readBackWrites(memoryStore());
    await store.set('k', 'new');
    expect(await store.get('k')).toBe('new');
  });
});
