// `oauth curl` on a terminal (in-process, with a terminal whose keys the test types): the sign-in an API asks for
// happens without --login, and when the API lists several servers the user picks one.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { simulateUser } from '../../src/serve/simulated-user.js';
import { configFile } from '../../src/settings/paths.js';
import { bufferIO } from '../../src/term/io-buffer.js';
import { sandboxEnv } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { startServer, type TestServer } from '../helpers/server.js';

let api: TestServer;
let as: TestAuthorizationServer;
let servers: string[];

beforeAll(async () => {
  api = await startServer();
  const resource = `${api.origin}/api`;
  as = await startAuthorizationServer({ audience: resource });
  servers = [as.issuer];
  api.route('/.well-known/oauth-protected-resource/api', (_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ resource, authorization_servers: servers }));
  });
  api.route('/api', (request, response) => {
    if (!request.headers.authorization) {
      response.writeHead(401, { 'www-authenticate': 'Bearer scope="api:read"' }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end('hello \u001b[31mterminal\n');
  });
});
afterAll(async () => {
  await as?.close();
  await api?.close();
});

/** A terminal: stdin and stdout are TTYs, prompts read `keys` and draw on `output`; the browser is the simulated user. */
function terminalIO(keys: string[], env = sandboxEnv({ OAUTH_STORE: 'memory' })) {
  const input = new PassThrough();
  const output = new PassThrough();
  let drawn = '';
  output.on('data', (chunk) => (drawn += chunk));
  const io = bufferIO({ env: { ...env, NO_COLOR: '1' }, tty: true });
  // The keys once the prompt has drawn itself: it listens from then on.
  output.once('data', () => setImmediate(() => input.write(keys.join(''))));
  return Object.assign(io, {
    terminal: { input, output },
    /** What the prompts drew. */
    drawn: () => drawn,
    // As a browser does, the user goes on in the background: the callback's page waits for the sign-in to be saved.
    openBrowser: async (url: string) => {
      void simulateUser(url).catch(() => undefined);
    },
  });
}

describe('oauth curl on a terminal', () => {
  it('signs in when the API asks, without --login, and shows the body made printable', async () => {
    servers = [as.issuer];
    const io = terminalIO([]);
    const code = await main(['curl', '--client-id', 'oauth-cli', `${api.origin}/api`], io);
    expect(code, io.err()).toBe(0);
    expect(io.err()).toContain(`Signing in at ${as.issuer} for ${api.origin}/api`);
    expect(io.out()).toBe('hello \\u001b[31mterminal\n');
  });

  it('asks which server when the API lists several, and signs in at the one picked', async () => {
    servers = ['https://other-as.example', as.issuer];
    // Down to the second server, then Enter.
    const io = terminalIO(['\u001b[B', '\r']);
    const code = await main(['curl', '--client-id', 'oauth-cli', `${api.origin}/api`], io);
    expect(code, io.err()).toBe(0);
    expect(io.err()).toContain(`Signing in at ${as.issuer}`);
  });
});

describe('oauth curl on a terminal, when the API would move the profile to another server', () => {
  /** A home whose default profile is another server's (its own client, its own scopes). */
  function otherServersHome() {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    const path = configFile(env);
    mkdirSync(dirname(path), { recursive: true });
    const before = { issuer: 'https://old-as.example', client_id: 'old-client', scope: 'openid old:scope' };
    writeFileSync(path, JSON.stringify({ profiles: { default: before } }));
    return { env, path, before };
  }

  it('asks first (default no): Enter keeps the profile as it was (exit 4) and says how to keep both', async () => {
    servers = [as.issuer];
    const home = otherServersHome();
    const io = terminalIO(['\r'], home.env);
    const code = await main(['curl', '--client-id', 'oauth-cli', `${api.origin}/api`], io);
    expect(code, io.err()).toBe(4);
    // The prompt wraps at the terminal's width.
    const asked = io.drawn().replaceAll('\n', '');
    expect(asked).toContain(`${api.origin}/api wants a sign-in at ${as.issuer}`);
    expect(asked).toContain("replaces the profile's session at https://old-as.example");
    expect(asked).toContain('--profile <name>) (y/N)');
    expect(io.err()).toContain('error[NOT_LOGGED_IN]: Not signed in for');
    expect(io.err()).toContain('oauth curl --profile <name>');
    expect(JSON.parse(readFileSync(home.path, 'utf8')).profiles.default).toEqual(home.before);
  });

  it("on yes signs in there, asking for the API's scopes, not the old profile's", async () => {
    servers = [as.issuer];
    const home = otherServersHome();
    const io = terminalIO(['y', '\r'], home.env);
    let asked: URL | undefined;
    const browse = io.openBrowser;
    io.openBrowser = async (url: string) => {
      asked = new URL(url);
      await browse(url);
    };
    const code = await main(['curl', '--client-id', 'oauth-cli', `${api.origin}/api`], io);
    expect(code, io.err()).toBe(0);
    expect(asked?.searchParams.get('scope')?.split(' ')).toContain('api:read');
    expect(asked?.searchParams.get('scope')).not.toContain('old:scope');
    expect(JSON.parse(readFileSync(home.path, 'utf8')).profiles.default.issuer).toBe(as.issuer);
  });
});

describe('oauth curl and login prompts, left without an answer', () => {
  const CTRL_C = '\u0003';
  const CTRL_D = '\u0004';

  function otherServersHome() {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    const path = configFile(env);
    mkdirSync(dirname(path), { recursive: true });
    const before = { issuer: 'https://old-as.example', client_id: 'old-client' };
    writeFileSync(path, JSON.stringify({ profiles: { default: before } }));
    return { env, path, before };
  }

  it('Ctrl-C at the replace question cancels (exit 130), no internal error; the profile is kept', async () => {
    servers = [as.issuer];
    const home = otherServersHome();
    const io = terminalIO([CTRL_C], home.env);
    const code = await main(['curl', '--client-id', 'oauth-cli', `${api.origin}/api`], io);
    expect(code, io.err()).toBe(130);
    expect(io.err()).toContain('error[CANCELLED]');
    expect(io.err()).not.toContain('INTERNAL');
    expect(JSON.parse(readFileSync(home.path, 'utf8')).profiles.default).toEqual(home.before);
  });

  it('Ctrl-D at the replace question is a no: exit 4, said as for no', async () => {
    servers = [as.issuer];
    const home = otherServersHome();
    const io = terminalIO([CTRL_D], home.env);
    const code = await main(['curl', '--client-id', 'oauth-cli', `${api.origin}/api`], io);
    expect(code, io.err()).toBe(4);
    expect(io.err()).toContain('error[NOT_LOGGED_IN]: Not signed in for');
    expect(JSON.parse(readFileSync(home.path, 'utf8')).profiles.default).toEqual(home.before);
  });

  it('Ctrl-C or Ctrl-D at the choice of server cancels (exit 130)', async () => {
    for (const key of [CTRL_C, CTRL_D]) {
      servers = ['https://other-as.example', as.issuer];
      const io = terminalIO([key]);
      const code = await main(['curl', '--client-id', 'oauth-cli', `${api.origin}/api`], io);
      expect(code, io.err()).toBe(130);
      expect(io.err()).toContain('error[CANCELLED]');
      expect(io.err()).not.toContain('INTERNAL');
    }
  });

  it("Ctrl-C or Ctrl-D at login's Issuer URL question cancels (exit 130)", async () => {
    for (const key of [CTRL_C, CTRL_D]) {
      const io = terminalIO([key]);
      const code = await main(['login'], io);
      expect(code, io.err()).toBe(130);
      expect(io.drawn()).toContain('Issuer URL:');
      expect(io.err()).toContain('error[CANCELLED]');
    }
  });
});

describe('oauth curl signing in on the way', () => {
  it('waits for the browser as long as --login-timeout says, and its hint names that flag (exit 4)', async () => {
    servers = [as.issuer];
    const io = Object.assign(bufferIO({ env: sandboxEnv({ OAUTH_STORE: 'memory' }) }), {
      // A browser that never comes back.
      openBrowser: async () => undefined,
    });
    const code = await main(
      ['curl', '--login', '--login-timeout', '1', '--client-id', 'oauth-cli', `${api.origin}/api`],
      io,
    );
    expect(code, io.err()).toBe(4);
    expect(io.err()).toContain('error[LOGIN_TIMED_OUT]: No sign-in arrived within 1s.');
    expect(io.err()).toContain('raise --login-timeout');
  });
});
