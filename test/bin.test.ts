// The built CLI as installed: bin/oauth.js runs dist/cli.js and dist/lazy.js from code caches of its own.
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from './helpers/cli.js';
import { jwks, makeKey, sign, type TestKey } from './helpers/tokens.js';

let key: TestKey;
let otherKey: TestKey;
let token: string;

beforeAll(async () => {
  key = await makeKey('RS256', 'k1');
  otherKey = await makeKey('RS256', 'k1');
  token = await sign(key, { claims: { iss: 'https://issuer.test', aud: 'api' } });
});

/** What a decode run answered, without its relative times (a minute may pass between two runs). */
const outcome = (result: { code: number; stdout: string; stderr: string }) => ({ code: result.code, stderr: result.stderr, payload: JSON.parse(result.stdout).payload });

const codeCaches = (env: Record<string, string | undefined>) => {
  const directory = join(env.XDG_CACHE_HOME!, 'oauth', 'code');
  return existsSync(directory) ? readdirSync(directory).map((name) => join(directory, name)) : [];
};

describe('code caches', () => {
  it('the first run of a command leaves a cache only this user can read; later runs use it as it is', async () => {
    const env = sandboxEnv();
    const first = await spawnCli(['decode', token, '--json'], { env });
    expect(first.code).toBe(0);
    const [cache, ...others] = codeCaches(env);
    expect(others).toEqual([]);
    expect(cache).toMatch(/[/\\]cli-[0-9a-f]{8}-\d+\.\d+-decode-[^/\\]+\.cache$/);
    expect(statSync(cache!).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_CACHE_HOME!, 'oauth', 'code')).mode & 0o777).toBe(0o700);

    const written = readFileSync(cache!);
    const second = await spawnCli(['decode', token, '--json'], { env });
    expect(outcome(second)).toEqual(outcome(first));
    expect(readFileSync(cache!).equals(written)).toBe(true);
  });

  it('a damaged cache, or one that others could have written, is replaced, and the run is unaffected', async () => {
    const env = sandboxEnv();
    const expected = outcome(await spawnCli(['decode', token, '--json'], { env }));
    const [cache] = codeCaches(env);

    writeFileSync(cache!, 'not a V8 code cache');
    expect(outcome(await spawnCli(['decode', token, '--json'], { env }))).toEqual(expected);
    expect(readFileSync(cache!, 'utf8')).not.toBe('not a V8 code cache');

    chmodSync(cache!, 0o666);
    expect(outcome(await spawnCli(['decode', token, '--json'], { env }))).toEqual(expected);
    expect(statSync(cache!).mode & 0o777).toBe(0o600);
  });

  it('writing a cache removes the caches an earlier build of the same install left for the same command, and only those', async () => {
    const env = sandboxEnv();
    await spawnCli(['decode', token], { env });
    const [cache] = codeCaches(env);
    const name = cache!.replace(/.*[/\\]/, '');
    const earlier = join(cache!, '..', name.replace(/-\d+\.\d+-decode-/, '-1.2-decode-'));
    const otherCommand = join(cache!, '..', name.replace(/-\d+\.\d+-decode-/, '-1.2-status-'));
    const otherInstall = join(cache!, '..', name.replace(/^cli-[0-9a-f]{8}-\d+\.\d+-/, 'cli-00000000-1.2-'));
    for (const file of [earlier, otherCommand, otherInstall]) writeFileSync(file, 'from an earlier build');
    writeFileSync(cache!, 'damaged');
    await spawnCli(['decode', token], { env });
    expect(codeCaches(env).sort()).toEqual([cache, otherCommand, otherInstall].sort());
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns them off', async () => {
    const env = sandboxEnv({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect((await spawnCli(['decode', token], { env })).code).toBe(0);
    expect(codeCaches(env)).toEqual([]);
  });
});

describe('code loaded when first needed (dist/lazy.js, and jose from dist/vendor)', () => {
  it('verifies with jose, and its failures keep their exit codes, with and without a cache', async () => {
    const env = sandboxEnv();
    const good = join(env.HOME!, 'good.json');
    const wrong = join(env.HOME!, 'wrong.json');
    writeFileSync(good, JSON.stringify(jwks(key)));
    writeFileSync(wrong, JSON.stringify(jwks(otherKey)));
    for (let round = 0; round < 2; round++) {
      const valid = await spawnCli(['decode', token, '--verify', '--jwks', good, '--issuer', 'https://issuer.test', '--audience', 'api'], { env });
      expect(valid).toMatchObject({ code: 0, stderr: '' });
      expect(valid.stdout).toMatch(/Verified\s+✓ valid/);
      // The error is made in lazy.js and reported by cli.js: one CliError class for both, or this would be exit 1.
      const forged = await spawnCli(['decode', token, '--verify', '--jwks', wrong, '--json'], { env });
      expect(forged.code).toBe(3);
      expect(JSON.parse(forged.stderr)).toMatchObject({ error: { code: 'JWT_SIGNATURE_INVALID', exitCode: 3 } });
      expect(forged.stderr).not.toMatch(STACK_TRACE);
    }
    expect(codeCaches(env).map((file) => file.replace(/.*[/\\]/, '').split('-')[0]).sort()).toEqual(['cli', 'jose', 'lazy']);
  });
});
