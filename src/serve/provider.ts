// The local authorization server: oidc-provider (OpenID-certified) on 127.0.0.1, with development login and consent
// pages, the clients a developer needs to try everything, JWT access tokens (RFC 9068) and refresh-token rotation.
// Loaded only by `oauth serve` / `oauth demo` and the tests.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { JWK } from 'jose';
import { clientFeatureMetadata, type MtlsOptions, type ProtocolFeatures, providerFeatures } from './features.js';
import { API_SCOPES, resourceServer } from './resource.js';
import type { LaxMistakes } from './resource-token.js';

export { API_SCOPES };
export const DEFAULT_AUDIENCE = 'http://127.0.0.1/api';

export interface LocalClient {
  client_id: string;
  client_secret?: string;
  description: string;
  grant_types: string[];
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  /** Public key set for private_key_jwt clients. */
  jwks?: { keys: JWK[] };
  /** tls_client_auth (RFC 8705 §2.1): the subject DN its certificate must have. */
  tls_client_auth_subject_dn?: string;
  /** RFC 8705 §3: its access tokens are bound to its certificate. */
  tls_client_certificate_bound_access_tokens?: boolean;
}

export interface LocalServerOptions {
  port: number;
  /** How long a request may take to arrive, headers and body (default 30 s): a client that trickles is cut off. */
  requestTimeoutMs?: number;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Opaque access tokens unless a client asks for the audience as its resource (default: JWTs for the audience). */
  opaqueTokens?: boolean;
  /** Private signing keys (JWK with d), first one is used. */
  signingKeys: JWK[];
  clients: LocalClient[];
  /** Also serve the deliberately insecure example API (`serve --lax-api`), with these mistakes. */
  laxApi?: LaxMistakes;
  /** Where oidc-provider's notices go (it prints them on stdout otherwise). */
  log?: (line: string) => void;
  /**
   * Dynamic client registration (RFC 7591) with client management (RFC 7592); with an initial access token, only
   * requests that bear it may register.
   */
  registration?: { initialAccessToken?: string };
  /** DPoP, PAR, request objects, JARM, RAR (each off unless given). */
  features?: ProtocolFeatures;
  /** Called after each request with what went in and out (for `serve -v`, and the tests' secret collector). */
  onExchange?: (exchange: Exchange) => void;
}

export interface Exchange {
  method: string;
  path: string;
  status: number;
  /** Parsed request parameters: query or form body. */
  parameters: Record<string, unknown>;
  authorization?: string;
  location?: string;
  /** The response body when it is JSON. */
  response?: unknown;
}

export interface LocalServer {
  issuer: string;
  /** The example APIs' resource identifiers: the correct one, then the lax one when served. */
  apis: string[];
  clients: LocalClient[];
  /** The mutual-TLS listener's origin (https://127.0.0.1:port), when there is one. */
  mtlsOrigin?: string;
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 30_000;
const CONNECTIONS_CHECK_MS = 5_000;
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

interface ObservedContext {
  method: string;
  path: string;
  status: number;
  query: Record<string, unknown>;
  headers: Record<string, string | undefined>;
  body: unknown;
  response: { get(name: string): string };
  oidc?: { body?: Record<string, unknown>; params?: Record<string, unknown> };
}

/** The clients `oauth serve` offers; secrets are made fresh unless given. */
export function defaultClients(
  secrets: { confidential: string; service: string },
  jwtClientKeys?: { keys: JWK[] },
  /** The subject DN of the local CA's client certificate: adds the mutual-TLS client. */
  mtlsSubject?: string,
): LocalClient[] {
  const loopback = ['http://127.0.0.1/callback', 'http://[::1]/callback'];
  const clients: LocalClient[] = [
    {
      client_id: 'oauth-cli',
      description: 'public CLI client: PKCE, loopback redirect on any port, device flow, refresh tokens',
      grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE],
      redirect_uris: loopback,
      token_endpoint_auth_method: 'none',
    },
    {
      client_id: 'confidential-app',
      client_secret: secrets.confidential,
      description: 'confidential client (client_secret_basic): authorization code, refresh tokens, introspection',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      redirect_uris: loopback,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'service',
      client_secret: secrets.service,
      description: 'service client: client credentials only',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ];
  if (jwtClientKeys) {
    clients.push({
      client_id: 'jwt-client',
      description:
        'private_key_jwt client: client credentials and authorization code; its key also signs request objects (JAR)',
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirect_uris: loopback,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: jwtClientKeys,
    });
  }
  if (mtlsSubject) {
    clients.push({
      client_id: 'mtls-client',
      description:
        'mutual-TLS client (tls_client_auth, certificate-bound tokens): client credentials, authorization code',
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirect_uris: loopback,
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: mtlsSubject,
      tls_client_certificate_bound_access_tokens: true,
    });
  }
  return clients;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { Provider, errors } = await import('oidc-provider');
  const restoreConsole = options.log ? divertNotices(options.log) : () => undefined;
  // Node's defaults (60 s for headers, 5 min for a request, checked every 30 s) let a slow client hold a connection
  // for minutes; nothing this server takes needs more than a few seconds to send.
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server: Server = createServer({
    requestTimeout,
    headersTimeout: requestTimeout,
    connectionsCheckingInterval: Math.min(CONNECTIONS_CHECK_MS, requestTimeout),
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const mtls = options.features?.mtls ? await listenMtls(options.features.mtls, requestTimeout, sockets) : undefined;
  const alg = String(options.signingKeys[0]?.alg ?? 'RS256');
  const scopes = ['openid', 'offline_access', 'profile', 'email', ...API_SCOPES];
  const nonceSecret = randomBytes(32);
  const resources = resourceServer({
    issuer,
    audience: options.audience,
    keys: options.signingKeys,
    ...(options.laxApi ? { laxApi: options.laxApi } : {}),
    ...(mtls ? { mtlsOrigin: mtls.origin } : {}),
    ...(options.features?.dpop?.nonce ? { dpopNonceSecret: nonceSecret } : {}),
    ...(options.onExchange ? { onExchange: (exchange) => options.onExchange?.({ ...exchange, parameters: {} }) } : {}),
  });
  // The configured audience, and each example API by its own URL (what a client reads from its RFC 9728 metadata).
  const audiences = [options.audience, ...resources.resources];
  const features = options.features ?? {};
  const featureMetadata = clientFeatureMetadata(features, alg);

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.client_id,
      ...(client.client_secret ? { client_secret: client.client_secret } : {}),
      ...(client.jwks ? { jwks: client.jwks } : {}),
      ...(client.tls_client_auth_subject_dn ? { tls_client_auth_subject_dn: client.tls_client_auth_subject_dn } : {}),
      ...(client.tls_client_certificate_bound_access_tokens
        ? { tls_client_certificate_bound_access_tokens: true }
        : {}),
      grant_types: client.grant_types,
      response_types: client.grant_types.includes('authorization_code') ? ['code'] : [],
      redirect_uris: client.redirect_uris,
      token_endpoint_auth_method: client.token_endpoint_auth_method,
      application_type: 'native',
      scope: scopes.join(' '),
      // oidc-provider's client default is RS256; with only the chosen alg enabled that default fails every client.
      id_token_signed_response_alg: alg,
      ...featureMetadata,
    })) as never,
    jwks: { keys: options.signingKeys as never },
    scopes,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        name: sub,
        preferred_username: sub,
        email: `${sub}@example.test`,
        email_verified: false,
      }),
    }),
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      ClientCredentials: options.accessTokenTtlSeconds,
      DeviceCode: 600,
      Grant: options.refreshTokenTtlSeconds,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: options.refreshTokenTtlSeconds,
      Session: options.refreshTokenTtlSeconds,
    },
    // A registered client asks for no algorithm: it gets the one this server signs with.
    clientDefaults: {
      id_token_signed_response_alg: alg,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...featureMetadata,
    },
    ...(mtls
      ? {
          discovery: { mtls_endpoint_aliases: mtlsAliases(mtls.origin) },
          // oidc-provider's default list, and the two RFC 8705 methods.
          clientAuthMethods: [
            'client_secret_basic',
            'client_secret_jwt',
            'client_secret_post',
            'private_key_jwt',
            'none',
            'tls_client_auth',
            'self_signed_tls_client_auth',
          ],
        }
      : {}),
    features: {
      ...registrationFeatures(options.registration),
      ...providerFeatures(features, errors, nonceSecret),
      ...(mtls ? { mTLS: mtlsFeature() } : {}),
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Every access token is a JWT for the audience, whether or not the client names it as `resource` (RFC 8707)
        // — what an API developer verifies. Opaque tokens, which oidc-provider accepts at userinfo and can introspect
        // and revoke, only when asked for: then a client gets a JWT only by naming the audience.
        defaultResource: () => (options.opaqueTokens ? undefined : options.audience),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!audiences.includes(resource))
            throw new errors.InvalidTarget(`this server only issues tokens for ${audiences.join(', ')}`);
          return {
            scope: API_SCOPES.join(' '),
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtlSeconds,
            jwt: { sign: { alg } },
          };
        },
      },
    },
    renderError: (ctx: { type: string; body: string }, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      const text = `${out.error}${out.error_description ? `: ${out.error_description}` : ''}`.replace(
        /[&<>"']/g,
        (c) => `&#${c.charCodeAt(0)};`,
      );
      ctx.body = `<!doctype html><html><head><meta charset="utf-8"><title>Error</title></head><body><h1>Error</h1><p>${text}</p></body></html>`;
    },
    // JARM responses are signed with the server's one key, so only its algorithm can be offered for them.
    enabledJWA: { idTokenSigningAlgValues: [alg], authorizationSigningAlgValues: [alg] } as never,
  } as never);
  provider.on('server_error', (_ctx: unknown, error: Error) => options.log?.(`server error: ${error.message}`));
  if (options.onExchange) {
    const observe = options.onExchange;
    provider.use(async (ctx: ObservedContext, next: () => Promise<void>) => {
      await next();
      const exchange: Exchange = {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        parameters: { ...ctx.query, ...(ctx.oidc?.body ?? {}), ...(ctx.oidc?.params ?? {}) },
      };
      if (ctx.headers.authorization) exchange.authorization = ctx.headers.authorization;
      const location = ctx.response.get('location');
      if (location) exchange.location = location;
      if (ctx.body !== null && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body)) exchange.response = ctx.body;
      observe(exchange);
    });
  }
  const authorizationServer = provider.callback();
  server.on('request', (request, response) => {
    if (!resources.handle(request, response)) authorizationServer(request, response);
  });
  mtls?.server.on('request', (request, response) => {
    if (!resources.handle(request, response)) authorizationServer(request, response);
  });

  return {
    issuer,
    apis: resources.resources,
    clients: options.clients,
    ...(mtls ? { mtlsOrigin: mtls.origin } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        mtls?.server.close();
        server.close(() => {
          restoreConsole();
          resolve();
        });
      }),
  };
}

async function listenMtls(
  options: MtlsOptions,
  requestTimeout: number,
  sockets: Set<Socket>,
): Promise<{ server: HttpsServer; origin: string }> {
  const server = createHttpsServer({
    cert: options.cert,
    key: options.key,
    ca: options.ca,
    // A certificate is asked for but not required by the handshake: self_signed_tls_client_auth presents one no CA
    // signed, and the provider says what is wrong with a missing or untrusted one as an OAuth error, not a reset.
    requestCert: true,
    rejectUnauthorized: false,
    requestTimeout,
    headersTimeout: requestTimeout,
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return { server, origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** oidc-provider's default paths of the endpoints a client authenticates at or sends a bound token to. */
function mtlsAliases(origin: string): Record<string, string> {
  return {
    token_endpoint: `${origin}/token`,
    revocation_endpoint: `${origin}/token/revocation`,
    introspection_endpoint: `${origin}/token/introspection`,
    device_authorization_endpoint: `${origin}/device/auth`,
    userinfo_endpoint: `${origin}/me`,
    pushed_authorization_request_endpoint: `${origin}/request`,
  };
}

interface TlsContext {
  req: { socket: Partial<TLSSocket> };
}

const peerCertificate = (ctx: TlsContext) => {
  const socket = ctx.req.socket;
  // A plain-HTTP socket has no peer certificate; a TLS one without a client certificate gives undefined.
  return typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
};

function mtlsFeature() {
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: true,
    getCertificate: peerCertificate,
    certificateAuthorized: (ctx: TlsContext) => ctx.req.socket.authorized === true,
    certificateSubjectMatches: (ctx: TlsContext, property: string, expected: string) =>
      property === 'tls_client_auth_subject_dn' && peerCertificate(ctx)?.subject === expected,
  };
}

function registrationFeatures(registration: LocalServerOptions['registration']) {
  if (!registration) return {};
  return {
    registration: {
      enabled: true,
      ...(registration.initialAccessToken ? { initialAccessToken: registration.initialAccessToken } : {}),
    },
    registrationManagement: { enabled: true },
  };
}

/**
 * oidc-provider prints its development notices with console.info (stdout) and console.warn; a command whose stdout
 * carries results sends them to its log instead, for as long as the server runs.
 */
function divertNotices(log: (line: string) => void): () => void {
  const { info, warn } = console;
  console.info = (...args: unknown[]) => log(args.map(String).join(' '));
  console.warn = (...args: unknown[]) => log(args.map(String).join(' '));
  return () => {
    console.info = info;
    console.warn = warn;
  };
}
