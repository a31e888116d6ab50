// `oauth curl` on a terminal (in-process, with a terminal whose keys the test types): the sign-in an API asks for
// happens without --login, and when the API lists several servers the user picks one.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { simulateUser } from '../../src/serve/simulated-user.js';
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
function terminalIO(keys: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  output.resume();
  const io = bufferIO({ env: { ...sandboxEnv({ OAUTH_STORE: 'memory' }), NO_COLOR: '1' }, tty: true });
  // The keys once the prompt has drawn itself: it listens from then on.
  output.once('data', () => setImmediate(() => input.write(keys.join(''))));
  return Object.assign(io, {
    terminal: { input, output },
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
