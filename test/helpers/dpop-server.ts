// A small DPoP authorization server and API on 127.0.0.1 (RFC 9449), strict where a real one is and misbehaving on
// request: it checks every proof (typ, signature by its own jwk, htm, htu, iat, ath, nonce) and binds its JWT access
// tokens to the proof's key (cnf.jkt).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, SignJWT } from 'jose';
import { startServer, type TestServer } from './server.js';

export type DpopServerMode =
  /** Nonces required at the token endpoint and the API, each asked for once, then accepted. */
  | 'good'
  /** A new nonce demanded on every token request. */
  | 'nonce-twice'
  /** The token is bound (cnf.jkt) but the answer says Bearer. */
  | 'bearer-bound'
  /** DPoP ignored: an opaque Bearer token. */
  | 'bearer-opaque'
  /** A nonce with an escape sequence (raw on the wire). */
  | 'evil-nonce'
  /** Nonces of 7000 characters, every time. */
  | 'huge-nonce';

export interface DpopServer extends TestServer {
  /** Thumbprints of the keys the token endpoint saw proofs from. */
  proofKeys: string[];
  tokenRequests: number;
  /** The grant of each token request that got past client authentication. */
  grants: string[];
  apiRequests: Array<{ status: number; nonce?: unknown; ath?: unknown }>;
}

const SECRET = new TextEncoder().encode('dpop-test-server-signing-secret!');
const CLIENT = { id: 'svc', secret: 'svcsecret0123456789abc' };
export const DPOP_CLIENT = CLIENT;

function body(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => resolve(text));
  });
}

async function proofOf(request: IncomingMessage, htu: string, htm: string) {
  const proof = request.headers.dpop;
  if (typeof proof !== 'string') return undefined;
  try {
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', maxTokenAge: 300 });
    if (payload.htu !== htu || payload.htm !== htm || typeof payload.jti !== 'string') return undefined;
    return { payload, jkt: await calculateJwkThumbprint(protectedHeader.jwk!) };
  } catch {
    return undefined;
  }
}

export async function startDpopServer(mode: DpopServerMode): Promise<DpopServer> {
  const server = await startServer();
  const state: DpopServer = Object.assign(server, { proofKeys: [], tokenRequests: 0, grants: [], apiRequests: [] });
  let asNonce = 0;
  const refreshTokens = new Map<string, string>();
  const refreshToken = (jkt: string) => {
    const token = `rt-${randomUUID()}`;
    refreshTokens.set(token, jkt);
    return token;
  };
  const send = (response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
  };
  server.route('/.well-known/oauth-authorization-server', (_request, response) =>
    send(response, 200, {
      issuer: server.origin,
      token_endpoint: `${server.origin}/token`,
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'],
    }),
  );
  server.route('/token', async (request, response) => {
    state.tokenRequests++;
    const form = new URLSearchParams(await body(request));
    const basic = Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64');
    const authenticated =
      request.headers.authorization === `Basic ${basic}` ||
      (form.get('client_id') === CLIENT.id && form.get('client_secret') === CLIENT.secret);
    const grant = form.get('grant_type');
    if (!authenticated || (grant !== 'client_credentials' && grant !== 'refresh_token'))
      return send(response, 401, { error: 'invalid_client' });
    const proof = await proofOf(request, `${server.origin}/token`, 'POST');
    if (!proof) return send(response, 400, { error: 'invalid_dpop_proof' });
    state.proofKeys.push(proof.jkt);
    state.grants.push(grant);
    // RFC 9449 §5: a public or confidential client's refresh token is bound to the key it was issued to.
    if (grant === 'refresh_token' && refreshTokens.get(form.get('refresh_token') ?? '') !== proof.jkt)
      return send(response, 400, { error: 'invalid_grant', error_description: 'refresh token bound to another key' });
    const nonceFor = (n: number) =>
      mode === 'evil-nonce' ? 'evil\x1b]0;owned\x07nonce' : mode === 'huge-nonce' ? 'z'.repeat(7000) : `as-nonce-${n}`;
    const wantsNonce = mode !== 'bearer-bound' && mode !== 'bearer-opaque';
    if (wantsNonce && (mode !== 'good' || proof.payload.nonce !== 'as-nonce-0')) {
      const next = nonceFor(mode === 'good' ? 0 : asNonce++);
      // Node refuses control characters in a header it writes: such a nonce goes out raw, as a hostile server's would.
      if (/[\x00-\x1f]/.test(next)) {
        const text = JSON.stringify({ error: 'use_dpop_nonce' });
        request.socket.end(
          `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ndpop-nonce: ${next}\r\ncontent-length: ${text.length}\r\nconnection: close\r\n\r\n${text}`,
        );
        return;
      }
      return send(response, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': next });
    }
    const token =
      mode === 'bearer-opaque'
        ? 'opaque-bearer-token-0123456789'
        : await new SignJWT({ cnf: { jkt: proof.jkt }, scope: 'api:read', client_id: CLIENT.id, jti: randomUUID() })
            .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
            .setIssuer(server.origin)
            .setIssuedAt()
            .setExpirationTime('10m')
            .sign(SECRET);
    return send(response, 200, {
      access_token: token,
      token_type: mode === 'good' ? 'DPoP' : 'Bearer',
      expires_in: 600,
      ...(mode === 'good' ? { refresh_token: refreshToken(proof.jkt) } : {}),
    });
  });
  let apiNonceGiven = false;
  // /api/orders asks for its own nonce first (RFC 9449 §9); /api/plain takes a proof without one.
  const api = (path: string, wantsNonce: boolean) =>
    server.route(path, async (request, response) => {
      const authorization = request.headers.authorization ?? '';
      const [scheme, token] = authorization.split(' ');
      const refuse = (error: string, extra: Record<string, string> = {}) => {
        state.apiRequests.push({ status: 401 });
        response.writeHead(401, { 'www-authenticate': `DPoP error="${error}", algs="ES256"`, ...extra }).end();
      };
      if (scheme !== 'DPoP' || !token) return refuse('invalid_token');
      let cnf: unknown;
      try {
        cnf = (await jwtVerify(token, SECRET)).payload.cnf;
      } catch {
        return refuse('invalid_token');
      }
      const proof = await proofOf(request, `${server.origin}${path}`, request.method ?? 'GET');
      if (!proof || proof.payload.ath !== createHash('sha256').update(token).digest('base64url'))
        return refuse('invalid_dpop_proof');
      if ((cnf as { jkt?: unknown } | undefined)?.jkt !== proof.jkt) return refuse('invalid_token');
      if (wantsNonce && proof.payload.nonce !== 'api-nonce-1') {
        apiNonceGiven = true;
        return refuse('use_dpop_nonce', { 'dpop-nonce': 'api-nonce-1' });
      }
      state.apiRequests.push({ status: 200, nonce: proof.payload.nonce, ath: proof.payload.ath });
      send(response, 200, { orders: [], nonceAskedFirst: apiNonceGiven });
    });
  api('/api/orders', true);
  api('/api/plain', false);
  return state;
}
