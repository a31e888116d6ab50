// A registration endpoint (RFC 7591) and client configuration endpoint (RFC 7592) that misbehave: they echo the
// secrets they received, put control characters in what we print, answer errors with a bare status, hand out a
// management URI we must not send a token to, or leave out the client id. Each run ends with the right exit code,
// prints no secret whole and no raw control character.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
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
  it.each([
    {
      name: 'echoes the initial access token in error_description: redacted, exit 5',
      code: 400,
      error: 'invalid_client_metadata',
      said: 'you sent',
      exit: 5,
      names: 'invalid_client_metadata',
      what: 'echoed initial access token',
    },
    {
      name: 'a 401 that echoes the token is an authentication failure: exit 4, redacted',
      code: 401,
      error: 'invalid_token',
      said: 'bad token',
      exit: 4,
      names: 'OAUTH_INITIAL_ACCESS_TOKEN',
      what: '401 echo',
    },
  ])('$name', async ({ code, error, said, exit, names, what }) => {
    hostile.server.route(
      '/register',
      status(code, (request) => ({ error, error_description: `${said} ${bearer(request)}` })),
    );
    const result = await register(userHome().env);
    expect(result.code).toBe(exit);
    expect(result.stderr).toContain(names);
    clean(result, what);
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

  it("a client_id longer than 1024 characters is the server's error (exit 5), nothing saved or printed whole", async () => {
    const long = 'x'.repeat(200_000);
    hostile.server.route('/register', created({ client_id: long }));
    const home = userHome();
    const result = await register(home.env);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('more than the 1024');
    expect((result.stdout + result.stderr).length).toBeLessThan(5000);
    clean(result, 'long client_id');
    expect(() => home.storedEntries()).toThrow();
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

  it('a client_secret_expires_at no Date can hold is shown as it came: exit 0, the client saved', async () => {
    hostile.server.route(
      '/register',
      created({ client_id: 'far-future-client', client_secret: CLIENT_SECRET, client_secret_expires_at: 1e300 }),
    );
    const home = userHome();
    const result = await register(home.env, '--auth-method', 'client_secret_basic');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('far-future-client');
    expect(result.stderr).toContain('expires 1e+300 (not a time)');
    clean(result, 'secret expiry 1e300');
    expect(JSON.parse(home.storedEntries()['registration:default']!).client_id).toBe('far-future-client');
  });

  it('a registration_client_uri with user:password@ is printed without them, in --json and by --show', async () => {
    const password = 'uri-password-hostile-0123456789';
    recordSecret(password);
    const uri = `${hostile.issuer.replace('http://', `http://user:${password}@`)}/register/credentialed`;
    hostile.server.route(
      '/register',
      created({
        client_id: 'credentialed-client',
        registration_access_token: REGISTRATION_TOKEN,
        registration_client_uri: uri,
      }),
    );
    const home = userHome();
    const result = await register(home.env, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('[credentials removed]@');
    expect(result.stdout + result.stderr).not.toContain(password);
    clean(result, 'credentials in registration_client_uri');
  });

  for (const [what, uri] of [
    ['plain http to a host that is not loopback', 'http://registration.example.com/reg/abc'],
    ['a file: URL', 'file:///etc/passwd'],
    ['on another origin than the registration endpoint', 'http://localhost:9/register/hostile-client'],
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
      const deleted = await spawnCli(['register', '--delete'], { env: home.env });
      expect(deleted.code).toBe(2);
      expect(deleted.stderr).toContain('registration_client_uri was refused at registration');
      expect(deleted.stderr).not.toContain('The server gave no');
      expect(deleted.stderr).toContain('--forget');
      expect(deleted.stderr).toContain('--replace');
      const forgot = await spawnCli(['register', '--forget'], { env: home.env });
      expect(forgot.code, forgot.stderr).toBe(0);

      // For another profile, the commands it names carry it.
      const work = await register(home.env, '--auth-method', 'client_secret_basic', '--profile', 'work');
      expect(work.code, work.stderr).toBe(0);
      expect(work.stderr).toContain(
        'cannot be read or deleted with "oauth register --show --profile work" or "oauth register --delete --profile work"',
      );
      expect(home.storedEntries()['registration:default']).toBeUndefined();
      const again = await register(home.env);
      expect(again.code, again.stderr).toBe(0);
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
    // The run chose the redirect URI: the hint says which it sent.
    expect(result.stderr).toContain('oauth sent http://127.0.0.1');
    expect(hostile.last.clientId).toBeUndefined();
    clean(result, 'login --register');
    expect(() => home.storedEntries()).toThrow();
  });

  it('a 401 names what login reads (OAUTH_INITIAL_ACCESS_TOKEN), not a flag login lacks', async () => {
    hostile.server.route('/register', raw(401, ''));
    const result = await spawnCli(['login', '--issuer', hostile.issuer, '--register'], { env: userHome().env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('OAUTH_INITIAL_ACCESS_TOKEN');
    expect(result.stderr).not.toContain('--initial-access-token');
    clean(result, 'login --register 401');
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
      expect(result.stderr).toContain('oauth register --replace');
      expect(result.stderr).toContain('oauth register --forget');
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

  it('a 404 on delete: the client is gone at the server, so it is forgotten here with a note (exit 0)', async () => {
    const home = await registeredHome();
    hostile.server.route('/register/managed-client', raw(404, ''));
    const result = await spawnCli(['register', '--delete'], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('already gone');
    clean(result, '404 on delete');
    expect(home.storedEntries()['registration:default']).toBeUndefined();
  });

  it('a rotated registration access token that is not printable: reading the registration failed (exit 5)', async () => {
    const home = await registeredHome();
    hostile.server.route(
      '/register/managed-client',
      json({ client_id: 'managed-client', registration_access_token: `rotated${INJECTED}` }),
    );
    const result = await spawnCli(['register', '--show'], { env: home.env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('Reading the registration failed');
    expect(result.stderr).not.toContain('The registration failed');
    clean(result, 'unprintable rotated token');
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

  it('a read answer cannot move the registration access token to another origin: the stored URI is kept, with a warning', async () => {
    const home = await registeredHome();
    const rotated = 'rotated-registration-token-moved-0123456789';
    recordSecret(rotated);
    const elsewhere = `${hostile.issuer.replace('127.0.0.1', 'localhost')}/register/managed-client`;
    hostile.server.route(
      '/register/managed-client',
      json({ client_id: 'managed-client', registration_access_token: rotated, registration_client_uri: elsewhere }),
    );
    const result = await spawnCli(['register', '--show'], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/another origin/);
    clean(result, 'moved management URI');
    const stored = JSON.parse(home.storedEntries()['registration:default']!);
    expect(stored.registration_client_uri).toBe(`${hostile.issuer}/register/managed-client`);
    expect(stored.registration_access_token).toBe(rotated);
  });
});

describe('concurrent runs on one profile', () => {
  it('six concurrent registrations: exactly one registers, the others are told the profile has one (exit 2)', async () => {
    let registrations = 0;
    hostile.server.route('/register', (_request, response) => {
      registrations += 1;
      const id = `concurrent-client-${registrations}`;
      // Slow enough that every run has checked the profile before the first one saves, unless they take turns.
      setTimeout(() => {
        response.writeHead(201, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            client_id: id,
            registration_access_token: `${REGISTRATION_TOKEN}-${id}`,
            registration_client_uri: `${hostile.issuer}/register/${id}`,
          }),
        );
      }, 300);
    });
    const home = userHome();
    const results = await Promise.all(Array.from({ length: 6 }, () => register(home.env)));
    const codes = results.map((result) => result.code).sort();
    expect(codes, results.map((result) => result.stderr).join('\n')).toEqual([0, 2, 2, 2, 2, 2]);
    expect(registrations).toBe(1);
    const winner = results.find((result) => result.code === 0)!;
    expect(JSON.parse(home.storedEntries()['registration:default']!).client_id).toBe(winner.stdout.trim());
  });

  it('two concurrent --show runs against a server that rotates its token on every read keep the current token', async () => {
    let current = `${REGISTRATION_TOKEN}-r0`;
    let reads = 0;
    hostile.server.route(
      '/register',
      created({
        client_id: 'rotating-client',
        registration_access_token: current,
        registration_client_uri: `${hostile.issuer}/register/rotating-client`,
      }),
    );
    const home = userHome();
    expect((await register(home.env)).code).toBe(0);
    hostile.server.route('/register/rotating-client', (request, response) => {
      if (bearer(request) !== current) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
        return;
      }
      reads += 1;
      current = `${REGISTRATION_TOKEN}-r${reads}`;
      const body = JSON.stringify({ client_id: 'rotating-client', registration_access_token: current });
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(body), 300);
    });
    const results = await Promise.all([1, 2].map(() => spawnCli(['register', '--show'], { env: home.env })));
    expect(
      results.map((result) => result.code),
      results.map((result) => result.stderr).join('\n'),
    ).toEqual([0, 0]);
    expect(JSON.parse(home.storedEntries()['registration:default']!).registration_access_token).toBe(current);
  });
});

describe('register flags that cannot work', () => {
  it('are usage errors before any request (exit 2)', async () => {
    const hits = hostile.server.hits.get('/register') ?? 0;
    const cases: Array<[string[], RegExp]> = [
      [
        ['--grant-type', 'client_credentials', '--auth-method', 'none'],
        /public client .* cannot use the client_credentials/,
      ],
      [['--scope', 'openid\nprofile'], /--scope has a control/],
      [['--show-secret'], /--show-secret works with --json only/],
      [['--redirect-uri', 'notaurl'], /such as http:\/\/127\.0\.0\.1\/callback/],
    ];
    for (const [flags, message] of cases) {
      const result = await register(userHome().env, ...flags);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr, flags.join(' ')).toMatch(message);
      clean(result, flags.join(' '));
    }
    expect(hostile.server.hits.get('/register') ?? 0).toBe(hits);
  });

  it('--grant-type client_credentials alone registers a client that authenticates (client_secret_basic)', async () => {
    let asked: unknown;
    hostile.server.route('/register', (request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        asked = JSON.parse(body).token_endpoint_auth_method;
        response
          .writeHead(201, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ client_id: 'service-client', client_secret: CLIENT_SECRET, client_secret_expires_at: 0 }),
          );
      });
    });
    const result = await register(userHome().env, '--grant-type', 'client_credentials');
    expect(result.code, result.stderr).toBe(0);
    expect(asked).toBe('client_secret_basic');
    clean(result, 'client_credentials');
  });

  it('a profile set up with another client id is not silently switched: exit 2 unless --replace', async () => {
    hostile.server.route('/register', created({ client_id: 'new-client' }));
    const home = userHome();
    mkdirSync(dirname(home.configFile), { recursive: true });
    writeFileSync(
      home.configFile,
      JSON.stringify({ profiles: { default: { issuer: hostile.issuer, client_id: 'my-cli' } } }),
    );
    const refused = await register(home.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('my-cli');
    expect(refused.stderr).toContain('--replace');
    expect(JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default.client_id).toBe('my-cli');
    const replaced = await register(home.env, '--replace');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default.client_id).toBe('new-client');
  });
});
