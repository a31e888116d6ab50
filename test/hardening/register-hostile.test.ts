// A registration endpoint (RFC 7591) and client configuration endpoint (RFC 7592) that misbehave: they echo the
// secrets they received, put control characters in what we print, answer errors with a bare status, hand out a
// management URI we must not send a token to, or leave out the client id. Each run ends with the right exit code,
// prints no secret whole and no raw control character.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, STACK_TRACE, type CliResult } from '../helpers/cli.js';
import { INJECTED } from '../helpers/echo-as.js';
import { recordSecret } from '../helpers/leak-scan.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-as.js';
import { json, raw, type Route } from '../helpers/server.js';
import { userHome } from '../helpers/sign-in.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const INITIAL_ACCESS_TOKEN = 'initial-access-token-hostile-0123456789';
const CLIENT_SECRET = 'registered-client-secret-hostile-0123456789abcdef';
const REGISTRATION_TOKEN = 'registration-access-token-hostile-0123456789';
for (const secret of [INITIAL_ACCESS_TOKEN, CLIENT_SECRET, REGISTRATION_TOKEN]) recordSecret(secret);

let hostile: HostileServer;
beforeAll(async () => {
  hostile = await startHostileServer();
  const { issuer } = hostile;
  hostile.server.route(
    '/.well-known/openid-configuration',
    json({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    }),
  );
});
afterAll(() => hostile.close());

const bearer = (request: IncomingMessage) => request.headers.authorization?.replace(/^Bearer /, '') ?? '';
const status =
  (code: number, body: (request: IncomingMessage) => unknown): Route =>
  (request, response) => {
    response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body(request)));
  };
const created = (body: Record<string, unknown>): Route => status(201, () => body);

function clean(result: CliResult, what: string): void {
  expect(result.stderr, what).not.toMatch(STACK_TRACE);
  expect(result.stdout + result.stderr, what).not.toMatch(CONTROL);
  for (const secret of [INITIAL_ACCESS_TOKEN, CLIENT_SECRET, REGISTRATION_TOKEN])
    expect(result.stdout + result.stderr, what).not.toContain(secret);
}

function register(env: Record<string, string | undefined>, ...extra: string[]) {
  return spawnCli(['register', '--issuer', hostile.issuer, ...extra], {
    env: { ...env, OAUTH_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN },
  });
}

describe('a hostile registration endpoint', () => {
  it('echoes the initial access token in error_description: redacted, exit 5', async () => {
    hostile.server.route(
      '/register',
      status(400, (request) => ({
        error: 'invalid_client_metadata',
        error_description: `you sent ${bearer(request)}`,
      })),
    );
    const result = await register(userHome().env);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('invalid_client_metadata');
    clean(result, 'echoed initial access token');
  });

  it('a 401 that echoes the token is an authentication failure: exit 4, redacted', async () => {
    hostile.server.route(
      '/register',
      status(401, (request) => ({ error: 'invalid_token', error_description: `bad token ${bearer(request)}` })),
    );
    const result = await register(userHome().env);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('OAUTH_INITIAL_ACCESS_TOKEN');
    clean(result, '401 echo');
  });

  it('control characters in error_description and client_id are never printed raw', async () => {
    hostile.server.route(
      '/register',
      status(400, () => ({ error: 'invalid_redirect_uri', error_description: INJECTED })),
    );
    const described = await register(userHome().env);
    expect(described.code).toBe(5);
    expect(described.stderr).not.toContain('\nhint: forged-line');
    clean(described, 'error_description');

    hostile.server.route('/register', created({ client_id: `client${INJECTED}` }));
    const home = userHome();
    const id = await register(home.env);
    expect(id.code).toBe(5);
    expect(id.stderr).toMatch(/client_id is not printable ASCII/);
    clean(id, 'client_id');
    expect(() => home.storedEntries()).toThrow();
  });

  it('an empty-bodied 400 is said with its status (exit 5); an empty 401 asks for the token (exit 4)', async () => {
    hostile.server.route('/register', raw(400, ''));
    const bad = await register(userHome().env);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/registration endpoint .*answered HTTP 400 with an empty body/);
    clean(bad, 'empty 400');

    hostile.server.route('/register', raw(401, ''));
    const unauthorized = await register(userHome().env);
    expect(unauthorized.code).toBe(4);
    expect(unauthorized.stderr).toMatch(/HTTP 401/);
    clean(unauthorized, 'empty 401');
  });

  it('a response without client_id is refused (exit 5), nothing saved', async () => {
    hostile.server.route('/register', created({ client_secret: CLIENT_SECRET, client_secret_expires_at: 0 }));
    const home = userHome();
    const result = await register(home.env);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/client_id/);
    clean(result, 'no client_id');
    expect(() => home.storedEntries()).toThrow();
  });

  for (const [what, uri] of [
    ['plain http to a host that is not loopback', 'http://registration.example.com/reg/abc'],
    ['a file: URL', 'file:///etc/passwd'],
  ] as const) {
    it(`a registration_client_uri that is ${what}: the client is kept, its management is not (no token goes there)`, async () => {
      hostile.server.route(
        '/register',
        created({
          client_id: 'hostile-client',
          client_secret: CLIENT_SECRET,
          client_secret_expires_at: 0,
          registration_access_token: REGISTRATION_TOKEN,
          registration_client_uri: uri,
        }),
      );
      const home = userHome();
      const result = await register(home.env, '--auth-method', 'client_secret_basic');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe('hostile-client');
      expect(result.stderr).toMatch(/registration_client_uri/);
      expect(result.stderr).toContain('cannot be read or deleted');
      clean(result, what);
      const stored = JSON.parse(home.storedEntries()['registration:default']!);
      expect(stored).toMatchObject({ client_id: 'hostile-client', client_secret: CLIENT_SECRET });
      expect(stored.registration_client_uri).toBeUndefined();
      expect(stored.registration_access_token).toBeUndefined();

      const show = await spawnCli(['register', '--show'], { env: home.env });
      expect(show.code).toBe(2);
      clean(show, `${what}: --show`);
    });
  }
});

describe('login --register against a hostile server', () => {
  it('a refused registration ends the login before any sign-in: exit 5, nothing saved', async () => {
    hostile.server.route(
      '/register',
      status(400, (request) => ({ error: 'invalid_redirect_uri', error_description: `${bearer(request)}${INJECTED}` })),
    );
    const home = userHome({ OAUTH_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
    const result = await spawnCli(['login', '--issuer', hostile.issuer, '--register'], { env: home.env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('invalid_redirect_uri');
    expect(hostile.last.clientId).toBeUndefined();
    clean(result, 'login --register');
    expect(() => home.storedEntries()).toThrow();
  });

  it('a client id that is an https URL (a client ID metadata document) is used as it is: nothing is registered', async () => {
    const documentUrl = 'https://app.example.com/oauth/client.json';
    const registrations = hostile.server.hits.get('/register') ?? 0;
    const home = userHome({ SIMULATED_BROWSER_MODE: 'ignore' });
    const result = await spawnCli(
      ['login', '--issuer', hostile.issuer, '--register', '--client-id', documentUrl, '--login-timeout', '1'],
      { env: home.env },
    );
    expect(result.stderr).not.toContain('Registered client');
    expect(result.stderr).toContain(`client_id=${encodeURIComponent(documentUrl)}`);
    expect(hostile.server.hits.get('/register') ?? 0).toBe(registrations);
    expect(result.code).toBe(4);
    clean(result, 'client ID metadata document');
  });

  it('a server without a registration endpoint: exit 2, saying to pass --client-id', async () => {
    const plain = await startHostileServer();
    try {
      const result = await spawnCli(['login', '--issuer', plain.issuer, '--register'], { env: userHome().env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('no registration endpoint');
      expect(result.stderr).toContain('--client-id');
      clean(result, 'no registration endpoint');
    } finally {
      await plain.close();
    }
  });
});

describe('a hostile client configuration endpoint', () => {
  async function registeredHome() {
    hostile.server.route(
      '/register',
      created({
        client_id: 'managed-client',
        client_secret: CLIENT_SECRET,
        client_secret_expires_at: 0,
        registration_access_token: REGISTRATION_TOKEN,
        registration_client_uri: `${hostile.issuer}/register/managed-client`,
      }),
    );
    const home = userHome();
    const result = await register(home.env, '--auth-method', 'client_secret_post');
    expect(result.code, result.stderr).toBe(0);
    return home;
  }

  it('echoes the registration access token and client secret in a refusal: exit 4, redacted', async () => {
    const home = await registeredHome();
    hostile.server.route(
      '/register/managed-client',
      status(401, (request) => ({
        error: 'invalid_token',
        error_description: `token ${bearer(request)} for the client with secret ${CLIENT_SECRET}${INJECTED}`,
      })),
    );
    for (const action of ['--show', '--delete']) {
      const result = await spawnCli(['register', action], { env: home.env });
      expect(result.code, action).toBe(4);
      expect(result.stderr).toContain('oauth register');
      clean(result, action);
    }
    // A refused delete forgets nothing: the client still exists at the server.
    expect(home.storedEntries()['registration:default']).toBeDefined();
  });

  it('answers for another client, or with a secret full of control characters: exit 5', async () => {
    const home = await registeredHome();
    hostile.server.route('/register/managed-client', json({ client_id: 'someone-else' }));
    const other = await spawnCli(['register', '--show'], { env: home.env });
    expect(other.code).toBe(5);
    expect(other.stderr).toContain('another client_id');
    clean(other, 'other client');

    hostile.server.route('/register/managed-client', json({ client_id: 'managed-client', client_secret: INJECTED }));
    const injected = await spawnCli(['register', '--show'], { env: home.env });
    expect(injected.code).toBe(5);
    clean(injected, 'injected secret');
  });

  it('an empty-bodied 500 on delete: exit 5, the registration is kept', async () => {
    const home = await registeredHome();
    hostile.server.route('/register/managed-client', raw(500, ''));
    const result = await spawnCli(['register', '--delete'], { env: home.env });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/HTTP 500/);
    clean(result, 'empty 500');
    expect(home.storedEntries()['registration:default']).toBeDefined();
  });

  it('keeps a registration access token the server rotated on read', async () => {
    const home = await registeredHome();
    const rotated = 'rotated-registration-token-0123456789abcdef';
    recordSecret(rotated);
    hostile.server.route(
      '/register/managed-client',
      json({ client_id: 'managed-client', registration_access_token: rotated, client_name: 'x' }),
    );
    const result = await spawnCli(['register', '--show', '--json'], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain(rotated);
    const stored = JSON.parse(home.storedEntries()['registration:default']!);
    expect(stored.registration_access_token).toBe(rotated);
    expect(stored.client_secret).toBe(CLIENT_SECRET);
  });
});
