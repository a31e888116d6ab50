// Small protected APIs written for the tests, independent of the code under test: each validates bearer tokens with
// jose against one public key, as a careful API does — or makes exactly one mistake.
import { createHmac, createPublicKey, timingSafeEqual } from 'node:crypto';
import * as jose from 'jose';
import type { Route } from './server.js';

export type Mistake =
  | 'expired'
  | 'no-expiry'
  | 'nbf'
  | 'issuer'
  | 'issuer-prefix'
  | 'audience'
  | 'no-audience'
  | 'alg-none'
  | 'hs256'
  | 'forged-signature'
  | 'jwk-header'
  | 'jku-header'
  | 'x5u-header'
  | 'typ'
  | 'id-token'
  | 'scope'
  | 'tenant'
  | 'query'
  | 'dpop';

export interface ApiPolicy {
  /** The issuer's public signing key, with kid and alg. */
  publicJwk: jose.JWK;
  issuer: string;
  audience: string;
  clientId?: string;
  scope?: string;
  tenant?: { claim: string; value: unknown };
  mistake?: Mistake;
}

export interface ApiRequest {
  url: string;
  authorization?: string | undefined;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

class Refused extends Error {}

const refuse = (why: string): never => {
  throw new Refused(why);
};

/** Answers one request as the API would. */
export function tokenApi(policy: ApiPolicy): (request: ApiRequest) => Promise<ApiAnswer> {
  const skip = (mistake: Mistake) => policy.mistake === mistake;
  const challenge = (error?: string) => (error ? `Bearer realm="api", error="${error}"` : 'Bearer realm="api"');
  return async (request): Promise<ApiAnswer> => {
    const url = new URL(request.url, 'http://api.test');
    let token: string | undefined;
    if (request.authorization?.startsWith('Bearer ')) token = request.authorization.slice(7);
    else if (skip('query')) token = url.searchParams.get('access_token') ?? undefined;
    if (!token) return { status: 401, headers: { 'www-authenticate': challenge() }, body: '{"error":"no token"}' };
    try {
      const payload = await validate(token, policy, skip);
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orders: [], sub: payload.sub }),
      };
    } catch (error) {
      if (error instanceof Refused && error.message === 'insufficient_scope')
        return { status: 403, headers: { 'www-authenticate': challenge('insufficient_scope') }, body: '{}' };
      return {
        status: 401,
        headers: { 'www-authenticate': challenge('invalid_token') },
        body: '{"error":"invalid_token"}',
      };
    }
  };
}

async function validate(
  token: string,
  policy: ApiPolicy,
  skip: (mistake: Mistake) => boolean,
): Promise<Record<string, unknown>> {
  const [head = '', body = '', signature = ''] = token.split('.');
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as jose.JWSHeaderParameters;
  const alg = String(policy.publicJwk.alg);
  let idToken = false;
  const typ = String(header.typ ?? '')
    .toLowerCase()
    .replace(/^application\//, '');
  if (typ !== 'at+jwt') {
    if (skip('id-token') && typ === 'jwt') idToken = true;
    else if (!skip('typ')) refuse('typ');
  }

  if (header.alg === 'none') {
    if (!skip('alg-none') || signature !== '') refuse('alg');
  } else if (header.alg === 'HS256' && skip('hs256')) {
    const pem = createPublicKey({ key: policy.publicJwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const expected = createHmac('sha256', pem).update(`${head}.${body}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) refuse('signature');
  } else if (header.jwk && skip('jwk-header')) {
    await jose.compactVerify(token, await jose.importJWK(header.jwk, header.alg));
  } else if (header.jku && skip('jku-header')) {
    const keys = (await (await fetch(header.jku)).json()) as jose.JSONWebKeySet;
    await jose.compactVerify(token, jose.createLocalJWKSet(keys));
  } else {
    if (header.x5u && skip('x5u-header')) {
      const answer = await fetch(header.x5u);
      if (!answer.ok) refuse('x5u');
    }
    if (header.alg !== alg) refuse('alg');
    if (header.kid !== policy.publicJwk.kid) refuse('kid');
    // The mistake: a known kid is taken as proof enough.
    if (!skip('forged-signature'))
      await jose.compactVerify(token, await jose.importJWK(policy.publicJwk, alg), { algorithms: [alg] });
  }

  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp === undefined) {
    if (!skip('no-expiry')) refuse('exp');
  } else if (typeof claims.exp !== 'number' || (claims.exp <= now && !skip('expired'))) refuse('exp');
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60 && !skip('nbf')) refuse('nbf');
  if (!skip('issuer')) {
    const iss = String(claims.iss);
    if (skip('issuer-prefix') ? !iss.startsWith(policy.issuer) : iss !== policy.issuer) refuse('iss');
  }
  const audiences = claims.aud === undefined ? undefined : [claims.aud].flat().map(String);
  const expectedAudience = idToken ? policy.clientId : policy.audience;
  if (audiences === undefined) {
    if (!skip('no-audience')) refuse('aud');
  } else if (!skip('audience') && !audiences.includes(String(expectedAudience))) refuse('aud');
  if (claims.cnf !== undefined && !skip('dpop')) refuse('dpop');
  if (policy.tenant && !skip('tenant') && claims[policy.tenant.claim] !== policy.tenant.value) refuse('tenant');
  if (policy.scope && !idToken && !skip('scope')) {
    const granted = String(claims.scope ?? '').split(' ');
    if (!policy.scope.split(' ').every((one) => granted.includes(one))) refuse('insufficient_scope');
  }
  return claims;
}

/** The API as a route of a test server. */
export function apiRoute(policy: ApiPolicy): Route {
  const answer = tokenApi(policy);
  return async (request, response) => {
    const reply = await answer({ url: request.url ?? '/', authorization: request.headers.authorization });
    response.writeHead(reply.status, reply.headers).end(reply.body);
  };
}
