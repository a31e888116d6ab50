// The example API of `oauth serve` on its mutual-TLS listener (RFC 8705 §3): a certificate-bound token is taken there
// with the certificate it is bound to, and refused (401 invalid_token) without it or on the plain-HTTP listener.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalCa } from '../../src/serve/local-ca.js';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';
import { serve, stopEveryServe } from '../helpers/serve.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

afterAll(stopEveryServe);

/** A GET over TLS trusting only the given CA, with or without a client certificate. */
function get(
  url: string,
  ca: string,
  token: string,
  client?: { cert: string; key: string },
): Promise<{ status: number; challenge: string; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { ca: readFileSync(ca), headers: { authorization: `Bearer ${token}` }, ...(client ?? {}), agent: false },
      (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            challenge: String(response.headers['www-authenticate'] ?? ''),
            body,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('oauth serve: the orders API over mutual TLS', () => {
  it('takes a token bound to the client certificate with that certificate, and refuses it without', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'file', BROWSER: SIMULATED_BROWSER });
    const served = await serve(env);
    try {
      const { issuer, api } = served.info;
      const mtls = served.info.mtls!;
      expect(mtls.api).toBe(`${mtls.origin}/api/orders`);
      const tlsFlags = ['--cert', mtls.cert, '--key', mtls.key, '--ca-file', mtls.ca_file];
      const login = await spawnCli(
        [
          'login',
          '--issuer',
          issuer,
          '--client-id',
          'mtls-client',
          '--auth-method',
          'tls_client_auth',
          ...tlsFlags,
          '--scope',
          'openid api:read',
        ],
        { env },
      );
      expect(login.code, login.stderr).toBe(0);

      const called = await spawnCli(['curl', ...tlsFlags, mtls.api], { env });
      expect(called.code, called.stderr).toBe(0);
      expect(JSON.parse(called.stdout).orders.length).toBeGreaterThan(0);

      const token = await spawnCli(['token', '-o', 'raw', ...tlsFlags], { env });
      expect(token.code, token.stderr).toBe(0);
      const accessToken = token.stdout.trim();
      const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString());
      expect(claims.cnf['x5t#S256']).toEqual(expect.any(String));

      // The API itself refuses the bound token when the connection presented no certificate (RFC 8705 §3).
      const withCert = await get(mtls.api, mtls.ca_file, accessToken, {
        cert: readFileSync(mtls.cert, 'utf8'),
        key: readFileSync(mtls.key, 'utf8'),
      });
      expect(withCert.status, withCert.body).toBe(200);
      const without = await get(mtls.api, mtls.ca_file, accessToken);
      expect(without.status).toBe(401);
      expect(without.challenge).toContain('error="invalid_token"');
      expect(without.challenge).toContain(`resource_metadata="${mtls.api_metadata}"`);
      expect(JSON.parse(without.body).error_description).toContain('certificate');
      // Another certificate (same subject, another CA and key) is not the one the token is bound to.
      const other = createLocalCa().client;
      const wrong = await get(mtls.api, mtls.ca_file, accessToken, { cert: other.cert, key: other.key });
      expect(wrong.status).toBe(401);
      expect(wrong.challenge).toContain('error="invalid_token"');
      expect(JSON.parse(wrong.body).error_description).toContain('another client certificate');
      // On the plain-HTTP listener no certificate can be presented: refused too, saying where to go.
      const plain = await fetch(api, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(plain.status).toBe(401);
      expect((await plain.json()).error_description).toContain('mutual TLS');

      // oauth curl at the plain-HTTP URL, where no certificate goes: the API refuses the token, saying why.
      const noCert = await spawnCli(['curl', api], { env });
      expect(noCert.code).toBe(4);
      expect(noCert.stderr).toContain('certificate-bound (RFC 8705)');
      expect(noCert.stdout).not.toContain('orders');
    } finally {
      await served.stop();
    }
  });

  it('publishes RFC 9728 metadata per listener: the mTLS one names its own URL and takes certificate-bound tokens', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    const served = await serve(env);
    try {
      const mtls = served.info.mtls!;
      const service = served.info.clients.find((client) => client.client_id === 'service')!;
      const tls = await get(mtls.api_metadata, mtls.ca_file, 'unused');
      expect(tls.status).toBe(200);
      expect(JSON.parse(tls.body)).toMatchObject({
        resource: mtls.api,
        authorization_servers: [served.info.issuer],
        tls_client_certificate_bound_access_tokens: true,
      });
      const plain = await (await fetch(served.info.api_metadata)).json();
      expect(plain.resource).toBe(served.info.api);
      expect(plain).not.toHaveProperty('tls_client_certificate_bound_access_tokens');

      // A token bound to nothing works on the mTLS listener as a bearer token, with or without a certificate.
      const unbound = await spawnCli(
        [
          'token',
          '--client-credentials',
          '--issuer',
          served.info.issuer,
          '--client-id',
          'service',
          '--scope',
          'api:read',
          '-o',
          'raw',
        ],
        { env: { ...env, OAUTH_CLIENT_SECRET: service.client_secret } },
      );
      expect(unbound.code, unbound.stderr).toBe(0);
      expect((await get(mtls.api, mtls.ca_file, unbound.stdout.trim())).status).toBe(200);
    } finally {
      await served.stop();
    }
  });
});
