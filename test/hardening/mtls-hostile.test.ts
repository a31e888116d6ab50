// Mutual TLS against hostile servers: an mtls_endpoint_aliases entry that points off the machine over plain http is
// refused by the URL policy before the certificate or any credential goes anywhere; an alias that answers with
// control characters and an echo of what it was sent prints neither raw; no key material is ever printed.
import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalCa } from '../../src/serve/local-ca.js';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/server.js';

let servers: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const server of servers) await server.close();
  servers = [];
});

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/;

async function discoveryServer(aliases: (origin: string) => Record<string, string>): Promise<TestServer> {
  const server = await startServer();
  servers.push(server);
  server.route(
    '/.well-known/openid-configuration',
    json({
      issuer: server.origin,
      authorization_endpoint: `${server.origin}/authorize`,
      token_endpoint: `${server.origin}/token`,
      jwks_uri: `${server.origin}/jwks`,
      response_types_supported: ['code'],
      mtls_endpoint_aliases: aliases(server.origin),
    }),
  );
  return server;
}

function certificateFiles(home: string) {
  const local = createLocalCa();
  const paths = { ca: join(home, 'ca.pem'), cert: join(home, 'client.pem'), key: join(home, 'client-key.pem') };
  writeFileSync(paths.ca, local.ca);
  writeFileSync(paths.cert, local.client.cert);
  writeFileSync(paths.key, local.client.key, { mode: 0o600 });
  return { local, paths };
}

const KEY_BODY = (key: string) => key.split('\n').filter((line) => line.length > 40);

describe('mtls_endpoint_aliases from a hostile server', () => {
  for (const alias of ['http://evil.example/token', 'http://10.0.0.1/token']) {
    it(`refuses an alias at ${alias} (plain http off this machine), sending nothing there`, async () => {
      const server = await discoveryServer(() => ({ token_endpoint: alias }));
      const env = sandboxEnv({ OAUTH_ISSUER: server.origin, OAUTH_STORE: 'memory', OAUTH_NO_CACHE: '1' });
      const { local, paths } = certificateFiles(env.HOME!);
      const result = await spawnCli(
        [
          'token',
          '--client-credentials',
          '--client-id',
          'cli',
          '--auth-method',
          'tls_client_auth',
          '--cert',
          paths.cert,
          '--key',
          paths.key,
        ],
        { env },
      );
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('mtls_endpoint_aliases.token_endpoint');
      expect(server.hits.get('/token') ?? 0).toBe(0);
      for (const line of KEY_BODY(local.client.key)) expect(result.stdout + result.stderr).not.toContain(line);
    });
  }

  it('prints nothing raw from an alias that answers with control characters and echoes the request', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_NO_CACHE: '1' });
    const { local, paths } = certificateFiles(env.HOME!);
    const tls = createHttpsServer(
      { cert: local.server.cert, key: local.server.key, requestCert: true, rejectUnauthorized: false },
      (request: IncomingMessage, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
          response.writeHead(400, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              error: 'invalid_client\u001b[31m',
              error_description: `echo \u001b]0;pwned\u0007 ${body} ${request.headers.authorization ?? ''}\u009b2J`,
            }),
          );
        });
      },
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => tls.close(() => resolve())) });
    const tlsOrigin = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
    const server = await discoveryServer(() => ({ token_endpoint: `${tlsOrigin}/token` }));
    const result = await spawnCli(
      [
        '-vv',
        'token',
        '--client-credentials',
        '--issuer',
        server.origin,
        '--client-id',
        'cli',
        '--auth-method',
        'tls_client_auth',
        '--cert',
        paths.cert,
        '--key',
        paths.key,
        '--ca-file',
        paths.ca,
      ],
      { env },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`${tlsOrigin}/token`);
    expect(result.stdout + result.stderr).not.toMatch(RAW_CONTROL);
    for (const line of KEY_BODY(local.client.key)) expect(result.stdout + result.stderr).not.toContain(line);
    expect(server.hits.get('/token') ?? 0).toBe(0);
  });
});
