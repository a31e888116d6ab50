// Sessions, clients and refresh, tried as a confused user and against servers that misbehave: a session is only its
// issuer's and client's; a refreshed ID token is checked as at sign-in; a refused refresh says "sign in again" and
// forgets the refresh token; a slow refresh is waited for, never repeated; flags beat what the session stored; every
// command reads a token the same ways; a revoked token never comes back from a cache; a write is checked.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import * as jose from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-as.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { raw, type Route } from '../helpers/server.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
const now = () => Math.floor(Date.now() / 1000);

let home: HostileServer; // the server the stored session is from
let other: HostileServer; // another server the user names by mistake
let as: TestAuthorizationServer;

beforeAll(async () => {
  [home, other, as] = await Promise.all([startHostileServer(), startHostileServer(), startAuthorizationServer()]);
});
afterAll(async () => {
  await Promise.all([home.close(), other.close(), as.close()]);
});
beforeEach(() => {
  home.server.hits.clear();
  other.server.hits.clear();
});

async function form(request: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return new URLSearchParams(body);
}

interface Seen {
  form: URLSearchParams;
  authorization: string | undefined;
}

/** A route that records what it was sent and answers as told. */
function recording(answer: (seen: Seen) => unknown | Promise<unknown>, status = 200): { route: Route; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    route: async (request: IncomingMessage, response: ServerResponse) => {
      const entry = { form: await form(request), authorization: request.headers.authorization };
      seen.push(entry);
      const body = await answer(entry);
      if (body === undefined) response.writeHead(status).end();
      else
        response
          .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify(body));
    },
  };
}

let serial = 0;
function storedSession(issuer: string, extra: Record<string, unknown> = {}) {
  serial++;
  return {
    version: 1,
    issuer,
    client_id: 'cli',
    access_token: `stored-access-${serial}-0123456789`,
    token_type: 'Bearer',
    obtained_at: now() - 100,
    expires_at: now() + 600,
    refresh_token: `stored-refresh-${serial}-0123456789`,
    subject: 'alice',
    ...extra,
  };
}

/** A sandbox whose file store holds these sessions and whose config holds these profiles. */
function sandbox(sessions: Record<string, object>, profiles: Record<string, object> = {}) {
  const env = sandboxEnv({ OAUTH_STORE: 'file' });
  const dir = join(env.XDG_STATE_HOME!, 'oauth');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'tokens.json');
  const entries = Object.fromEntries(
    Object.entries(sessions).map(([profile, session]) => [`profile:${profile}`, JSON.stringify(session)]),
  );
  writeFileSync(file, JSON.stringify({ version: 1, entries }));
  mkdirSync(join(env.XDG_CONFIG_HOME!, 'oauth'), { recursive: true });
  writeFileSync(join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json'), JSON.stringify({ profiles }));
  return {
    env,
    file,
    raw: () => readFileSync(file, 'utf8'),
    session: (profile = 'default') => {
      const entry = JSON.parse(readFileSync(file, 'utf8')).entries[`profile:${profile}`];
      return entry === undefined ? undefined : JSON.parse(entry);
    },
  };
}

const requests = (server: HostileServer) =>
  [...server.server.hits.entries()].filter(([path]) => !path.startsWith('/.well-known') && path !== '/jwks');

describe('a session belongs to its issuer and its client', () => {
  for (const state of ['fresh', 'expired'] as const) {
    it(`another issuer or client id never gets a ${state} session, nor sends its tokens anywhere (exit 4, hint: oauth login --issuer …)`, async () => {
      const session = storedSession(home.issuer, state === 'expired' ? { expires_at: now() - 10 } : {});
      const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
      const cases: Array<{ args: string[]; env?: Record<string, string>; hint: string }> = [
        { args: ['token', '--issuer', other.issuer], hint: `oauth login --issuer ${other.issuer}` },
        { args: ['token', '--refresh', '--issuer', other.issuer], hint: `oauth login --issuer ${other.issuer}` },
        { args: ['token'], env: { OAUTH_ISSUER: other.issuer }, hint: `oauth login --issuer ${other.issuer}` },
        { args: ['token', '--client-id', 'someone-else'], hint: 'oauth login --issuer' },
        { args: ['userinfo', '--issuer', other.issuer], hint: `oauth login --issuer ${other.issuer}` },
        { args: ['revoke', '--issuer', other.issuer], hint: `oauth login --issuer ${other.issuer}` },
        { args: ['revoke', '--client-id', 'someone-else'], hint: '--client-id someone-else' },
        { args: ['introspect', '--issuer', other.issuer], hint: `oauth login --issuer ${other.issuer}` },
      ];
      for (const { args, env, hint } of cases) {
        const result = await spawnCli(args, { env: { ...box.env, ...env } });
        const what = `oauth ${args.join(' ')} ${JSON.stringify(env ?? {})}\n${result.stderr}`;
        expect(result.code, what).toBe(4);
        expect(result.stderr, what).toContain('error[NOT_LOGGED_IN]');
        expect(result.stderr, what).toContain(home.issuer);
        expect(result.stderr, what).toContain(hint);
        expect(result.stdout, what).toBe('');
        expect(result.stdout + result.stderr, what).not.toContain(session.access_token);
      }
      expect(requests(home)).toEqual([]);
      expect(requests(other)).toEqual([]);
      // logout for another server has nothing of its own to do: the session stays.
      const logout = await spawnCli(['logout', '--issuer', other.issuer], { env: box.env });
      expect(logout.code).toBe(0);
      expect(logout.stdout).toContain('nothing to do');
      expect(box.session()).toEqual(session);
      expect(requests(other)).toEqual([]);
    });
  }

  it('its tokens go only to the endpoints it was signed in with: a flag or OAUTH_* endpoint elsewhere is refused before any request (exit 2)', async () => {
    const session = storedSession(home.issuer, {
      expires_at: now() - 10,
      client_secret: 'stored-secret-of-cli-0123456789',
    });
    const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
    const evil = (path: string) => `${other.issuer}${path}`;
    const cases: Array<{ args: string[]; env?: Record<string, string>; origin: string }> = [
      { args: ['token', '--refresh', '--token-endpoint', evil('/token')], origin: '--token-endpoint' },
      { args: ['token'], env: { OAUTH_TOKEN_ENDPOINT: evil('/token') }, origin: 'OAUTH_TOKEN_ENDPOINT' },
      { args: ['token', '--jwks-uri', evil('/jwks')], origin: '--jwks-uri' },
      { args: ['userinfo', '--userinfo-endpoint', evil('/userinfo')], origin: '--userinfo-endpoint' },
      { args: ['introspect', '--introspection-endpoint', evil('/introspect')], origin: '--introspection-endpoint' },
      { args: ['revoke', '--revocation-endpoint', evil('/revoke')], origin: '--revocation-endpoint' },
      { args: ['logout'], env: { OAUTH_REVOCATION_ENDPOINT: evil('/revoke') }, origin: 'OAUTH_REVOCATION_ENDPOINT' },
      // A token given on the command line is the user's, but the secret the sign-in stored is not lent to another endpoint.
      {
        args: ['revoke', 'some-token-to-revoke-0123456789', '--revocation-endpoint', evil('/revoke')],
        origin: '--revocation-endpoint',
      },
    ];
    for (const { args, env, origin } of cases) {
      const result = await spawnCli(args, { env: { ...box.env, ...env } });
      const what = `oauth ${args.join(' ')} ${JSON.stringify(env ?? {})}\n${result.stderr}`;
      expect(result.code, what).toBe(2);
      expect(result.stderr, what).toContain(`${origin} ${other.issuer}`);
      expect(result.stderr, what).toContain(
        `sign in again with that endpoint: oauth login --issuer ${home.issuer} --client-id cli --${origin
          .replace(/^--|^OAUTH_/, '')
          .toLowerCase()
          .replace(/_/g, '-')} ${other.issuer}`,
      );
      expect(result.stdout, what).toBe('');
      expect(requests(other), what).toEqual([]);
      expect(requests(home), what).toEqual([]);
    }
    expect(box.session()).toEqual(session);
  });

  it('an endpoint in the config file is no witness: added after the sign-in (or from OAUTH_CONFIG), it is refused too', async () => {
    const session = storedSession(home.issuer, {
      expires_at: now() - 10,
      client_secret: 'stored-secret-of-cli-0123456789',
    });
    const box = sandbox(
      { default: session },
      {
        default: {
          issuer: home.issuer,
          client_id: 'cli',
          token_endpoint: `${other.issuer}/token`,
          userinfo_endpoint: `${other.issuer}/userinfo`,
        },
      },
    );
    for (const args of [['token', '--refresh'], ['userinfo']]) {
      const result = await spawnCli(args, { env: box.env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        /in profile default .* is not the (token|userinfo) endpoint the stored session was signed in with/,
      );
      expect(result.stderr).toContain('Remove it from the config file, or sign in again with that endpoint');
      expect(requests(other)).toEqual([]);
    }
    expect(box.session()).toEqual(session);
  });

  it('an endpoint given at sign-in (kept with the session), or the one discovery names, is the session’s own and is used', async () => {
    const session = storedSession(home.issuer, {
      expires_at: now() - 10,
      endpoints: { revocation_endpoint: `${home.issuer}/revoke` },
    });
    const box = sandbox(
      { default: session },
      { default: { issuer: home.issuer, client_id: 'cli', revocation_endpoint: `${home.issuer}/revoke` } },
    );
    const token = recording(() => ({
      access_token: 'pinned-access-0123456789',
      refresh_token: 'pinned-refresh-0123456789',
      token_type: 'Bearer',
      expires_in: 600,
    }));
    home.token(token.route);
    const refreshed = await spawnCli(['token', '--refresh', '--token-endpoint', `${home.issuer}/token`], {
      env: box.env,
    });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(token.seen[0]!.form.get('refresh_token')).toBe(session.refresh_token);
    const revocation = recording(() => undefined);
    home.server.route('/revoke', revocation.route);
    const revoked = await spawnCli(['revoke'], {
      env: { ...box.env, OAUTH_REVOCATION_ENDPOINT: `${home.issuer}/revoke` },
    });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revocation.seen[0]!.form.get('token')).toBe('pinned-refresh-0123456789');
  });

  it('the same issuer, written with a trailing slash, and the same client still get the session', async () => {
    const session = storedSession(home.issuer);
    const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
    for (const args of [['token'], ['token', '--issuer', `${home.issuer}/`, '--client-id', 'cli']]) {
      const result = await spawnCli(args, { env: box.env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${session.access_token}\n`);
    }
  });
});

describe('an ID token from a refresh is validated as at sign-in, plus OpenID Connect Core §12.2', () => {
  let otherKey: CryptoKey;
  beforeAll(async () => {
    otherKey = (await jose.generateKeyPair('RS256')).privateKey;
  });

  async function refreshWith(idToken: () => Promise<string>) {
    const original = await home.idToken({ aud: 'cli', sub: 'alice', auth_time: now() - 1000 });
    const session = storedSession(home.issuer, { expires_at: now() - 10, id_token: original });
    const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
    const token = recording(async () => ({
      access_token: `refreshed-access-${serial}-0123456789`,
      refresh_token: `rotated-refresh-${serial}-0123456789`,
      token_type: 'Bearer',
      expires_in: 600,
      id_token: await idToken(),
    }));
    home.token(token.route);
    const before = box.raw();
    const result = await spawnCli(['token'], { env: box.env });
    return { result, box, before, session, original };
  }

  const refused: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'another subject',
      () => home.idToken({ aud: 'cli', sub: 'mallory' }),
      /sub "mallory" differs from the signed-in "alice".*§12\.2/,
    ],
    [
      'another issuer',
      () => home.idToken({ aud: 'cli', sub: 'alice', iss: 'https://elsewhere.example' }),
      /iss|issuer/,
    ],
    ['an audience without the client', () => home.idToken({ aud: 'another-client', sub: 'alice' }), /aud/],
    ['a signature by another key', () => home.idToken({ aud: 'cli', sub: 'alice' }, {}, otherKey), /signature/i],
    [
      'an expired token',
      () => home.idToken({ aud: 'cli', sub: 'alice', iat: now() - 7200, exp: now() - 3600 }),
      /expired|exp/,
    ],
    ['another auth_time', () => home.idToken({ aud: 'cli', sub: 'alice', auth_time: now() }), /auth_time/],
    [
      'an azp where the sign-in had none',
      () => home.idToken({ aud: 'cli', sub: 'alice', azp: 'cli' }),
      /azp "cli" where the sign-in’s had none/,
    ],
    ['a token not yet valid', () => home.idToken({ aud: 'cli', sub: 'alice', nbf: now() + 3600 }), /nbf|not yet valid/],
  ];
  for (const [name, idToken, reason] of refused) {
    it(`${name}: exit 3 ID_TOKEN_INVALID, the stored session unchanged but for the refresh token the server rotated to`, async () => {
      const { result, box, session } = await refreshWith(idToken);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain('error[ID_TOKEN_INVALID]');
      expect(result.stderr).toMatch(reason);
      expect(result.stderr).toContain(
        'The stored tokens were left as they were (only a new refresh token, if the server sent one, was kept).',
      );
      expect(result.stderr).toContain('sign in again with "oauth login"');
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toMatch(STACK_TRACE);
      // The server may have retired the refresh token it was sent: the one it answered with is the one kept.
      expect(box.session().refresh_token).toMatch(/^rotated-refresh-\d+-0123456789$/);
      expect({ ...box.session(), refresh_token: session.refresh_token }).toEqual(session);
    });
  }

  it('the same subject, issuer and client: saved and handed out', async () => {
    const { result, box } = await refreshWith(async () => home.idToken({ aud: 'cli', sub: 'alice' }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^refreshed-access-/);
    expect(box.session()).toMatchObject({
      subject: 'alice',
      refresh_token: expect.stringMatching(/^rotated-refresh-/),
    });
  });
});

describe('a refresh answer refused after the server rotated the refresh token', () => {
  it('keeps the rotated refresh token (a scope of the wrong type, exit 5): the next run presents the new one, never the old', async () => {
    const session = storedSession(home.issuer, { expires_at: now() - 10 });
    const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
    const token = recording(() => ({
      access_token: 'odd-access-0123456789',
      refresh_token: 'rotated-after-odd-answer-0123456789',
      token_type: 'Bearer',
      expires_in: 600,
      scope: ['api'],
    }));
    home.token(token.route);
    const result = await spawnCli(['token'], { env: box.env });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stdout + result.stderr).not.toContain('rotated-after-odd-answer-0123456789');
    expect(box.session().refresh_token).toBe('rotated-after-odd-answer-0123456789');
    expect(box.session().access_token).toBe(session.access_token);
  });
});

describe('a refresh the server refuses', () => {
  const refusals: Array<[string, Route, RegExp]> = [
    ['400 with an empty body', raw(400, ''), /HTTP 400 with an empty body/],
    [
      '400 with an HTML page',
      raw(400, '<html><body>Bad request</body></html>', { 'content-type': 'text/html' }),
      /HTTP 400 with an HTML page/,
    ],
    [
      '400 invalid_grant',
      raw(400, JSON.stringify({ error: 'invalid_grant', error_description: 'grant revoked' }), {
        'content-type': 'application/json',
      }),
      /invalid_grant \(grant revoked\)/,
    ],
    [
      '400 invalid_request',
      raw(400, JSON.stringify({ error: 'invalid_request' }), { 'content-type': 'application/json' }),
      /invalid_request/,
    ],
    ['401 with a text body', raw(401, 'unauthorized', { 'content-type': 'text/plain' }), /HTTP 401: unauthorized/],
    ['401 with an empty body', raw(401, ''), /HTTP 401 with an empty body/],
  ];
  for (const [name, route, message] of refusals) {
    it(`${name}: REFRESH_TOKEN_REJECTED (exit 4, sign in again), and the refresh token is forgotten`, async () => {
      const session = storedSession(home.issuer, { expires_at: now() - 10 });
      const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
      home.token(route);
      const result = await spawnCli(['token'], { env: box.env });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toContain('error[REFRESH_TOKEN_REJECTED]');
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('hint: Sign in again: oauth login');
      expect(result.stderr).not.toContain(session.refresh_token);
      expect(box.session().refresh_token).toBeUndefined();
      const status = await spawnCli(['status'], { env: box.env });
      expect(status.stdout).toContain('refresh token no');
      expect(status.stdout).not.toContain('refresh token yes');
    });
  }

  it('invalid_client is the client’s credentials, not the refresh token: exit 5, the refresh token kept', async () => {
    const session = storedSession(home.issuer, { expires_at: now() - 10 });
    const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
    home.token(raw(400, JSON.stringify({ error: 'invalid_client' }), { 'content-type': 'application/json' }));
    const result = await spawnCli(['token'], { env: box.env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('invalid_client');
    expect(box.session().refresh_token).toBe(session.refresh_token);
  });
});

describe('a slow token endpoint', () => {
  /** A token endpoint that holds its first answer until `answer()`: the refresh tokens presented, in order. */
  function heldTokenEndpoint(prefix: string) {
    const presented: string[] = [];
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    home.token(async (request, response) => {
      presented.push((await form(request)).get('refresh_token') ?? '');
      if (presented.length === 1) await answered;
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          access_token: `${prefix}-access-${presented.length}-0123456789`,
          refresh_token: `${prefix}-refresh-${presented.length}-0123456789`,
          token_type: 'Bearer',
          expires_in: 600,
        }),
      );
    });
    return { presented, answer };
  }

  it('a second run waits for the first one’s refresh (--timeout 120) and never presents the refresh token again', async () => {
    const session = storedSession(home.issuer, { expires_at: now() - 10 });
    const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
    const { presented, answer } = heldTokenEndpoint('slow');
    const start = (name: string) => {
      const child = spawn(process.execPath, [BIN, 'token', '--timeout', '120', '-v'], {
        env: { PATH: process.env.PATH, ...box.env } as NodeJS.ProcessEnv,
      });
      const run = {
        name,
        stdout: '',
        stderr: '',
        code: new Promise<number | null>((resolve) => child.on('close', resolve)),
      };
      child.stdout.on('data', (chunk) => (run.stdout += chunk));
      child.stderr.on('data', (chunk) => (run.stderr += chunk));
      return run;
    };
    const until = async (what: string, done: () => boolean) => {
      for (let turn = 0; turn < 800 && !done(); turn++) await new Promise((resolve) => setTimeout(resolve, 25));
      if (!done()) throw new Error(`never saw: ${what}`);
    };
    const first = start('first');
    await until('the first refresh request', () => presented.length === 1);
    const second = start('second');
    await until('the second run waiting for the lock', () =>
      second.stderr.includes('waiting for another oauth process'),
    );
    answer();
    expect([await first.code, await second.code], first.stderr + second.stderr).toEqual([0, 0]);
    expect(presented).toEqual([session.refresh_token]);
    expect(second.stdout).toBe(first.stdout);
    expect(box.session().refresh_token).toBe('slow-refresh-1-0123456789');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM (timeout, CI cancellation)'} after the refresh token was sent: the answer is still saved (exit 130), so no run presents the old one again`, async () => {
      const session = storedSession(home.issuer, { expires_at: now() - 10 });
      const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
      const { presented, answer } = heldTokenEndpoint('rotated');
      const child = spawn(process.execPath, [BIN, 'token', '--timeout', '120'], {
        env: { PATH: process.env.PATH, ...box.env } as NodeJS.ProcessEnv,
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = new Promise<number | null>((resolve) => child.on('close', resolve));
      for (let turn = 0; turn < 400 && presented.length === 0; turn++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      child.kill(signal);
      for (let turn = 0; turn < 400 && !stderr.includes('Finishing what the server has already received'); turn++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      answer();
      expect(await code, stderr).toBe(130);
      expect(box.session().refresh_token).toBe('rotated-refresh-1-0123456789');
      const next = await spawnCli(['token', '--refresh'], { env: box.env });
      expect(next.code, next.stderr).toBe(0);
      expect(presented).toEqual([session.refresh_token, 'rotated-refresh-1-0123456789']);
    });
  }
});

describe('every write of a session goes under the profile’s session lock', () => {
  /** Starts oauth as a real process; its output is read as it comes. */
  function start(args: string[], env: Record<string, string | undefined>) {
    const child = spawn(process.execPath, [BIN, ...args, '-v'], {
      env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
    });
    const run = { stdout: '', stderr: '', code: new Promise<number | null>((resolve) => child.on('close', resolve)) };
    child.stdout.on('data', (chunk) => (run.stdout += chunk));
    child.stderr.on('data', (chunk) => (run.stderr += chunk));
    return run;
  }
  async function until(what: string | (() => string), done: () => boolean) {
    for (let turn = 0; turn < 800 && !done(); turn++) await new Promise((resolve) => setTimeout(resolve, 25));
    if (!done()) throw new Error(`never saw: ${typeof what === 'function' ? what() : what}`);
  }
  /**
   * Plays a refresh in flight: holds the profile's lock (as a live process on this host), lets the command start and
   * find it held, saves the "refreshed" session, then releases — as a refresh that began before the command would.
   */
  async function refreshInFlight(
    box: ReturnType<typeof sandbox>,
    startCommand: () => ReturnType<typeof start>,
    refreshed: object,
  ): Promise<ReturnType<typeof start>> {
    let command: ReturnType<typeof start> | undefined;
    const [{ withFileLock }, { sessionLockPath }] = await Promise.all([
      import('../../src/store/lock.js'),
      import('../../src/oauth/session.js'),
    ]);
    // The lock is held before the command starts: a command faster than this test's own start would otherwise take it
    // first and never wait.
    await withFileLock(sessionLockPath(join(box.env.XDG_STATE_HOME!, 'oauth'), 'default'), async () => {
      const running = startCommand();
      command = running;
      await until(
        () => `the command waiting for the profile’s lock (it printed: ${JSON.stringify(running.stderr)})`,
        () => running.stderr.includes('waiting for another oauth process'),
      );
      const file = JSON.parse(box.raw());
      file.entries['profile:default'] = JSON.stringify(refreshed);
      writeFileSync(box.file, JSON.stringify(file));
    });
    return command!;
  }

  it('logout waits for a refresh in flight, then revokes and deletes what it saved: status says signed out', async () => {
    const session = storedSession(home.issuer, { endpoints: { revocation_endpoint: `${home.issuer}/revoke` } });
    const box = sandbox(
      { default: session },
      { default: { issuer: home.issuer, client_id: 'cli', revocation_endpoint: `${home.issuer}/revoke` } },
    );
    const revocation = recording(() => undefined);
    home.server.route('/revoke', revocation.route);
    const refreshed = {
      ...session,
      access_token: 'refreshed-in-flight-access-0123456789',
      refresh_token: 'refreshed-in-flight-refresh-0123456789',
    };
    const logout = await refreshInFlight(box, () => start(['logout'], box.env), refreshed);
    expect(await logout.code, logout.stderr).toBe(0);
    expect(revocation.seen.map((seen) => seen.form.get('token'))).toEqual([
      refreshed.refresh_token,
      refreshed.access_token,
    ]);
    expect(box.session()).toBeUndefined();
    const status = await spawnCli(['status'], { env: box.env });
    expect(status.stdout).toContain('not signed in');
  });

  it('login waits for a refresh in flight of the previous session, and its own session is the one kept', async () => {
    const previous = storedSession(home.issuer, { client_id: 'old-client' });
    const box = sandbox({ default: previous }, { default: { issuer: home.issuer, client_id: 'old-client' } });
    home.token(
      recording(() => ({
        access_token: 'new-login-access-0123456789',
        refresh_token: 'new-login-refresh-0123456789',
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'api',
      })).route,
    );
    const login = await refreshInFlight(
      box,
      () =>
        start(
          ['login', '--issuer', home.issuer, '--client-id', 'new-client', '--scope', 'api', '--login-timeout', '10'],
          { ...box.env, BROWSER: SIMULATED_BROWSER },
        ),
      { ...previous, access_token: 'old-client-refreshed-0123456789' },
    );
    expect(await login.code, login.stderr).toBe(0);
    expect(box.session()).toMatchObject({ client_id: 'new-client', access_token: 'new-login-access-0123456789' });
    const status = await spawnCli(['status', '--json'], { env: box.env });
    expect(JSON.parse(status.stdout).profiles[0]).toMatchObject({ client_id: 'new-client', signed_in: true });
  });

  it('status shows the session’s own issuer and client, not what the profile says now', async () => {
    const session = storedSession(home.issuer, { client_id: 'signed-in-client' });
    const box = sandbox({ default: session }, { default: { issuer: other.issuer, client_id: 'edited-later' } });
    const status = await spawnCli(['status', '--json'], { env: box.env });
    expect(JSON.parse(status.stdout).profiles[0]).toMatchObject({ issuer: home.issuer, client_id: 'signed-in-client' });
  });
});

describe('flags beat the session', () => {
  // RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
  const basic = (authorization: string | undefined) =>
    authorization
      ? Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
          .toString('utf8')
          .split(':')
          .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
          .join(':')
      : undefined;

  it('introspect --client-id rs authenticates as rs with rs’s own secret, never with the profile’s client or stored secret', async () => {
    // The introspection endpoint was given at sign-in: the profile's token goes there.
    const session = storedSession(home.issuer, {
      client_secret: 'stored-secret-of-cli-0123456789',
      endpoints: { introspection_endpoint: `${home.issuer}/introspect` },
    });
    const box = sandbox(
      { default: session },
      { default: { issuer: home.issuer, client_id: 'cli', introspection_endpoint: `${home.issuer}/introspect` } },
    );
    const introspection = recording(() => ({ active: true, sub: 'alice' }));
    home.server.route('/introspect', introspection.route);
    const endpoint = ['--introspection-endpoint', `${home.issuer}/introspect`];
    const result = await spawnCli(['introspect', '--client-id', 'rs', ...endpoint], {
      env: { ...box.env, OAUTH_CLIENT_SECRET: 'secret-of-rs-0123456789' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(basic(introspection.seen[0]!.authorization)).toBe('rs:secret-of-rs-0123456789');
    expect(introspection.seen[0]!.form.get('token')).toBe(session.access_token);
    // rs without a secret of its own is a public client: the profile's stored secret is not lent to it.
    const bare = await spawnCli(['introspect', '--client-id', 'rs', ...endpoint], { env: box.env });
    expect(bare.code, bare.stderr).toBe(0);
    expect(introspection.seen[1]!.authorization).toBeUndefined();
    expect(introspection.seen[1]!.form.get('client_id')).toBe('rs');
    expect(JSON.stringify(introspection.seen.map((seen) => [seen.authorization, seen.form.toString()]))).not.toContain(
      'stored-secret-of-cli',
    );
  });

  it('revoke --profile conf <token> authenticates with the secret stored by conf’s sign-in', async () => {
    const session = storedSession(home.issuer, {
      client_id: 'confidential-app',
      client_secret: 'stored-secret-of-conf-0123456789',
      endpoints: { revocation_endpoint: `${home.issuer}/revoke` },
    });
    const box = sandbox(
      { conf: session },
      {
        conf: {
          issuer: home.issuer,
          client_id: 'confidential-app',
          auth_method: 'client_secret_basic',
          revocation_endpoint: `${home.issuer}/revoke`,
        },
      },
    );
    const revocation = recording(() => undefined);
    home.server.route('/revoke', revocation.route);
    const result = await spawnCli(
      [
        'revoke',
        '--profile',
        'conf',
        'some-token-to-revoke-0123456789',
        '--revocation-endpoint',
        `${home.issuer}/revoke`,
      ],
      { env: box.env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(basic(revocation.seen[0]!.authorization)).toBe('confidential-app:stored-secret-of-conf-0123456789');
    expect(result.stdout + result.stderr).not.toContain('stored-secret-of-conf');
  });

  it('a credential given now beats the auth method the sign-in saved: --private-key after a secret, a secret after a key', async () => {
    const keyFile = join(sandboxEnv().HOME!, 'cli-key.json');
    const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    writeFileSync(keyFile, JSON.stringify(await jose.exportJWK(privateKey)));
    const answer = () => ({
      access_token: `switched-access-${Date.now()}-0123456789`,
      token_type: 'Bearer',
      expires_in: 600,
    });

    const secretSession = storedSession(home.issuer, { client_secret: 'stored-secret-of-cli-0123456789' });
    const secretBox = sandbox(
      { default: secretSession },
      { default: { issuer: home.issuer, client_id: 'cli', auth_method: 'client_secret_basic' } },
    );
    const withKey = recording(answer);
    home.token(withKey.route);
    const keyed = await spawnCli(['token', '--refresh', '--private-key', keyFile], { env: secretBox.env });
    expect(keyed.code, keyed.stderr).toBe(0);
    expect(withKey.seen[0]!.authorization).toBeUndefined();
    expect(withKey.seen[0]!.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    const service = await spawnCli(['token', '--client-credentials', '--private-key', keyFile], { env: secretBox.env });
    expect(service.code, service.stderr).toBe(0);
    expect(withKey.seen[1]!.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );

    const keySession = storedSession(home.issuer);
    const keyBox = sandbox(
      { default: keySession },
      { default: { issuer: home.issuer, client_id: 'cli', auth_method: 'private_key_jwt', private_key: keyFile } },
    );
    const withSecret = recording(answer);
    home.token(withSecret.route);
    const secreted = await spawnCli(['token', '--refresh'], {
      env: { ...keyBox.env, OAUTH_CLIENT_SECRET: 'secret-given-now-0123456789' },
    });
    expect(secreted.code, secreted.stderr).toBe(0);
    expect(basic(withSecret.seen[0]!.authorization)).toBe('cli:secret-given-now-0123456789');
    expect(withSecret.seen[0]!.form.get('client_assertion')).toBeNull();

    // An explicit --auth-method that the credential given does not fit: exit 2, nothing sent.
    const conflict = await spawnCli(
      ['token', '--refresh', '--auth-method', 'client_secret_post', '--private-key', keyFile],
      { env: keyBox.env },
    );
    expect(conflict.code, conflict.stderr).toBe(2);
    expect(conflict.stderr).toContain('--auth-method client_secret_post does not fit the credential given');
    expect(withSecret.seen).toHaveLength(1);
  });

  it('check --client-credentials uses --auth-method and --private-key', async () => {
    const token = recording(async () => ({
      access_token: await home.idToken({ aud: 'api', sub: 'svc', client_id: 'svc' }),
      token_type: 'Bearer',
      expires_in: 300,
    }));
    home.token(token.route);
    const env = sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_CLIENT_SECRET: 'secret-of-svc-0123456789' });
    const post = await runCli(
      [
        'check',
        '--issuer',
        home.issuer,
        '--client-id',
        'svc',
        '--client-credentials',
        '--auth-method',
        'client_secret_post',
        '--json',
      ],
      { env },
    );
    expect([0, 3], post.stderr).toContain(post.code);
    expect(token.seen[0]!.authorization).toBeUndefined();
    expect(token.seen[0]!.form.get('client_secret')).toBe('secret-of-svc-0123456789');

    const keyFile = join(env.HOME!, 'svc-key.json');
    const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    writeFileSync(keyFile, JSON.stringify({ ...(await jose.exportJWK(privateKey)), kid: 'svc-1' }));
    const jwt = await runCli(
      [
        'check',
        '--issuer',
        home.issuer,
        '--client-id',
        'svc',
        '--client-credentials',
        '--private-key',
        keyFile,
        '--json',
      ],
      { env: sandboxEnv({ OAUTH_STORE: 'memory' }) },
    );
    expect([0, 3], jwt.stderr).toContain(jwt.code);
    expect(token.seen[1]!.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    expect(token.seen[1]!.form.get('client_secret')).toBeNull();

    // Without any credential the request is not sent: the server could only say invalid_client.
    const none = await runCli(['check', '--issuer', home.issuer, '--client-id', 'svc', '--client-credentials'], {
      env: sandboxEnv({ OAUTH_STORE: 'memory' }),
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('OAUTH_CLIENT_SECRET');
    expect(token.seen).toHaveLength(2);
  });

  it('a confidential client without a stated auth method is client_secret_basic (RFC 7591 §2), never "none"', async () => {
    const env = sandboxEnv();
    const file = join(env.HOME!, 'registration.json');
    writeFileSync(file, JSON.stringify({ client_id: 'web', redirect_uris: ['https://app.example.com/cb'] }));
    for (const args of [
      ['--client-id', 'web', '--redirect-uri', 'https://app.example.com/cb', '--confidential'],
      ['--client-file', file],
    ]) {
      const result = await runCli(['check', ...args, '--json'], { env });
      const findings = JSON.parse(result.stdout).findings as Array<{ id: string; subject: string; message: string }>;
      expect(findings.map((item) => item.id)).not.toContain('client-confidential-auth-none');
      expect(JSON.stringify(findings)).not.toMatch(/"none"/);
      expect(findings.find((item) => item.id === 'client-prefer-asymmetric-auth')).toMatchObject({
        subject: 'client_secret_basic',
        message: expect.stringContaining('RFC 7591 default'),
      });
    }
    // Declared public, or said "none": still none.
    const declared = await runCli(
      ['check', '--client-id', 'cli', '--redirect-uri', 'http://127.0.0.1/callback', '--public', '--json'],
      { env },
    );
    expect(JSON.parse(declared.stdout).findings.map((item: { id: string }) => item.id)).not.toContain(
      'client-prefer-asymmetric-auth',
    );
  });
});

describe('one token input for every command that takes a token', () => {
  const T = 'opaque-token-to-act-on-0123456789';
  const forms: Array<[string, string[], string | undefined]> = [
    ['the token', [T], undefined],
    ['Bearer <token>', [`Bearer ${T}`], undefined],
    ['an Authorization header line', [`Authorization: Bearer ${T}`], undefined],
    ['padded with spaces', [`  ${T}  `], undefined],
    ['"-" with Bearer <token> on stdin', ['-'], `Bearer ${T}\n`],
  ];

  it('revoke and introspect send the token itself, whatever form it was given in', async () => {
    const revocation = recording(() => undefined);
    const introspection = recording(() => ({ active: true }));
    home.server.route('/revoke', revocation.route);
    home.server.route('/introspect', introspection.route);
    const env = sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_ISSUER: home.issuer, OAUTH_CLIENT_ID: 'cli' });
    for (const [name, args, stdin] of forms) {
      const revoked = await runCli(['revoke', ...args, '--revocation-endpoint', `${home.issuer}/revoke`], {
        env,
        ...(stdin ? { stdin } : {}),
      });
      expect(revoked.code, `${name}: ${revoked.stderr}`).toBe(0);
      expect(revocation.seen.at(-1)!.form.get('token'), name).toBe(T);
      const introspected = await runCli(
        ['introspect', ...args, '--introspection-endpoint', `${home.issuer}/introspect`],
        { env, ...(stdin ? { stdin } : {}) },
      );
      expect(introspected.code, `${name}: ${introspected.stderr}`).toBe(0);
      expect(introspection.seen.at(-1)!.form.get('token'), name).toBe(T);
      expect(revoked.stdout + revoked.stderr + introspected.stdout + introspected.stderr).not.toContain(T);
    }
  });

  it('an empty token ("Bearer " alone) is a usage error, not a request', async () => {
    const revocation = recording(() => undefined);
    home.server.route('/revoke', revocation.route);
    const env = sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_ISSUER: home.issuer, OAUTH_CLIENT_ID: 'cli' });
    const result = await runCli(['revoke', 'Bearer ', '--revocation-endpoint', `${home.issuer}/revoke`], { env });
    expect(result.code).toBe(2);
    expect(revocation.seen).toEqual([]);
  });
});

describe('a revoked token never comes back from a cache', () => {
  it('revoke of a cached service token drops it: the next oauth token --client-credentials gets a new one', async () => {
    let issued = 0;
    const token = recording(() => ({
      access_token: `service-token-${++issued}-0123456789`,
      token_type: 'Bearer',
      expires_in: 600,
    }));
    home.token(token.route);
    const revocation = recording(() => undefined);
    home.server.route('/revoke', revocation.route);
    const env = sandboxEnv({ OAUTH_STORE: 'file', OAUTH_CLIENT_SECRET: 'secret-of-svc-0123456789' });
    const serviceToken = (...extra: string[]) =>
      spawnCli(['token', '--client-credentials', '--issuer', home.issuer, '--client-id', 'svc', ...extra], { env });
    const first = await serviceToken();
    expect(first.code, first.stderr).toBe(0);
    expect((await serviceToken()).stdout).toBe(first.stdout);
    expect(token.seen).toHaveLength(1);
    const revoked = await spawnCli(
      [
        'revoke',
        `Bearer ${first.stdout.trim()}`,
        '--issuer',
        home.issuer,
        '--client-id',
        'svc',
        '--revocation-endpoint',
        `${home.issuer}/revoke`,
      ],
      { env },
    );
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('Dropped the cached service token');
    const after = await serviceToken();
    expect(after.code).toBe(0);
    expect(after.stdout).not.toBe(first.stdout);
    expect(token.seen).toHaveLength(2);
    expect((await serviceToken()).stdout).toBe(after.stdout);
  });

  it('a service token cached by an earlier version (no index entry) is found by revoke too', async () => {
    const { serviceTokenKey } = await import('../../src/oauth/session.js');
    const secret = 'secret-of-legacy-svc-0123456789';
    const key = serviceTokenKey({
      issuer: home.issuer,
      clientId: 'svc',
      authMethod: 'client_secret_basic',
      credential: secret,
      scope: '',
      parameters: {},
    });
    const legacy = {
      version: 1,
      issuer: home.issuer,
      client_id: 'svc',
      access_token: 'legacy-service-token-0123456789',
      token_type: 'Bearer',
      obtained_at: now(),
      expires_at: now() + 600,
    };
    const env = sandboxEnv({ OAUTH_STORE: 'file', OAUTH_CLIENT_SECRET: secret });
    mkdirSync(join(env.XDG_STATE_HOME!, 'oauth'), { recursive: true });
    writeFileSync(
      join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json'),
      JSON.stringify({ version: 1, entries: { [key]: JSON.stringify(legacy) } }),
    );
    const token = recording(() => ({
      access_token: `fresh-service-token-${Date.now()}-0123456789`,
      token_type: 'Bearer',
      expires_in: 600,
    }));
    home.token(token.route);
    home.server.route('/revoke', recording(() => undefined).route);
    const serviceToken = () =>
      spawnCli(['token', '--client-credentials', '--issuer', home.issuer, '--client-id', 'svc'], { env });
    expect((await serviceToken()).stdout).toBe(`${legacy.access_token}\n`);
    const revoked = await spawnCli(
      [
        'revoke',
        legacy.access_token,
        '--issuer',
        home.issuer,
        '--client-id',
        'svc',
        '--revocation-endpoint',
        `${home.issuer}/revoke`,
      ],
      { env },
    );
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = await serviceToken();
    expect(after.stdout).toMatch(/^fresh-service-token-/);
    expect(token.seen).toHaveLength(1);
  });

  it('revoke of the profile’s access token: the next oauth token refreshes instead of handing it out', async () => {
    const session = storedSession(home.issuer);
    const box = sandbox({ default: session }, { default: { issuer: home.issuer, client_id: 'cli' } });
    home.server.route('/revoke', recording(() => undefined).route);
    const refresh = recording(() => ({
      access_token: 'after-revoke-access-0123456789',
      token_type: 'Bearer',
      expires_in: 600,
    }));
    home.token(refresh.route);
    const revoked = await spawnCli(['revoke', session.access_token, '--revocation-endpoint', `${home.issuer}/revoke`], {
      env: box.env,
    });
    expect(revoked.code, revoked.stderr).toBe(0);
    const next = await spawnCli(['token'], { env: box.env });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toBe('after-revoke-access-0123456789\n');
    expect(refresh.seen[0]!.form.get('refresh_token')).toBe(session.refresh_token);
  });

  it('revoke of a token drops it from every profile that holds it, not only the current one', async () => {
    const session = storedSession(home.issuer);
    const copy = { ...storedSession(home.issuer), access_token: session.access_token };
    const box = sandbox(
      { default: session, p2: copy },
      { default: { issuer: home.issuer, client_id: 'cli' }, p2: { issuer: home.issuer, client_id: 'cli' } },
    );
    home.server.route('/revoke', recording(() => undefined).route);
    home.token(
      recording(() => ({ access_token: 'p2-after-revoke-access-0123456789', token_type: 'Bearer', expires_in: 600 }))
        .route,
    );
    const revoked = await spawnCli(['revoke', session.access_token, '--revocation-endpoint', `${home.issuer}/revoke`], {
      env: box.env,
    });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain("profile p2's access token");
    const p2 = await spawnCli(['token', '--profile', 'p2'], { env: box.env });
    expect(p2.code, p2.stderr).toBe(0);
    expect(p2.stdout).toBe('p2-after-revoke-access-0123456789\n');
  });

  it('the service-token cache is keyed by every request parameter and by the key itself, not its file’s path', async () => {
    let issued = 0;
    const token = recording(() => ({
      access_token: `keyed-service-token-${++issued}-0123456789`,
      token_type: 'Bearer',
      expires_in: 600,
    }));
    home.token(token.route);
    const env = sandboxEnv({ OAUTH_STORE: 'file' });
    const keyFile = join(env.HOME!, 'svc-key.json');
    const writeKey = async () =>
      writeFileSync(
        keyFile,
        JSON.stringify(await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey)),
      );
    await writeKey();
    const serviceToken = (...extra: string[]) =>
      spawnCli(
        [
          'token',
          '--client-credentials',
          '--issuer',
          home.issuer,
          '--client-id',
          'svc',
          '--private-key',
          keyFile,
          ...extra,
        ],
        { env },
      );
    const runs = [
      await serviceToken('--param', 'tenant=a'),
      await serviceToken('--param', 'tenant=a'), // the same request: from the cache
      await serviceToken('--param', 'tenant=b'),
      await serviceToken('--param', 'tenant=a', '--resource', 'https://api.example.com'),
      await serviceToken('--param', 'tenant=a', '--audience', 'api'),
    ];
    await writeKey(); // another key at the same path
    runs.push(await serviceToken('--param', 'tenant=a'));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(runs.map((run) => run.stdout.trim().replace(/^keyed-service-token-(\d+)-.*/, '$1'))).toEqual([
      '1',
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    expect(token.seen).toHaveLength(5);
  });

  it('a service token says where it is kept, or that it is not, and never to sign in again', async () => {
    home.token(
      recording(() => ({
        access_token: `service-token-human-${Date.now()}-0123456789`,
        token_type: 'Bearer',
        expires_in: 600,
      })).route,
    );
    const env = sandboxEnv({ OAUTH_STORE: 'file', OAUTH_CLIENT_SECRET: 'secret-of-svc-0123456789' });
    const args = ['token', '--client-credentials', '--issuer', home.issuer, '--client-id', 'svc', '-o', 'human'];
    const uncached = await spawnCli([...args, '--no-cache'], { env });
    expect(uncached.code, uncached.stderr).toBe(0);
    expect(uncached.stdout).not.toContain('stored in');
    expect(uncached.stdout).toContain('not stored     (--no-cache)');
    const cached = await spawnCli(args, { env });
    expect(cached.stdout).toMatch(/stored in\s+file .*tokens\.json/);
    for (const result of [uncached, cached]) {
      expect(result.stdout).toContain('Service token');
      expect(result.stdout).not.toMatch(/sign in again/i);
      expect(result.stdout).toContain('get a new one with oauth token --client-credentials');
    }
  });
});

describe('a write that does not stick', () => {
  it('a token file that keeps nothing (entries: []) makes login fail clearly, never "Signed in", tokens printed nowhere', async () => {
    const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, OAUTH_STORE: 'file' });
    const dir = join(env.XDG_STATE_HOME!, 'oauth');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tokens.json'), '{"version":1,"entries":[]}');
    const result = await spawnCli(
      ['login', '--issuer', as.issuer, '--client-id', 'oauth-cli', '--scope', 'openid offline_access'],
      { env, timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('error[STORE_CORRUPT]');
    expect(result.stdout).not.toContain('Signed in');
    expect(result.stdout + result.stderr).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(readFileSync(join(dir, 'tokens.json'), 'utf8')).toBe('{"version":1,"entries":[]}');
  });
});
