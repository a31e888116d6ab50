// The local server's state file as `oauth serve` and `oauth mint` read it: every stored key is checked before either
// uses it, and mint signs with the key the server publishes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
const running: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

type Env = Record<string, string | undefined>;
const statePath = (env: Env) => join(env.XDG_STATE_HOME!, 'oauth', 'serve', 'state.json');
const readState = (env: Env) => JSON.parse(readFileSync(statePath(env), 'utf8'));

/** `oauth serve --port 0 --json` in the background, once it listens. */
async function serve(env: Env, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], {
    env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const info = await new Promise<{ issuer: string; audience: string; jwks_uri: string }>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]!));
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { ...info, stop: () => (child.kill('SIGINT'), exited) };
}

const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());

describe('a state file whose keys cannot sign', () => {
  const otherModulus = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }).n;
  // Each leaves the file valid JSON of the right shape; index 0 is the ES256 key, 1 the RS256 key, 2 the EdDSA key.
  const damages: Array<[string, number, (key: Record<string, unknown>) => void]> = [
    ['an ES256 key on the P-384 curve', 0, (key) => (key.crv = 'P-384')],
    ['an RS256 key whose modulus is another key\u2019s', 1, (key) => (key.n = otherModulus)],
    ['an RS256 key without its CRT parameters', 1, (key) => delete key.p],
    ['an EdDSA key on the X25519 curve', 2, (key) => (key.crv = 'X25519')],
    ['a key for encryption', 0, (key) => (key.use = 'enc')],
    ['a public key only', 2, (key) => delete key.d],
    ['a key for an algorithm the server does not sign with', 1, (key) => (key.alg = 'HS256')],
  ];

  it.each(damages)(
    '%s: serve and mint both exit 2 STORE_CORRUPT naming the file and the key',
    async (_name, index, damage) => {
      const env = sandboxEnv();
      for (const alg of ['ES256', 'RS256', 'EdDSA'])
        expect((await runCli(['mint', '--alg', alg], { env })).code).toBe(0);
      const state = readState(env);
      damage(state.keys[index]);
      writeFileSync(statePath(env), JSON.stringify(state));
      const kid = state.keys[index].kid as string;

      const runs = [
        await runCli(['mint'], { env }),
        await runCli(['mint', '--alg', state.keys[index].alg === 'HS256' ? 'RS256' : state.keys[index].alg], { env }),
        await spawnCli(['serve', '--port', '0', '--alg', index === 0 ? 'RS256' : 'ES256'], { env, timeoutMs: 15_000 }),
      ];
      for (const run of runs) {
        expect(run.stderr).not.toMatch(STACK_TRACE);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain('error[STORE_CORRUPT]');
        expect(run.stderr).toContain(statePath(env));
        expect(run.stderr).toContain(`keys[${index}] (kid ${kid})`);
        expect(run.stderr).toContain(`rm ${statePath(env)}`);
      }
      expect(readState(env)).toEqual(state);
    },
  );

  it('secrets that are not strings are refused the same way', async () => {
    const env = sandboxEnv();
    expect((await runCli(['mint'], { env })).code).toBe(0);
    writeFileSync(statePath(env), JSON.stringify({ ...readState(env), secrets: {} }));
    const run = await spawnCli(['serve', '--port', '0'], { env, timeoutMs: 15_000 });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('secrets.confidential');
  });

  it.each([
    ['a client key that is not an object', (state: Record<string, unknown>) => (state.clientKey = 'key')],
    [
      'a client key for another algorithm',
      (state: { clientKey: Record<string, unknown> }) => (state.clientKey.alg = 'RS256'),
    ],
    ['a public client key', (state: { clientKey: Record<string, unknown> }) => delete state.clientKey.d],
  ])('%s is refused the same way, and its key file is left alone', async (_name, damage) => {
    const env = sandboxEnv();
    expect((await runCli(['mint'], { env })).code).toBe(0);
    const state = readState(env);
    damage(state);
    writeFileSync(statePath(env), JSON.stringify(state));
    const run = await spawnCli(['serve', '--port', '0'], { env, timeoutMs: 15_000 });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('error[STORE_CORRUPT]');
    expect(run.stderr).toContain('clientKey');
    expect(existsSync(join(env.XDG_STATE_HOME!, 'oauth', 'serve', 'jwt-client.jwk'))).toBe(false);
  });
});

describe('the client key of jwt-client', () => {
  it('is added to a state from before it existed, and kept from then on', async () => {
    const env = sandboxEnv();
    expect((await runCli(['mint'], { env })).code).toBe(0);
    const { clientKey: _dropped, ...older } = readState(env);
    writeFileSync(statePath(env), JSON.stringify(older));
    const first = await serve(env);
    await first.stop();
    const added = readState(env).clientKey;
    expect(added).toMatchObject({ alg: 'ES256', d: expect.any(String) });
    expect(readState(env).keys).toEqual(older.keys);
    const file = join(env.XDG_STATE_HOME!, 'oauth', 'serve', 'jwt-client.jwk');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(added);
    const second = await serve(env);
    await second.stop();
    expect(readState(env).clientKey).toEqual(added);
  });
});

describe('oauth mint beside a running oauth serve', () => {
  it('without --alg signs with the key the server signs with, so every suite verdict holds against its JWKS', async () => {
    const env = sandboxEnv();
    const server = await serve(env, '--alg', 'ES256');
    const suite = await runCli(['mint', '--suite', '--issuer', server.issuer], { env });
    expect(suite.code, suite.stderr).toBe(0);
    expect(suite.stderr).not.toContain('Created');
    expect(suite.stderr).toContain(`--jwks ${server.issuer}/jwks --issuer ${server.issuer}`);
    const lines = suite.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(header(lines[0].token).alg).toBe('ES256');
    for (const line of lines) {
      const result = await runCli(
        [
          'decode',
          '-',
          '--verify',
          '--jwks',
          server.jwks_uri,
          '--issuer',
          server.issuer,
          '--audience',
          server.audience,
          '--typ',
          'at+jwt',
          '--json',
        ],
        { env, stdin: line.token },
      );
      const verdict =
        result.code === 0
          ? { name: line.name, code: 0 }
          : { name: line.name, code: result.code, error: JSON.parse(result.stderr).error.code };
      expect(verdict).toEqual(
        line.expect === 'accept' ? { name: line.name, code: 0 } : { name: line.name, code: 3, error: line.error_code },
      );
    }
    // An unsigned token needs no key: it does not add one either.
    expect((await runCli(['mint', '--alg', 'none'], { env })).code).toBe(0);
    expect(readState(env).keys.map((key: { alg: string }) => key.alg)).toEqual(['ES256']);
    await server.stop();
  });

  it('follows the algorithm the server last started with when the state has keys for several', async () => {
    const env = sandboxEnv();
    expect((await runCli(['mint', '--alg', 'RS256'], { env })).code).toBe(0);
    expect((await runCli(['mint', '--alg', 'EdDSA'], { env })).code).toBe(0);
    const server = await serve(env, '--alg', 'EdDSA');
    const minted = await runCli(['mint'], { env });
    expect(header(minted.stdout).alg).toBe('EdDSA');
    const verified = await runCli(['decode', '-', '--verify', '--jwks', server.jwks_uri, '--alg', 'EdDSA'], {
      env,
      stdin: minted.stdout,
    });
    expect(verified.code, verified.stderr).toBe(0);
    await server.stop();
  });

  it('with an --alg the state has no key for, warns that the running server publishes the new key only after a restart', async () => {
    const env = sandboxEnv();
    const server = await serve(env, '--alg', 'ES256');
    const minted = await runCli(['mint', '--alg', 'PS256'], { env });
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stderr).toMatch(
      /warning: Created a PS256 signing key .*already running does not publish it until it is restarted/,
    );
    // What the warning says: the running server does not know the key; a restarted one does.
    const before = await runCli(['decode', '-', '--verify', '--jwks', server.jwks_uri], { env, stdin: minted.stdout });
    expect(before.code).toBe(3);
    await server.stop();
    const restarted = await serve(env, '--alg', 'ES256');
    const after = await runCli(['decode', '-', '--verify', '--jwks', restarted.jwks_uri, '--alg', 'PS256'], {
      env,
      stdin: minted.stdout,
    });
    expect(after.code, after.stderr).toBe(0);
    await restarted.stop();
  });
});
