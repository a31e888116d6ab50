// A real, certified authorization server (oidc-provider, configured as `oauth serve` configures it) on 127.0.0.1,
// started and stopped by the test.
import * as jose from 'jose';
import { createLocalCa, type LocalCa } from '../../src/serve/local-ca.js';
import type { ProtocolFeatures } from '../../src/serve/features.js';
import { defaultClients, startLocalServer, type LocalClient, type LocalServer } from '../../src/serve/provider.js';
import { ALL_MISTAKES, type LaxMistakes } from '../../src/serve/resource-token.js';
import { recordExchange, recordSecret } from './leak-scan.js';

export const API_AUDIENCE = 'https://api.test';
export const SECRETS = {
  confidential: 'confidential-secret-5f0c3a9e7d2b4c6a8e1f3b5d7a9c0e2f',
  service: 'service-secret-8c1f2e7a9b3d4c5e6f70812934a5b6c7',
};
export const SERVICE_CLIENT = { client_id: 'service', client_secret: SECRETS.service };

export interface TestAuthorizationServer extends LocalServer {
  /** The private key of the private_key_jwt client, as a JWK. */
  jwtClientKey: jose.JWK;
  /** With `mtls`: the local CA, its server and client certificates (the client's subject is mtls-client's). */
  localCa?: LocalCa;
  /** A JWT access token (RFC 9068) for the service client, through the real token endpoint. */
  clientCredentialsToken(scope?: string): Promise<string>;
}

export async function startAuthorizationServer(
  options: {
    accessTokenTtlSeconds?: number;
    opaqueTokens?: boolean;
    clients?: (defaults: LocalClient[]) => LocalClient[];
    /** The one resource it issues tokens for (default API_AUDIENCE): a test API's own identifier. */
    audience?: string;
    /** Also the lax example API (at /lax-api/orders): every mistake of `serve --lax-api`, or the ones given. */
    laxApi?: boolean | LaxMistakes;
    /** Dynamic client registration (RFC 7591/7592), with an initial access token when given. */
    registration?: { initialAccessToken?: string };
    /** Mutual TLS (RFC 8705) on a second HTTPS listener (features.mtls), with a fresh local CA and the mtls-client. */
    mtls?: boolean;
    /** DPoP, PAR, request objects, JARM, RAR: each off unless given (`oauth serve` turns them all on). */
    features?: ProtocolFeatures;
  } = {},
): Promise<TestAuthorizationServer> {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-rs256', use: 'sig', alg: 'RS256' };
  const client = await jose.generateKeyPair('ES256', { extractable: true });
  const jwtClientKey = { ...(await jose.exportJWK(client.privateKey)), kid: 'jwt-client-1', alg: 'ES256' };
  const publicClientKey = {
    ...(await jose.exportJWK(client.publicKey)),
    kid: 'jwt-client-1',
    alg: 'ES256',
    use: 'sig',
  };
  const localCa = options.mtls ? createLocalCa() : undefined;
  const clients = defaultClients(SECRETS, { keys: [publicClientKey] }, localCa?.client.subject);
  const server = await startLocalServer({
    port: 0,
    audience: options.audience ?? API_AUDIENCE,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 900,
    refreshTokenTtlSeconds: 86400,
    opaqueTokens: options.opaqueTokens === true,
    signingKeys: [signingKey],
    clients: options.clients ? options.clients(clients) : clients,
    ...(options.laxApi ? { laxApi: options.laxApi === true ? ALL_MISTAKES : options.laxApi } : {}),
    ...(options.registration ? { registration: options.registration } : {}),
    ...(options.features || localCa
      ? {
          features: {
            ...options.features,
            ...(localCa ? { mtls: { ca: localCa.ca, cert: localCa.server.cert, key: localCa.server.key } } : {}),
          },
        }
      : {}),
    onExchange: recordExchange,
  });
  if (options.registration?.initialAccessToken) recordSecret(options.registration.initialAccessToken);
  for (const secret of Object.values(SECRETS)) recordSecret(secret);
  recordSecret(jwtClientKey.d);
  // A key's PEM body is never printed: its base64 lines are what a leak would show.
  if (localCa) for (const line of localCa.client.key.split('\n')) if (line.length > 40) recordSecret(line);
  return {
    ...server,
    jwtClientKey,
    ...(localCa ? { localCa } : {}),
    async clientCredentialsToken(scope = 'api:read') {
      const response = await fetch(`${server.issuer}/token`, {
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
  };
}
