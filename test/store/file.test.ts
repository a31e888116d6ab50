// The file store: one JSON file, mode 0600 in a 0700 directory, replaced atomically under a lock (parallel writers
// keep each other's entries, no temporary file is left behind), and a damaged file is a clear error that leaves it as
// it was — from the store itself and from every command that reads it.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileStore } from '../../src/store/file.js';
import { sandboxEnv, sandboxWithTokenFile, spawnCli } from '../helpers/cli.js';

const tokenFile = () => join(mkdtempSync(join(tmpdir(), 'oauth-file-store-')), 'state', 'oauth', 'tokens.json');
const mode = (path: string) => statSync(path).mode & 0o777;

describe('the file store', () => {
  it('creates its file 0600 in a 0700 directory, and reads back what it wrote', async () => {
    const path = tokenFile();
    const store = fileStore(path);
    expect(await store.get('profile:default')).toBeUndefined();
    await store.set('profile:default', 'session-json');
    expect(mode(path)).toBe(0o600);
    expect(mode(join(path, '..'))).toBe(0o700);
    expect(await store.get('profile:default')).toBe('session-json');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      version: 1,
      entries: { 'profile:default': 'session-json' },
    });
    expect(store.kind).toBe('file');
    expect(store.describe()).toBe(`file ${path} (mode 0600)`);
  });

  it('keeps 0600 when it replaces a file that was readable by others', async () => {
    const path = tokenFile();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ version: 1, entries: {} }), { mode: 0o644 });
    await fileStore(path).set('k', 'v');
    expect(mode(path)).toBe(0o600);
  });

  it('delete says whether the key was there, and leaves the other entries', async () => {
    const store = fileStore(tokenFile());
    await store.set('a', '1');
    await store.set('b', '2');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('b')).toBe('2');
  });

  it('twenty writers in parallel, each with a store of its own, keep every entry; no temporary file stays', async () => {
    const path = tokenFile();
    await Promise.all(Array.from({ length: 20 }, (_, index) => fileStore(path).set(`key-${index}`, `value-${index}`)));
    const entries = JSON.parse(readFileSync(path, 'utf8')).entries;
    expect(Object.keys(entries).sort()).toEqual(Array.from({ length: 20 }, (_, index) => `key-${index}`).sort());
    expect(readdirSync(join(path, '..')).filter((name) => name !== 'tokens.json')).toEqual([]);
  });

  it('a file that is not JSON, or not its shape, is STORE_CORRUPT (exit 2) naming the file and the problem; nothing is written', async () => {
    for (const [contents, problem] of [
      ['{"version":1,', 'it is not JSON'],
      ['[]', 'it is not a JSON object'],
      ['{"version":2,"entries":{}}', '"version" is 2, not 1'],
      ['{"version":1,"entries":[]}', '"entries" is not an object'],
      ['{"version":1,"entries":{"k":5}}', 'entry "k" is not a string'],
    ]) {
      const path = tokenFile();
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, contents!);
      const store = fileStore(path);
      for (const attempt of [() => store.get('k'), () => store.set('k', 'v'), () => store.delete('k')]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error, contents).toMatchObject({
          code: 'STORE_CORRUPT',
          exitCode: 2,
          message: `The token file ${path} is corrupt (${problem}); it was left untouched.`,
          hint: expect.stringContaining(`mv ${path} ${path}.bad`),
        });
      }
      expect(readFileSync(path, 'utf8')).toBe(contents);
    }
  });

  it('a token file that is a directory is STORE_FAILED (exit 2) saying to move it aside', async () => {
    const path = tokenFile();
    mkdirSync(path, { recursive: true });
    const error = await fileStore(path)
      .get('k')
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'STORE_FAILED',
      exitCode: 2,
      hint: expect.stringContaining(`${path} is a directory, not the token file`),
    });
  });
});

describe('the token file, through the CLI', () => {
  it('a token file that is a directory is STORE_FAILED (exit 2) with a hint that says what to do', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'file' });
    const file = join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json');
    mkdirSync(file, { recursive: true });
    for (const args of [['token'], ['status']]) {
      const result = await spawnCli(args, { env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('error[STORE_FAILED]');
      expect(result.stderr).toContain(`hint: ${file} is a directory, not the token file: move it aside`);
    }
  });

  it('status with no profile says where tokens are kept, service tokens included, not that there are none', async () => {
    const result = await spawnCli(['status'], { env: sandboxEnv({ OAUTH_STORE: 'file' }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('would be stored');
    expect(result.stdout).toContain('service tokens from oauth token --client-credentials are cached there too');
  });

  it('a file of the right outline but the wrong inside (entries an array, a number, an entry not a string) is STORE_CORRUPT', async () => {
    for (const contents of [
      '{"version":1,"entries":[]}',
      '{"version":1,"entries":5}',
      '{"version":1,"entries":{"profile:default":{"version":1}}}',
      '{"version":2,"entries":{}}',
    ]) {
      const { env, file } = sandboxWithTokenFile(contents);
      for (const args of [['token'], ['status'], ['logout']]) {
        const result = await spawnCli(args, { env });
        expect(result.code, `${contents} ${args.join(' ')}\n${result.stderr}`).toBe(2);
        expect(result.stderr).toContain(`error[STORE_CORRUPT]: The token file ${file} is corrupt`);
      }
      expect(readFileSync(file, 'utf8')).toBe(contents);
    }
  });
});
