// Sign-in and tokens end to end, as a user runs them: real processes against a real oidc-provider, signed in by a
// simulated user set as BROWSER.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { API_AUDIENCE, SECRETS, startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { closedPort } from '../helpers/server.js';
import { scanned } from '../helpers/leak-scan.js';

const BROWSER = join(import.meta.dirname, '..', 'helpers', 'browser.mjs');
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());

function userEnv(extra: Record<string, string> = {}) {
  const env = sandboxEnv({ BROWSER, OAUTH_STORE: 'file', ...extra });
  return { env, tokenFile: join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json') };
}

const login = (env: Record<string, string | undefined>, ...extra: string[]) =>
  spawnCli(
    ['login', '--issuer', as.issuer, '--client-id', 'oauth-cli', '--scope', 'openid offline_access api:read', ...extra],
    { env },
  );

function storedSession(tokenFile: string, profile = 'default') {
  return JSON.parse(JSON.parse(readFileSync(tokenFile, 'utf8')).entries[`profile:${profile}`]);
}

describe('oauth login (public client, PKCE, loopback)', () => {
  const { env, tokenFile } = userEnv();

  it('signs in through BROWSER and saves the profile', async () => {
    const result = await login(env);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Signed in as "alice"');
    expect(result.stdout).toContain('refresh token  yes');
    expect(result.stderr).toMatch(/code_challenge=[\w-]{43}&code_challenge_method=S256/);
    const config = JSON.parse(readFileSync(join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json'), 'utf8'));
    expect(config.profiles.default).toMatchObject({ issuer: as.issuer, client_id: 'oauth-cli' });
    expect(JSON.stringify(config)).not.toMatch(/eyJ|refresh/);
  });

  it('oauth token prints only a JWT that verifies against the server keys', async () => {
    const token = await spawnCli(['token'], { env });
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const verified = await spawnCli(
      ['decode', '-', '--verify', '--issuer', as.issuer, '--audience', API_AUDIENCE, '--typ', 'at+jwt'],
      { env, stdin: token.stdout },
    );
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
  });

  it('--refresh twice in a row succeeds: the rotated refresh token is saved', async () => {
    const before = storedSession(tokenFile).refresh_token;
    expect((await spawnCli(['token', '--refresh'], { env })).code).toBe(0);
    const middle = storedSession(tokenFile).refresh_token;
    expect((await spawnCli(['token', '--refresh'], { env })).code).toBe(0);
    const after = storedSession(tokenFile).refresh_token;
    expect(new Set([before, middle, after]).size).toBe(3);
  });

  it('16 parallel runs after the access token expired: all succeed, one refresh, the grant stays alive', async () => {
    const data = JSON.parse(readFileSync(tokenFile, 'utf8'));
    const session = JSON.parse(data.entries['profile:default']);
    session.expires_at = Math.floor(Date.now() / 1000) - 10;
    data.entries['profile:default'] = JSON.stringify(session);
    writeFileSync(tokenFile, JSON.stringify(data));

    const runs = await Promise.all(Array.from({ length: 16 }, () => spawnCli(['token'], { env, timeoutMs: 60_000 })));
    expect(runs.map((run) => run.code)).toEqual(Array(16).fill(0));
    const tokens = new Set(runs.map((run) => run.stdout));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(`${session.access_token}\n`);
    // A replayed refresh token would have revoked the grant; a fresh refresh proves it is alive.
    expect((await spawnCli(['token', '--refresh'], { env })).code).toBe(0);
  });

  it('output formats: header, json, human', async () => {
    expect((await spawnCli(['token', '-o', 'header'], { env })).stdout).toMatch(/^Authorization: Bearer eyJ/);
    const json = JSON.parse((await spawnCli(['token', '--output', 'json'], { env })).stdout);
    expect(json).toMatchObject({ token_type: 'Bearer', access_token: expect.stringMatching(/^eyJ/) });
    expect(json.refresh_token).toBeUndefined();
    const human = await spawnCli(['token', '-o', 'human'], { env });
    expect(human.stdout).toMatch(/access token\s+eyJhbG…/);
    expect(human.stdout).not.toContain(json.access_token);
  });

  it('status shows the profile, redacted', async () => {
    const status = await spawnCli(['status', '--json'], { env });
    const report = JSON.parse(status.stdout);
    expect(report.profiles[0]).toMatchObject({
      profile: 'default',
      issuer: as.issuer,
      signed_in: true,
      session: { subject: 'alice', refresh_token: true },
    });
    expect(status.stdout).not.toContain(storedSession(tokenFile).access_token);
    expect(status.stdout).not.toContain(storedSession(tokenFile).refresh_token);
  });

  it('userinfo with an API access token says the server rejected it (exit 4)', async () => {
    const result = await spawnCli(['userinfo'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error[TOKEN_REJECTED]');
    expect(result.stderr).toContain('invalid_token');
  });

  it('introspect reports an active refresh token and exits 3 for a revoked one', async () => {
    const refreshToken = storedSession(tokenFile).refresh_token;
    const active = await spawnCli(['introspect', '-', '--token-type-hint', 'refresh_token', '--json'], {
      env,
      stdin: refreshToken,
    });
    expect(active.code).toBe(0);
    expect(JSON.parse(active.stdout)).toMatchObject({ active: true, sub: 'alice' });
  });

  it('logout revokes and deletes; then token exits 4 with the login hint', async () => {
    const refreshToken = storedSession(tokenFile).refresh_token;
    const logout = await spawnCli(['logout'], { env });
    expect(logout.code).toBe(0);
    expect(logout.stdout).toContain('revoked the refresh token');
    const token = await spawnCli(['token'], { env });
    expect(token.code).toBe(4);
    expect(token.stderr).toContain('oauth login');
    const inactive = await spawnCli(['introspect', '-', '--token-type-hint', 'refresh_token'], {
      env: { ...env, OAUTH_CLIENT_ID: 'oauth-cli' },
      stdin: refreshToken,
    });
    expect(inactive.code).toBe(3);
    expect(inactive.stdout).toContain('not active');
  });
});

describe('oauth login, other ways', () => {
  it('signs in a confidential client with OAUTH_CLIENT_SECRET, and refreshes later without it', async () => {
    const { env } = userEnv();
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
    const { env } = userEnv();
    const { spawn } = await import('node:child_process');
    const { simulateUser } = await import('../../src/serve/simulated-user.js');
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'bin', 'oauth.js'),
        'login',
        '--device',
        '--issuer',
        as.issuer,
        '--client-id',
        'oauth-cli',
      ],
      {
        env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
      },
    );
    let stderr = '';
    let stdout = '';
    let signedIn: Promise<unknown> | undefined;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const complete = /\(or open (\S+)\)/.exec(stderr);
      if (complete && !signedIn) signedIn = simulateUser(complete[1]!, { login: 'dave' });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    await signedIn;
    expect(stderr).toMatch(/enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(code).toBe(0);
    expect(stdout).toContain('Signed in as "dave"');
  });

  it('from a server with opaque access tokens gets a token that works at userinfo, introspection and revocation', async () => {
    const opaque = await startAuthorizationServer({ opaqueTokens: true });
    const { env } = userEnv({ SIMULATED_LOGIN: 'carol' });
    try {
      expect((await spawnCli(['login', '--issuer', opaque.issuer, '--client-id', 'oauth-cli'], { env })).code).toBe(0);
      const userinfo = await spawnCli(['userinfo', '--json'], { env });
      expect(userinfo.code, userinfo.stderr).toBe(0);
      expect(JSON.parse(userinfo.stdout)).toMatchObject({ sub: 'carol' });
      const introspection = await spawnCli(['introspect', '--json'], { env });
      expect(introspection.code, introspection.stderr).toBe(0);
      expect(JSON.parse(introspection.stdout)).toMatchObject({ active: true, sub: 'carol' });
      const logout = await spawnCli(['logout'], { env });
      expect(logout.stdout).toContain('revoked the refresh token and access token');
    } finally {
      await opaque.close();
    }
  });

  it('exits 4 when no sign-in arrives in time, without a stack trace', async () => {
    const { env } = userEnv({ SIMULATED_BROWSER_MODE: 'ignore' });
    const result = await login(env, '--login-timeout', '1');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('LOGIN_TIMED_OUT');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it('--no-browser only prints the URL', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-browser-')), 'urls');
    const { env } = userEnv({ SIMULATED_BROWSER_LOG: log });
    const result = await login(env, '--no-browser', '--login-timeout', '1');
    expect(result.stderr).toContain(`${as.issuer}/auth?`);
    expect(() => readFileSync(log)).toThrow();
  });
});

describe('when things go wrong', () => {
  it('a refresh token the server rejects exits 4 and says to sign in again', async () => {
    const { env, tokenFile } = userEnv();
    expect((await login(env)).code).toBe(0);
    const session = storedSession(tokenFile);
    // Revoked at the server behind the CLI's back: the CLI learns it only when it tries to refresh.
    const { revocation_endpoint } = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as {
      revocation_endpoint: string;
    };
    const revoked = await fetch(revocation_endpoint, {
      method: 'POST',
      body: new URLSearchParams({
        token: session.refresh_token,
        token_type_hint: 'refresh_token',
        client_id: 'oauth-cli',
      }),
    });
    expect(revoked.status).toBe(200);
    const result = await spawnCli(['token', '--refresh'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error[REFRESH_TOKEN_REJECTED]');
    expect(result.stderr).toContain('oauth login');
    expect(result.stderr).not.toContain(session.refresh_token);
    // The refused refresh token is forgotten: status no longer offers it, and the next run says the same without a request.
    const status = JSON.parse((await spawnCli(['status', '--json'], { env })).stdout);
    expect(status.profiles[0].session.refresh_token).toBe(false);
    expect(JSON.stringify(storedSession(tokenFile))).not.toContain(session.refresh_token);
    const again = await spawnCli(['token', '--refresh'], { env });
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('oauth login');
  });

  it('Ctrl-C while waiting for the sign-in exits 130 and closes the callback port', async () => {
    const { env } = userEnv({ SIMULATED_BROWSER_MODE: 'ignore' });
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'bin', 'oauth.js'),
        'login',
        '--issuer',
        as.issuer,
        '--client-id',
        'oauth-cli',
      ],
      {
        env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
      },
    );
    let stderr = '';
    const redirect = await new Promise<string>((resolve) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        const found = /redirect_uri=([^&\s]+)/.exec(stderr);
        if (found && stderr.includes('Waiting')) resolve(decodeURIComponent(found[1]!));
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).not.toMatch(STACK_TRACE);
    await expect(fetch(redirect)).rejects.toThrow();
  });

  it('oauth discover shows the metadata', async () => {
    const human = await spawnCli(['discover', as.issuer]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/token_endpoint\s+http:\/\/127\.0\.0\.1:\d+\/token/);
    const json = JSON.parse((await spawnCli(['discover', as.issuer, '--json'])).stdout);
    expect(json.issuer).toBe(as.issuer);
    expect(json.code_challenge_methods_supported).toEqual(['S256']);
  });
});

describe('oauth token --client-credentials', () => {
  const args = ['token', '--client-credentials', '--client-id', 'service', '--scope', 'api:read'];

  it('prints only the token on a pipe, and caches it', async () => {
    const env = sandboxEnv({ OAUTH_CLIENT_SECRET: SECRETS.service, OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'file' });
    const first = await spawnCli([...args, '-v'], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(first.stderr).toContain('> POST');
    expect(first.stderr).not.toContain(SECRETS.service);
    expect(first.stderr).not.toContain(first.stdout.trim());
    const second = await spawnCli([...args, '-v'], { env });
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).not.toContain('> POST');
    const fresh = await spawnCli([...args, '--no-cache'], { env });
    expect(fresh.stdout).not.toBe(first.stdout);
    // The cached token was fetched with the right secret: a wrong one must still be refused by the server.
    const wrong = await spawnCli(args, { env: { ...env, OAUTH_CLIENT_SECRET: 'wrong-secret-value-123456' } });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('invalid_client');
    expect(wrong.stdout).toBe('');
  });

  it('reads the secret from a file or stdin, and warns when it is on the command line', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const file = join(env.HOME!, 'secret');
    writeFileSync(file, `${SECRETS.service}\n`);
    expect((await spawnCli([...args, '--client-secret-file', file], { env })).code).toBe(0);
    expect((await spawnCli([...args, '--client-secret-stdin'], { env, stdin: `${SECRETS.service}\n` })).code).toBe(0);
    const argv = await spawnCli([...args, '--client-secret', SECRETS.service], { env });
    expect(argv.code).toBe(0);
    expect(argv.stderr).toContain('warning: --client-secret');
    expect(argv.stderr).not.toContain(SECRETS.service);
  });

  it('signs the client assertion with --private-key (private_key_jwt)', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const keyFile = join(env.HOME!, 'client-key.json');
    writeFileSync(keyFile, JSON.stringify(as.jwtClientKey));
    const result = await spawnCli(
      ['token', '--client-credentials', '--client-id', 'jwt-client', '--private-key', keyFile, '-vv'],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('client_assertion_type');
    expect(result.stderr).not.toMatch(/client_assertion=eyJ[\w-]+\.[\w-]+\.[\w-]{20,}/);
  });

  it('a wrong secret exits 5 and shows invalid_client, not the secret', async () => {
    const env = sandboxEnv({
      OAUTH_ISSUER: as.issuer,
      OAUTH_STORE: 'memory',
      OAUTH_CLIENT_SECRET: 'wrong-secret-value-123456',
    });
    const result = await spawnCli(args, { env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('invalid_client');
    expect(result.stderr).not.toContain('wrong-secret-value-123456');
    expect(result.stdout).toBe('');
  });

  it('missing settings exit 2 naming the flag and the variable, never prompting without a TTY', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory', CI: 'true' });
    const result = await spawnCli(['token', '--client-credentials', '--issuer', as.issuer], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--client-id');
    expect(result.stderr).toContain('OAUTH_CLIENT_ID');
  });

  it('an unreachable server exits 5', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_CLIENT_SECRET: 'x' });
    const result = await spawnCli(
      ['token', '--client-credentials', '--issuer', `http://127.0.0.1:${await closedPort()}`, '--client-id', 'svc'],
      { env },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('connection refused');
  });
});

describe('secrets in traces', () => {
  it('-vv shows every exchange of a sign-in and none of its secrets', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-browser-')), 'urls');
    const { env, tokenFile } = userEnv({ SIMULATED_BROWSER_LOG: log });
    const result = await login(env, '-vv');
    expect(result.code).toBe(0);
    for (const exchange of ['/.well-known/openid-configuration', '/token', '/jwks'])
      expect(result.stderr).toContain(exchange);
    const session = storedSession(tokenFile);
    for (const secret of [session.access_token, session.refresh_token, session.id_token]) {
      expect(result.stderr).not.toContain(secret);
      expect(result.stderr).not.toContain(secret.split('.').at(-1));
    }
    expect(result.stderr).toMatch(/code_verifier=\[redacted|code_verifier=[\w-]{3,6}…/);
  });
});

describe('the leak scan over this file', () => {
  it('collected the secrets the server issued and received, and every run (checked after the file)', () => {
    expect(scanned().secrets).toBeGreaterThan(50);
    expect(scanned().runs).toBeGreaterThan(40);
  });
});
