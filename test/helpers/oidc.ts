// A real, certified authorization server (oidc-provider) on 127.0.0.1, started and stopped by the test.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import * as jose from 'jose';
import Provider from 'oidc-provider';

export const API_AUDIENCE = 'https://api.test';
export const SERVICE_CLIENT = { client_id: 'service', client_secret: 'service-secret-8c1f2e7a9b3d4c5e6f70812934a5b6c7' };

export interface TestAuthorizationServer {
  issuer: string;
  provider: Provider;
  close(): Promise<void>;
  /** A JWT access token (RFC 9068) for the service client, through the real token endpoint. */
  clientCredentialsToken(scope?: string): Promise<string>;
}

export async function startAuthorizationServer(): Promise<TestAuthorizationServer> {
  const server: Server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: [
      {
        ...SERVICE_CLIENT,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'api:read api:write',
      },
    ],
    jwks: { keys: [signingKey] },
    scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api:read api:write',
          audience: API_AUDIENCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 900,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  // oidc-provider prints its development notices on stdout; tests keep stdout for results.
  server.on('request', provider.callback());

  return {
    issuer,
    provider,
    async clientCredentialsToken(scope = 'api:read') {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${SERVICE_CLIENT.client_id}:${SERVICE_CLIENT.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: API_AUDIENCE }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`no access token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
