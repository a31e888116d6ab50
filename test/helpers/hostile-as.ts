// A small authorization server that misbehaves on purpose: discovery, an /authorize that sends the browser straight
// back with a code, and a token endpoint whose answer each test chooses. For what no real server will do.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as jose from 'jose';
import { json, startServer, type Route, type TestServer } from './server.js';

export interface HostileServer {
  server: TestServer;
  issuer: string;
  key: { privateKey: CryptoKey; publicJwk: jose.JWK };
  /** The nonce and state of the last authorization request, for forging matching responses. */
  last: { nonce?: string; state?: string; redirectUri?: string; clientId?: string };
  token(route: Route): void;
  /** What /authorize adds to the callback (iss, extra parameters); null sends no iss. */
  callbackExtras: Record<string, string | null>;
  /** Signs an ID token with the server's key (or as told), for the last request by default. */
  idToken(claims?: Record<string, unknown>, header?: Record<string, unknown>, signWith?: CryptoKey): Promise<string>;
  close(): Promise<void>;
}

export async function startHostileServer(metadataExtras: Record<string, unknown> = {}): Promise<HostileServer> {
  const server = await startServer({});
  const issuer = server.url;
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: 'hostile-1', alg: 'RS256', use: 'sig' };
  const hostile: HostileServer = {
    server,
    issuer,
    key: { privateKey, publicJwk },
    last: {},
    callbackExtras: {},
    token: (route) => server.route('/token', route),
    async idToken(claims = {}, header = {}, signWith = privateKey) {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: issuer,
        aud: hostile.last.clientId ?? 'client',
        sub: 'mallory',
        iat: now,
        exp: now + 300,
        nonce: hostile.last.nonce,
        ...claims,
      };
      return new jose.SignJWT(payload as jose.JWTPayload)
        .setProtectedHeader({ alg: 'RS256', kid: 'hostile-1', ...header } as jose.JWTHeaderParameters)
        .sign(signWith);
    },
    close: () => server.close(),
  };
  server.route(
    '/.well-known/openid-configuration',
    json({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256'],
      ...metadataExtras,
    }),
  );
  server.route('/jwks', json({ keys: [publicJwk] }));
  server.route('/authorize', (request: IncomingMessage, response: ServerResponse) => {
    const params = new URL(request.url!, issuer).searchParams;
    hostile.last = {
      nonce: params.get('nonce') ?? undefined,
      state: params.get('state') ?? undefined,
      redirectUri: params.get('redirect_uri') ?? undefined,
      clientId: params.get('client_id') ?? undefined,
    };
    const target = new URL(params.get('redirect_uri')!);
    target.searchParams.set('code', 'hostile-code-0123456789');
    target.searchParams.set('state', params.get('state')!);
    const extras = { iss: issuer, ...hostile.callbackExtras };
    for (const [name, value] of Object.entries(extras)) {
      if (value === null) target.searchParams.delete(name);
      else target.searchParams.set(name, value);
    }
    response.writeHead(302, { location: target.href }).end();
  });
  return hostile;
}
