// Faults: names that do not resolve, certificates nobody trusts, stores that are corrupt or cannot be written,
// Ctrl-C in the middle of a refresh, and parallel sign-ins into different profiles.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-as.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { hang, startTlsServer, type TlsTestServer } from '../helpers/server.js';
import { makeKey, sign } from '../helpers/tokens.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
let as: TestAuthorizationServer;
let hostile: HostileServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
  hostile = await startHostileServer();
});
afterAll(async () => {
  await as.close();
  await hostile.close();
});

describe('network faults', () => {
  it('a host name that does not resolve exits 5, bounded by --timeout', async () => {
    const token = await sign(await makeKey());
    const started = Date.now();
    const result = await runCli([
      'decode',
      token,
      '--verify',
      '--jwks',
      'https://no-such-host.invalid/jwks',
      '--timeout',
      '3',
    ]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/host name not found|Timed out/);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  describe('a TLS certificate this machine does not trust', () => {
    let tls: TlsTestServer;
    let origin: string;
    let caFile: string;
    beforeAll(async () => {
      const key = await makeKey('RS256', 'k1');
      tls = await startTlsServer(JSON.stringify({ keys: [key.publicJwk] }));
      ({ origin, caFile } = tls);
      (globalThis as { tlsKey?: typeof key }).tlsKey = key;
    });
    afterAll(() => tls.close());

    it('exits 5 with a hint about --ca-file, and works with it', async () => {
      const token = await sign((globalThis as { tlsKey?: Awaited<ReturnType<typeof makeKey>> }).tlsKey!);
      const refused = await runCli(['decode', token, '--verify', '--jwks', `${origin}/jwks`]);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain('not trusted');
      expect(refused.stderr).toContain('--ca-file');
      const trusted = await runCli(['decode', token, '--verify', '--jwks', `${origin}/jwks`, '--ca-file', caFile]);
      expect(trusted.code, trusted.stderr).toBe(0);
    });
  });
});

describe('stores', () => {
  it('a corrupt token file is named, left untouched, and exits 2', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'file' });
    const file = join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json');
    mkdirSync(join(env.XDG_STATE_HOME!, 'oauth'), { recursive: true });
    writeFileSync(file, '{"version":1,"entries":{"profile:default":');
    for (const args of [['token'], ['status'], ['logout']]) {
      const result = await spawnCli(args, { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`error[STORE_CORRUPT]: The token file ${file} is corrupt`);
      expect(result.stderr).not.toMatch(STACK_TRACE);
    }
    expect(readFileSync(file, 'utf8')).toBe('{"version":1,"entries":{"profile:default":');
  });

  it('a state directory that cannot be written: a clear error naming it, exit 2', async () => {
    const home = mkdtempSync(join(tmpdir(), 'oauth-blocked-'));
    writeFileSync(join(home, 'not-a-directory'), 'x');
    const env = sandboxEnv({
      BROWSER: SIMULATED_BROWSER,
      OAUTH_STORE: 'file',
      XDG_STATE_HOME: join(home, 'not-a-directory', 'state'),
    });
    const result = await spawnCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error\[STORE_FAILED\].*not-a-directory/);
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });
});

describe('Ctrl-C in the middle of a refresh', () => {
  it('the first Ctrl-C waits for the answer, the second exits 130 at once, leaving the stored tokens as they were and no lock behind', async () => {
    hostile.token(hang);
    const env = sandboxEnv({ OAUTH_STORE: 'file' });
    const dir = join(env.XDG_STATE_HOME!, 'oauth');
    mkdirSync(dir, { recursive: true });
    const session = {
      version: 1,
      issuer: hostile.issuer,
      client_id: 'cli',
      access_token: 'old-access-token-0123456789',
      token_type: 'Bearer',
      expires_at: 1,
      refresh_token: 'old-refresh-token-0123456789',
      obtained_at: 1,
    };
    const stored = JSON.stringify({ version: 1, entries: { 'profile:default': JSON.stringify(session) } });
    writeFileSync(join(dir, 'tokens.json'), stored);
    const child = spawn(process.execPath, [BIN, 'token', '-v'], {
      env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
    });
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('> POST')) resolve();
      });
    });
    child.kill('SIGINT');
    for (let turn = 0; turn < 400 && !stderr.includes('stop again to quit at once'); turn++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).not.toMatch(STACK_TRACE);
    expect(stderr).not.toContain('old-refresh-token-0123456789');
    expect(readFileSync(join(dir, 'tokens.json'), 'utf8')).toBe(stored);
    expect(existsSync(join(dir, 'locks')) ? readdirSync(join(dir, 'locks')) : []).toEqual([]);
  });
});

describe('concurrency', () => {
  it('parallel sign-ins into different profiles do not disturb each other', async () => {
    const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, OAUTH_STORE: 'file' });
    const users = ['ann', 'ben', 'cat', 'dan'];
    const results = await Promise.all(
      users.map((user) =>
        spawnCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli', '--profile', user], {
          env: { ...env, SIMULATED_LOGIN: user },
          timeoutMs: 60_000,
        }),
      ),
    );
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    const status = JSON.parse((await spawnCli(['status', '--json'], { env })).stdout);
    expect(
      status.profiles.map((profile: { profile: string; session?: { subject: string } }) => [
        profile.profile,
        profile.session?.subject,
      ]),
    ).toEqual(users.map((user) => [user, user]));
  });
});
