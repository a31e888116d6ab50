// `oauth curl` end to end: the built CLI calls a small protected API (RFC 9728 metadata, RFC 6750 challenges) whose
// tokens come from the real authorization server, issued for the API's own identifier.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { signedInHome, type UserHome, userHome } from '../helpers/sign-in.js';
import { closedPort, startServer, type TestServer } from '../helpers/server.js';

let api: TestServer;
let as: TestAuthorizationServer;
let user: UserHome;
let resource: string;

/** The API's requests, with the Authorization header each carried, and where each went. */
const seen: Array<{ path: string; method: string; authorization?: string; body: string; contentType?: string }> = [];

async function bodyOf(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

/** A protected route: a JWT for this API's resource with `scope`, else the RFC 6750 challenge. */
function protectedRoute(scope: string, answer: (request: IncomingMessage, body: string) => unknown) {
  return async (request: IncomingMessage, response: ServerResponse) => {
    const body = await bodyOf(request);
    seen.push({
      path: request.url ?? '',
      method: request.method ?? '',
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      ...(request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}),
      body,
    });
    const metadata = `${api.origin}/.well-known/oauth-protected-resource/api`;
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token) {
      response.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${metadata}", scope="${scope}"` }).end();
      return;
    }
    const claims = jose.decodeJwt(token);
    if (![claims.aud].flat().includes(resource)) {
      response
        .writeHead(401, {
          'www-authenticate': `Bearer error="invalid_token", error_description="not for this API", resource_metadata="${metadata}"`,
        })
        .end();
      return;
    }
    if (
      !String(claims.scope ?? '')
        .split(' ')
        .includes(scope)
    ) {
      response
        .writeHead(403, {
          'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}", error_description="needs ${scope}"`,
          'content-type': 'application/json',
        })
        .end('{"error":"insufficient_scope"}');
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/json', 'x-api': 'orders' })
      .end(JSON.stringify(answer(request, body)));
  };
}

beforeAll(async () => {
  api = await startServer();
  resource = `${api.origin}/api`;
  api.route('/.well-known/oauth-protected-resource/api', (_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(
        JSON.stringify({ resource, authorization_servers: [as.issuer], scopes_supported: ['api:read', 'api:write'] }),
      );
  });
  api.route(
    '/api/orders',
    protectedRoute('api:read', (request, body) => ({ orders: [1, 2], method: request.method, body })),
  );
  api.route(
    '/api/admin',
    protectedRoute('api:write', () => ({ admin: true })),
  );
  api.route('/api/binary', (_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/octet-stream' })
      .end(Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 27]));
  });
  api.route('/api/teapot', (_request, response) => {
    response.writeHead(418, { 'content-type': 'text/plain' }).end('short and stout');
  });
  as = await startAuthorizationServer({ audience: resource, registration: {} });
  user = await signedInHome(as);
});
afterAll(async () => {
  await as?.close();
  await api?.close();
});

describe('oauth curl, signed in', () => {
  it('sends the token in the Authorization header only and prints the body (exit 0)', async () => {
    const result = await spawnCli(['curl', `${api.origin}/api/orders?page=1`], { env: user.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ orders: [1, 2], method: 'GET', body: '' });
    const call = seen.at(-1)!;
    expect(call.authorization).toBe(`Bearer ${user.storedSession().access_token}`);
    expect(call.path).toBe('/api/orders?page=1');
  });

  it('-i prints the status line and headers first; -v traces with the token redacted', async () => {
    const result = await spawnCli(['curl', '-i', '-v', `${api.origin}/api/orders`], { env: user.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\n/);
    expect(result.stdout).toContain('\nx-api: orders\n');
    expect(result.stdout).toContain('\n\n{"orders":[1,2]');
    expect(result.stderr).toMatch(/> authorization: Bearer \S+/);
    expect(result.stderr).not.toContain(user.storedSession().access_token);
  });

  it("-d '' POSTs an empty form body, as curl does", async () => {
    const result = await spawnCli(['curl', '-d', '', `${api.origin}/api/orders`], { env: user.env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ method: 'POST', body: '' });
    expect(seen.at(-1)?.contentType).toBe('application/x-www-form-urlencoded');
  });

  it('--json POSTs JSON with its content type; -d a form; -X any method', async () => {
    const posted = await spawnCli(['curl', '--json', '{"item":"book"}', `${api.origin}/api/orders`], { env: user.env });
    expect(posted.code).toBe(0);
    expect(JSON.parse(posted.stdout)).toMatchObject({ method: 'POST', body: '{"item":"book"}' });
    expect(seen.at(-1)!.contentType).toBe('application/json');

    const form = await spawnCli(['curl', '-d', 'a=1', '-d', 'b=2', `${api.origin}/api/orders`], { env: user.env });
    expect(JSON.parse(form.stdout)).toMatchObject({ method: 'POST', body: 'a=1&b=2' });
    expect(seen.at(-1)!.contentType).toBe('application/x-www-form-urlencoded');

    const put = await spawnCli(['curl', '-X', 'PATCH', '--data-binary', 'x', `${api.origin}/api/orders`], {
      env: user.env,
    });
    expect(JSON.parse(put.stdout)).toMatchObject({ method: 'PATCH', body: 'x' });
  });

  it('prints a binary body byte for byte on a pipe, and writes it with -o', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-curl-'));
    const file = join(dir, 'body.bin');
    const result = await spawnCli(['curl', '-o', file, `${api.origin}/api/binary`], { env: user.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect([...readFileSync(file)]).toEqual([0, 1, 2, 0xff, 0xfe, 10, 27]);
  });

  it('exits 5 for another status, printing its body; --no-fail exits 0', async () => {
    const failed = await spawnCli(['curl', `${api.origin}/api/teapot`], { env: user.env });
    expect(failed.code).toBe(5);
    expect(failed.stdout).toBe('short and stout');
    expect(failed.stderr).toContain('418');
    const kept = await spawnCli(['curl', '--no-fail', `${api.origin}/api/teapot`], { env: user.env });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toBe('short and stout');
  });

  it('names the missing scopes of an insufficient_scope 403 (exit 3), and with --login signs in for them', async () => {
    const refused = await spawnCli(['curl', `${api.origin}/api/admin`], { env: user.env });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('{"error":"insufficient_scope"}');
    expect(refused.stderr).toContain('error[API_REFUSED]');
    expect(refused.stderr).toContain('lacks the scopes api:write');
    expect(refused.stderr).toContain('run the same command again with --login');
    // A POST's hint is not a GET's command line.
    const posted = await spawnCli(['curl', '--json', '{"a":1}', `${api.origin}/api/admin`], { env: user.env });
    expect(posted.code).toBe(3);
    expect(posted.stderr).toContain('run the same command again with --login');
    expect(posted.stderr).not.toContain('oauth curl --login');

    const home = await signedInHome(as);
    const stepped = await spawnCli(['curl', '--login', `${api.origin}/api/admin`], { env: home.env });
    expect(stepped.stderr).toContain('missing scopes: api:write');
    expect(stepped.code).toBe(0);
    expect(JSON.parse(stepped.stdout)).toEqual({ admin: true });
    expect(home.storedSession().scope?.split(' ')).toContain('api:write');
    // The step-up's scopes are that session's; the profile's scope setting stays what the user signed in with.
    expect(JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default.scope).toBe(
      'openid offline_access api:read',
    );
  });
});

describe('oauth curl, not signed in', () => {
  it('without a terminal or --login exits 4 with the exact oauth login command', async () => {
    const home = userHome();
    const result = await spawnCli(['curl', '--client-id', 'oauth-cli', `${api.origin}/api/orders`], {
      env: home.env,
    });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `oauth login --issuer ${as.issuer} --client-id oauth-cli --resource ${resource} --scope 'openid offline_access api:read' — then`,
    );
    // Without any client, the command registers one.
    const bare = await spawnCli(['curl', `${api.origin}/api/orders`], { env: userHome().env });
    expect(bare.code).toBe(4);
    expect(bare.stderr).toContain(`oauth login --issuer ${as.issuer} --register --resource ${resource} --scope`);
    // That command, run as printed, is all it takes.
    const login = await spawnCli(
      [
        'login',
        '--issuer',
        as.issuer,
        '--client-id',
        'oauth-cli',
        '--resource',
        resource,
        '--scope',
        'openid offline_access api:read',
      ],
      { env: home.env },
    );
    expect(login.code, login.stderr).toBe(0);
    const again = await spawnCli(['curl', `${api.origin}/api/orders`], { env: home.env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ orders: [1, 2] });
  });

  it('refuses a malformed --login-timeout before calling the API (exit 2)', async () => {
    for (const flags of [
      ['--login-timeout', 'abc'],
      ['--login-timeout', '0'],
    ]) {
      const before = seen.length;
      const result = await spawnCli(['curl', '--login', ...flags, `${api.origin}/api/orders`], { env: userHome().env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`error[USAGE]: ${flags[0]}`);
      expect(seen.length).toBe(before);
    }
  });

  it('with --login but no client id and no --register says both ways (exit 2)', async () => {
    const result = await spawnCli(['curl', '--login', `${api.origin}/api/orders`], { env: userHome().env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error[MISSING_SETTING]: No client id to sign in at ${as.issuer} with.`);
    expect(result.stderr).toContain('--register');
  });

  it('with --login --register and no client at all registers one at the server the API names, then signs in', async () => {
    const home = userHome();
    const result = await spawnCli(['curl', '--login', '--register', `${api.origin}/api/orders`], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ orders: [1, 2] });
    expect(result.stderr).toMatch(/Registered client \S+ at /);
    const profile = JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default;
    expect(profile).toMatchObject({ issuer: as.issuer, resource });
    expect(profile.client_id).toBe(home.storedSession().client_id);
  });

  it('with --login discovers the server (RFC 9728), signs in for the resource and returns the body', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-curl-')), 'browser.log');
    const home = userHome({ SIMULATED_BROWSER_LOG: log });
    const result = await spawnCli(['curl', '--login', '--client-id', 'oauth-cli', `${api.origin}/api/orders`], {
      env: home.env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ orders: [1, 2] });
    const authorization = new URL(readFileSync(log, 'utf8').trim());
    expect(authorization.searchParams.getAll('resource')).toEqual([resource]);
    expect(authorization.searchParams.get('scope')?.split(' ')).toContain('api:read');
    // The profile now names the server, client and resource: the next call needs no flag and no sign-in.
    const config = JSON.parse(readFileSync(home.configFile, 'utf8'));
    expect(config.profiles.default).toMatchObject({ issuer: as.issuer, client_id: 'oauth-cli', resource });
    const again = await spawnCli(['curl', `${api.origin}/api/orders`], { env: home.env });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    // A token for this API is not handed to another one.
    const other = await startServer();
    const authorizations: Array<string | undefined> = [];
    other.route('/echo', (request, response) => {
      authorizations.push(request.headers.authorization);
      response.writeHead(200).end('public');
    });
    try {
      const elsewhere = await spawnCli(['curl', `${other.origin}/echo`], { env: home.env });
      expect(elsewhere.code).toBe(0);
      expect(elsewhere.stdout).toBe('public');
      expect(elsewhere.stderr).toContain(`The profile's token is for ${resource}`);
      expect(authorizations).toEqual([undefined]);
    } finally {
      await other.close();
    }
  });
});

describe('oauth curl for an API elsewhere, with a session for no resource', () => {
  it('says the session for no one API would be replaced (exit 4), and with --login says it replaces it', async () => {
    const elsewhere = await startServer();
    const elsewhereResource = `${elsewhere.origin}/api`;
    elsewhere.route('/.well-known/oauth-protected-resource/api', (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resource: elsewhereResource, authorization_servers: [as.issuer] }));
    });
    // It takes no token of this server's (their audience is the other API): every call asks for a sign-in.
    elsewhere.route('/api/x', (_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    });
    try {
      const home = await signedInHome(as);
      const config = readFileSync(home.configFile, 'utf8');
      const asked = await spawnCli(['curl', `${elsewhere.origin}/api/x`], { env: home.env });
      expect(asked.code).toBe(4);
      expect(asked.stderr).toContain(`That replaces the profile's session at ${as.issuer}, which is for no one API`);
      expect(readFileSync(home.configFile, 'utf8')).toBe(config);
      const replaced = await spawnCli(['curl', '--login', '--no-fail', `${elsewhere.origin}/api/x`], { env: home.env });
      expect(replaced.stderr).toContain(`for ${elsewhere.origin}/api/x replaces the profile's session at ${as.issuer}`);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('oauth curl for an API of another authorization server than the profile', () => {
  let otherAs: TestAuthorizationServer;
  let otherApi: TestServer;
  let otherResource: string;

  beforeAll(async () => {
    otherApi = await startServer();
    otherResource = `${otherApi.origin}/api`;
    otherAs = await startAuthorizationServer({ audience: otherResource });
    otherApi.route('/.well-known/oauth-protected-resource/api', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          resource: otherResource,
          authorization_servers: [otherAs.issuer],
          scopes_supported: ['api:read'],
        }),
      );
    });
    otherApi.route('/api/things', (request, response) => {
      const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!token) {
        response.writeHead(401, { 'www-authenticate': 'Bearer scope="api:read"' }).end();
        return;
      }
      if (![jose.decodeJwt(token).aud].flat().includes(otherResource)) {
        response
          .writeHead(401, {
            'www-authenticate': 'Bearer error="invalid_token", error_description="not for \u009b31mthis API"',
          })
          .end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"things":[]}');
    });
  });
  afterAll(async () => {
    await otherAs?.close();
    await otherApi?.close();
  });

  it('never offers --register for a server without dynamic registration: the command names the client id to give', async () => {
    const bare = await spawnCli(['curl', `${otherApi.origin}/api/things`], { env: userHome().env });
    expect(bare.code).toBe(4);
    expect(bare.stderr).toContain(`oauth login --issuer ${otherAs.issuer} --client-id <CLIENT_ID> --resource`);
    expect(bare.stderr).toContain('which offers no dynamic registration');
    expect(bare.stderr).not.toContain('--register');

    const login = await spawnCli(['curl', '--login', `${otherApi.origin}/api/things`], { env: userHome().env });
    expect(login.code).toBe(2);
    expect(login.stderr).toContain('error[MISSING_SETTING]');
    expect(login.stderr).toContain('it offers no dynamic registration');
    expect(login.stderr).not.toContain('--register');
  });

  /** A home signed in at the first server, its profile asking for a scope of its own (email). */
  async function homeAtFirstServer(extra: Record<string, string | undefined> = {}) {
    const home = userHome(extra);
    const login = await spawnCli(
      ['login', '--issuer', as.issuer, '--client-id', 'oauth-cli', '--scope', 'openid offline_access api:read email'],
      { env: home.env },
    );
    if (login.code !== 0) throw new Error(login.stderr);
    return home;
  }

  async function refreshAt(server: TestAuthorizationServer, refreshToken: string): Promise<number> {
    const metadata = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json();
    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'oauth-cli' }),
    });
    return response.status;
  }

  it('without a terminal or --login, leaves the profile as it is (exit 4) and says it would be replaced', async () => {
    const home = await homeAtFirstServer();
    const config = readFileSync(home.configFile, 'utf8');
    const result = await spawnCli(['curl', '--client-id', 'oauth-cli', `${otherApi.origin}/api/things`], {
      env: home.env,
    });
    expect(result.code).toBe(4);
    // The profile's token was sent and refused: said as such, with what the API said made printable.
    expect(result.stderr).toContain(
      `error[NOT_LOGGED_IN]: The API rejected the profile's token (invalid_token: "not for \\u009b31mthis API")`,
    );
    expect(result.stderr).not.toMatch(/[\u0080-\u009f]/);
    expect(result.stderr).toContain(`Sign in again there with: oauth login --issuer ${otherAs.issuer}`);
    expect(result.stderr).toContain(`That replaces the profile's session at ${as.issuer}`);
    expect(result.stderr).toContain('--profile <name>');
    // The command it prints asks the API's scopes, not the old profile's.
    expect(result.stderr).not.toContain('email');
    expect(readFileSync(home.configFile, 'utf8')).toBe(config);
  });

  it("with --login says so, signs in for the API's scopes only, and revokes the replaced session at its server", async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-curl-')), 'browser.log');
    const home = await homeAtFirstServer({ SIMULATED_BROWSER_LOG: log });
    const old = home.storedSession();
    const result = await spawnCli(['curl', '--login', '--client-id', 'oauth-cli', `${otherApi.origin}/api/things`], {
      env: home.env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('{"things":[]}');
    expect(result.stderr).toContain(`replaces the profile's session at ${as.issuer}`);
    expect(result.stderr).toContain(`Revoked the replaced session's refresh token`);
    const asked = new URL(readFileSync(log, 'utf8').trim().split('\n').at(-1)!);
    expect(asked.origin).toBe(new URL(otherAs.issuer).origin);
    expect(asked.searchParams.get('scope')?.split(' ')).toContain('api:read');
    expect(asked.searchParams.get('scope')).not.toContain('email');
    expect(home.storedSession().issuer).toBe(otherAs.issuer);
    expect(await refreshAt(as, old.refresh_token!)).toBe(400);
  });
  /** A home signed in at the first server with every server- and client-bound setting a profile can have. */
  async function homeWithEverySetting(extra: Record<string, string | undefined>) {
    const home = userHome(extra);
    const metadata = await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json();
    const oldPort = await closedPort();
    const login = await spawnCli(
      [
        'login',
        ...['--issuer', as.issuer, '--client-id', 'oauth-cli', '--scope', 'openid offline_access api:read email'],
        ...['--authorization-endpoint', metadata.authorization_endpoint, '--token-endpoint', metadata.token_endpoint],
        ...['--revocation-endpoint', metadata.revocation_endpoint, '--jwks-uri', metadata.jwks_uri],
        ...['--audience', 'urn:old-audience'],
        ...['--resource', resource, '--redirect-uri', `http://127.0.0.1:${oldPort}/callback`],
      ],
      { env: home.env },
    );
    if (login.code !== 0) throw new Error(login.stderr);
    return { home, oldPort, metadata };
  }

  function editProfile(home: UserHome, change: Record<string, string>) {
    const config = JSON.parse(readFileSync(home.configFile, 'utf8'));
    Object.assign(config.profiles.default, change);
    writeFileSync(home.configFile, JSON.stringify(config));
  }

  it("signing in at the API's server uses none of the profile's server-bound settings, and replaces them", async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-curl-')), 'browser.log');
    const { home, oldPort } = await homeWithEverySetting({ SIMULATED_BROWSER_LOG: log });
    // A key that is not there: a sign-in that used the profile's client authentication at the new server would fail.
    editProfile(home, { auth_method: 'private_key_jwt', private_key: join(tmpdir(), 'no-such-old-key.jwk') });
    const result = await spawnCli(['curl', '--login', '--client-id', 'oauth-cli', `${otherApi.origin}/api/things`], {
      env: home.env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('{"things":[]}');
    const asked = new URL(readFileSync(log, 'utf8').trim().split('\n').at(-1)!);
    expect(asked.origin).toBe(new URL(otherAs.issuer).origin);
    expect(asked.searchParams.get('audience')).toBeNull();
    expect(asked.searchParams.getAll('resource')).toEqual([otherResource]);
    expect(new URL(asked.searchParams.get('redirect_uri')!).port).not.toBe(String(oldPort));
    const profile = JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default;
    expect(profile).toEqual({
      issuer: otherAs.issuer,
      client_id: 'oauth-cli',
      scope: expect.stringContaining('api:read'),
      resource: otherResource,
    });
    const session = home.storedSession();
    expect(session.issuer).toBe(otherAs.issuer);
    // Logging out revokes the new session at its own server, not at the old one's revocation endpoint.
    const logout = await spawnCli(['logout'], { env: home.env });
    expect(logout.code, logout.stderr).toBe(0);
    expect(await refreshAt(otherAs, session.refresh_token!)).toBe(400);
  });

  it('a profile whose client authenticates with a secret moves as a public client, and saves no auth_method', async () => {
    for (const extraFlags of [[], ['--auth-method', 'none']]) {
      const home = await homeAtFirstServer();
      editProfile(home, { auth_method: 'client_secret_basic' });
      const result = await spawnCli(
        ['curl', '--login', '--client-id', 'oauth-cli', ...extraFlags, `${otherApi.origin}/api/things`],
        { env: home.env },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default.auth_method).toBeUndefined();
      // The next refresh authenticates as the profile now says: a public client.
      const token = await spawnCli(['token', '--refresh'], { env: home.env });
      expect(token.code, token.stderr).toBe(0);
    }
  });
  it('says the replacement only once the sign-in is about to happen, not before a check that fails', async () => {
    const home = await homeAtFirstServer();
    const config = readFileSync(home.configFile, 'utf8');
    // The profile's client is the first server's: without --client-id there is none for the API's server.
    const noClient = await spawnCli(['curl', '--login', `${otherApi.origin}/api/things`], { env: home.env });
    expect(noClient.code).toBe(2);
    expect(noClient.stderr).toContain('error[MISSING_SETTING]');
    expect(noClient.stderr).not.toContain('replaces');
    // An API naming a server that is not there: the sign-in cannot start.
    const deadServer = `http://127.0.0.1:${await closedPort()}`;
    const lost = await startServer();
    lost.route('/.well-known/oauth-protected-resource/api', (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resource: `${lost.origin}/api`, authorization_servers: [deadServer] }));
    });
    lost.route('/api/x', (_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    });
    try {
      const down = await spawnCli(['curl', '--login', '--client-id', 'x', `${lost.origin}/api/x`], { env: home.env });
      expect(down.code, down.stderr).toBe(5);
      expect(down.stderr).not.toContain('replaces');
    } finally {
      await lost.close();
    }
    expect(readFileSync(home.configFile, 'utf8')).toBe(config);
  });

  it("with several servers and none the profile's, says a sign-in is needed, not that the profile has none", async () => {
    const home = await homeAtFirstServer();
    const several = await startServer();
    several.route('/.well-known/oauth-protected-resource/api', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          resource: `${several.origin}/api`,
          authorization_servers: ['https://one.example', 'https://two.example'],
        }),
      );
    });
    several.route('/api/x', (_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    });
    try {
      const result = await spawnCli(['curl', `${several.origin}/api/x`], { env: home.env });
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('needs a sign-in at one of the 2 authorization servers it accepts tokens from');
      expect(result.stderr).not.toContain('Not signed in');
    } finally {
      await several.close();
    }
  });
});
