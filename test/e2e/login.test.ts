// `oauth login` end to end, as a user runs it: real processes against a real oidc-provider, signed in by a simulated
// user set as BROWSER — the public client (PKCE, loopback), a confidential client, the device flow, and what happens
// when no sign-in arrives, when no browser may open, on Ctrl-C, and in a -vv trace.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateUser } from '../../src/serve/simulated-user.js';
import { spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { scanned } from '../helpers/leak-scan.js';
import { SECRETS, startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { login, startLogin, userHome } from '../helpers/sign-in.js';

let as: TestAuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());

describe('oauth login (public client, PKCE, loopback)', () => {
  it('signs in through BROWSER and saves the profile, with no token in the config file', async () => {
    const { env, configFile } = userHome();
    const result = await login(as, env);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Signed in as "alice"');
    expect(result.stdout).toContain('refresh token  yes');
    expect(result.stderr).toMatch(/code_challenge=[\w-]{43}&code_challenge_method=S256/);
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    expect(config.profiles.default).toMatchObject({ issuer: as.issuer, client_id: 'oauth-cli' });
    expect(JSON.stringify(config)).not.toMatch(/eyJ|refresh/);
  });

  it('-vv shows every exchange of a sign-in and none of its secrets', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-browser-')), 'urls');
    const { env, storedSession } = userHome({ SIMULATED_BROWSER_LOG: log });
    const result = await login(as, env, '-vv');
    expect(result.code).toBe(0);
    for (const exchange of ['/.well-known/openid-configuration', '/token', '/jwks'])
      expect(result.stderr).toContain(exchange);
    const session = storedSession();
    for (const secret of [session.access_token, session.refresh_token!, session.id_token!]) {
      expect(result.stderr).not.toContain(secret);
      expect(result.stderr).not.toContain(secret.split('.').at(-1));
    }
    expect(result.stderr).toMatch(/code_verifier=\[redacted|code_verifier=[\w-]{3,6}…/);
  });
});

describe('oauth login, other ways', () => {
  it('signs in a confidential client with OAUTH_CLIENT_SECRET, and refreshes later without it', async () => {
    const { env } = userHome();
    const result = await spawnCli(
      ['login', '--issuer', as.issuer, '--client-id', 'confidential-app', '--profile', 'app'],
      { env: { ...env, OAUTH_CLIENT_SECRET: SECRETS.confidential } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain(SECRETS.confidential);
    const refreshed = await spawnCli(['token', '--refresh', '--profile', 'app'], { env });
    expect(refreshed.code, refreshed.stderr).toBe(0);
  });

  it('signs in with the device flow', async () => {
    const { env } = userHome();
    const run = startLogin(as, env, '--device');
    const complete = await run.stderrMatch(/\(or open (\S+)\)/);
    const signedIn = simulateUser(complete[1]!, { login: 'dave' });
    const result = await run.finished;
    await signedIn;
    expect(result.stderr).toMatch(/enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Signed in as "dave"');
  });
});

describe('oauth login, when no sign-in comes', () => {
  it('exits 4 when no sign-in arrives in time, without a stack trace', async () => {
    const { env } = userHome({ SIMULATED_BROWSER_MODE: 'ignore' });
    const result = await login(as, env, '--login-timeout', '1');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('LOGIN_TIMED_OUT');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it('--no-browser only prints the URL', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-browser-')), 'urls');
    const { env } = userHome({ SIMULATED_BROWSER_LOG: log });
    const result = await login(as, env, '--no-browser', '--login-timeout', '1');
    expect(result.stderr).toContain(`${as.issuer}/auth?`);
    expect(() => readFileSync(log)).toThrow();
  });

  it('Ctrl-C while waiting for the sign-in exits 130 and closes the callback port', async () => {
    const { env } = userHome({ SIMULATED_BROWSER_MODE: 'ignore' });
    const run = startLogin(as, env);
    const waiting = await run.stderrMatch(/^(?=[\s\S]*Waiting)[\s\S]*?redirect_uri=([^&\s]+)/);
    const redirect = decodeURIComponent(waiting[1]!);
    run.child.kill('SIGINT');
    const result = await run.finished;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    await expect(fetch(redirect)).rejects.toThrow();
  });
});

describe('the leak scan over this file', () => {
  it('collected the secrets the server issued and received, and every run (checked after the file)', () => {
    expect(scanned().secrets).toBeGreaterThan(15);
    expect(scanned().runs).toBeGreaterThanOrEqual(7);
  });
});
