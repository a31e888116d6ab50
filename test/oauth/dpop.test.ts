// DPoP as a client on its own: keys, proofs, the one nonce retry at the authorization server, the token type a server
// answers with, and the nonces a run remembers. No network: fetch is a recorded function.
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  accessTokenHash,
  DPOP_ALGS,
  DpopNonces,
  dpopHandle,
  generateDpopKey,
  importDpopKey,
  isUsableNonce,
  MAX_NONCE_LENGTH,
  publicPart,
  resourceProof,
} from '../../src/oauth/dpop.js';
import { clientCredentials, type Protocol, refresh } from '../../src/oauth/grants.js';
import { fetchThrough, type ProtocolOptions } from '../../src/oauth/transport.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/net/http.js';
import { type AccessToken, callResource } from '../../src/oauth/resource-call.js';
import { parseSession, sessionFromResponse } from '../../src/oauth/session.js';
import type { TokenEndpointResponse } from 'oauth4webapi';

const secrets = () => {
  const added: string[] = [];
  return { added, add: (secret: string) => added.push(secret) };
};

describe('a session DPoP key', () => {
  it.each(DPOP_ALGS)(
    '%s: made, stored as a private JWK with its alg, reloaded with the same thumbprint',
    async (alg) => {
      const registry = secrets();
      const key = await generateDpopKey(alg, registry);
      expect(key.jwk.alg).toBe(alg);
      expect(typeof key.jwk.d).toBe('string');
      expect(registry.added).toContain(key.jwk.d);
      if (key.jwk.kty === 'RSA')
        for (const member of ['p', 'q', 'dp', 'dq', 'qi'] as const) expect(registry.added).toContain(key.jwk[member]);
      expect(key.thumbprint).toBe(
        await calculateJwkThumbprint(publicPart(key.jwk) as Parameters<typeof calculateJwkThumbprint>[0]),
      );
      const again = await importDpopKey(JSON.parse(JSON.stringify(key.jwk)), secrets());
      expect(again.thumbprint).toBe(key.thumbprint);
      // A proof signed with the reloaded key verifies with the key in its own header, and that key is the session's.
      const proof = await resourceProof(
        again,
        { url: 'https://api.example/orders?x=1#f', method: 'get', accessToken: 'tok' },
        1000,
      );
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        currentDate: new Date(1000 * 1000),
      });
      expect(payload).toMatchObject({
        htm: 'GET',
        htu: 'https://api.example/orders',
        ath: accessTokenHash('tok'),
        iat: 1000,
      });
      expect(typeof payload.jti).toBe('string');
      expect(protectedHeader.jwk).not.toHaveProperty('d');
      expect(await calculateJwkThumbprint(protectedHeader.jwk!)).toBe(key.thumbprint);
    },
  );

  it('a stored key that is no key of its alg is a corrupt store (exit 2), not a crash', async () => {
    const key = await generateDpopKey('ES256', secrets());
    await expect(importDpopKey({ ...key.jwk, alg: 'RS256' }, secrets())).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
    await expect(importDpopKey({ ...key.jwk, alg: 'none' }, secrets())).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
  });

  it('a resource proof carries the nonce it is given, and each proof has its own jti', async () => {
    const key = await generateDpopKey('ES256', secrets());
    const one = decode(await resourceProof(key, { url: 'https://a.example/', method: 'POST', nonce: 'n-1' }, 5));
    const two = decode(await resourceProof(key, { url: 'https://a.example/', method: 'POST' }, 5));
    expect(one.nonce).toBe('n-1');
    expect(two.nonce).toBeUndefined();
    expect(one.jti).not.toBe(two.jti);
    expect(one).not.toHaveProperty('ath');
  });
});

describe('the nonces a run remembers', () => {
  it('by origin; one no proof could carry is not remembered', () => {
    const nonces = new DpopNonces();
    expect(nonces.remember('https://as.example/token?x', 'abc-1')).toBe(true);
    expect(nonces.get('https://as.example/other')).toBe('abc-1');
    expect(nonces.get('https://api.example/')).toBeUndefined();
    expect(nonces.remember('https://as.example/', 'bad\x1b[31m')).toBe(false);
    expect(nonces.remember('https://as.example/', 'a"b')).toBe(false);
    expect(nonces.remember('https://as.example/', 'x'.repeat(MAX_NONCE_LENGTH + 1))).toBe(false);
    expect(nonces.get('https://as.example/')).toBe('abc-1');
    expect(isUsableNonce('x'.repeat(MAX_NONCE_LENGTH))).toBe(true);
  });
});

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A token endpoint answering in turn through our transport; every request and its DPoP proof recorded. */
async function server(answers: Answer[], options: { dpop?: boolean } = {}) {
  const sent: HttpRequest[] = [];
  const http: HttpClient = {
    async request(request) {
      sent.push(request);
      const next = answers.shift();
      if (!next) throw new Error('the token endpoint was called more often than the test expects');
      const response: HttpResponse = {
        url: String(request.url),
        status: next.status,
        headers: { 'content-type': 'application/json', ...next.headers },
        body: Buffer.from(JSON.stringify(next.body)),
        elapsedMs: 1,
      };
      return response;
    },
    async close() {},
  };
  const key = await generateDpopKey('ES256', secrets());
  const nonces = new DpopNonces();
  const warnings: string[] = [];
  const options_: ProtocolOptions = {
    [oauth.customFetch]: fetchThrough(http, () => 'token endpoint', nonces),
    [oauth.allowInsecureRequests]: true,
    ...(options.dpop === false ? {} : { DPoP: dpopHandle(key, nonces) }),
  };
  const protocol: Protocol = {
    as: { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' },
    client: { client_id: 'cli', token_endpoint_auth_method: 'none' },
    auth: oauth.None(),
    options: options_,
    warn: (message) => warnings.push(message),
  };
  const proofs = () => sent.map((request) => request.headers?.dpop);
  return { protocol, sent, proofs, key, warnings, nonces };
}

const decode = (jwt: string | undefined) =>
  JSON.parse(Buffer.from(jwt!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

const NONCE_ERROR: Answer = {
  status: 400,
  body: { error: 'use_dpop_nonce', error_description: 'nonce required' },
  headers: { 'dpop-nonce': 'server-nonce-1' },
};
const DPOP_TOKENS: Answer = {
  status: 200,
  body: { access_token: 'at-1', token_type: 'DPoP', expires_in: 60, refresh_token: 'rt-2' },
};

describe('DPoP at the authorization server', () => {
  it('every token request carries a proof of the session key; a nonce challenge is answered once, with the nonce', async () => {
    const world = await server([NONCE_ERROR, DPOP_TOKENS]);
    const tokens = await refresh(world.protocol, 'rt-1');
    expect(tokens.token_type).toBe('dpop');
    expect(world.sent).toHaveLength(2);
    const [first, second] = world.proofs().map(decode);
    expect(first).toMatchObject({ htm: 'POST', htu: 'https://as.example/token' });
    expect(first!.nonce).toBeUndefined();
    expect(second!.nonce).toBe('server-nonce-1');
    const header = decodeProtectedHeader(world.proofs()[1]!);
    expect(await calculateJwkThumbprint(header.jwk!)).toBe(world.key.thumbprint);
    expect(world.nonces.get('https://as.example/')).toBe('server-nonce-1');
  });

  it('a second nonce challenge in a row is the server’s fault: exit 5, after exactly one retry', async () => {
    const world = await server([
      NONCE_ERROR,
      { ...NONCE_ERROR, headers: { 'dpop-nonce': 'server-nonce-2' } },
      DPOP_TOKENS,
    ]);
    await expect(clientCredentials(world.protocol, {})).rejects.toMatchObject({
      code: 'PROTOCOL_ERROR',
      exitCode: 5,
      message: expect.stringContaining('asked for a DPoP nonce twice'),
    });
    expect(world.sent).toHaveLength(2);
  });

  it('a refresh asked for a nonce is not a refused refresh token', async () => {
    const world = await server([NONCE_ERROR, NONCE_ERROR]);
    await expect(refresh(world.protocol, 'rt-1')).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
  });

  it('a nonce with control characters is not sent back: the retry goes without it, and a second challenge ends it', async () => {
    const world = await server([
      { ...NONCE_ERROR, headers: { 'dpop-nonce': 'evil\x1b]0;owned\x07' } },
      { ...NONCE_ERROR, headers: { 'dpop-nonce': 'y'.repeat(100_000) } },
    ]);
    await expect(clientCredentials(world.protocol, {})).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
    expect(world.sent).toHaveLength(2);
    for (const proof of world.proofs()) expect(decode(proof).nonce).toBeUndefined();
  });

  it('without DPoP, a use_dpop_nonce error is not retried', async () => {
    const world = await server([NONCE_ERROR], { dpop: false });
    await expect(clientCredentials(world.protocol, {})).rejects.toMatchObject({ code: 'OAUTH_ERROR' });
    expect(world.sent).toHaveLength(1);
    expect(world.sent[0]!.headers?.dpop).toBeUndefined();
  });

  it('a DPoP-bound token (cnf.jkt) answered as Bearer is refused: the server lies (exit 5)', async () => {
    const world = await server([]);
    const bound = await new SignJWT({ cnf: { jkt: world.key.thumbprint } })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32));
    const lying = await server([{ status: 200, body: { access_token: bound, token_type: 'Bearer', expires_in: 60 } }]);
    await expect(clientCredentials(lying.protocol, {})).rejects.toMatchObject({
      code: 'PROTOCOL_ERROR',
      exitCode: 5,
      message: expect.stringContaining('Nothing was stored'),
    });
  });

  it('an opaque token answered as Bearer: the server ignored DPoP, said once, and the token is kept as Bearer', async () => {
    const world = await server([
      { status: 200, body: { access_token: 'opaque-1', token_type: 'Bearer', expires_in: 60 } },
    ]);
    const tokens = await clientCredentials(world.protocol, {});
    expect(tokens.token_type).toBe('bearer');
    expect(world.warnings).toEqual([expect.stringContaining('ignored DPoP')]);
  });
});

describe('a DPoP session at rest', () => {
  it('keeps its key through a refresh answer, and a stored key that is no private JWK is a corrupt store', async () => {
    const key = await generateDpopKey('ES256', secrets());
    const previous = sessionFromResponse(
      { access_token: 'at-1', token_type: 'DPoP', refresh_token: 'rt-1', expires_in: 60 } as TokenEndpointResponse,
      { issuer: 'https://as.example', clientId: 'cli', nowSeconds: 0, dpopJwk: key.jwk },
    );
    const next = sessionFromResponse(
      { access_token: 'at-2', token_type: 'dpop', expires_in: 60 } as TokenEndpointResponse,
      { issuer: 'https://as.example', clientId: 'cli', nowSeconds: 10, previous },
    );
    expect(next).toMatchObject({ token_type: 'DPoP', dpop_jwk: key.jwk, refresh_token: 'rt-1' });
    expect(parseSession(JSON.stringify(next), 'here')?.dpop_jwk).toEqual(key.jwk);
    const { d: _d, ...publicOnly } = key.jwk;
    expect(() => parseSession(JSON.stringify({ ...next, dpop_jwk: publicOnly }), 'here')).toThrow(/dpop_jwk/);
    expect(() => parseSession(JSON.stringify({ ...next, dpop_jwk: 'key' }), 'here')).toThrow(/dpop_jwk/);
  });
});

describe('DPoP at an API', () => {
  const api = new URL('https://api.example/orders');
  const nonceChallenge = (nonce: string): HttpResponse => ({
    url: api.href,
    status: 401,
    headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce },
    body: Buffer.alloc(0),
    elapsedMs: 1,
  });
  async function call(answers: HttpResponse[]) {
    const key = await generateDpopKey('ES256', secrets());
    const sent: HttpRequest[] = [];
    const nonces = new DpopNonces();
    const token: AccessToken = {
      value: 'at-1',
      type: 'DPoP',
      issuer: 'https://as.example',
      resource: [],
      proof: ({ url, method, nonce }) => resourceProof(key, { url, method, accessToken: 'at-1', nonce }, 100),
    };
    const result = await callResource(
      { url: api, method: 'GET', headers: {}, maxBytes: 1000 },
      { discover: false },
      {
        http: async () => ({
          async request(request) {
            sent.push(request);
            const next = answers.shift();
            if (!next) throw new Error('the API was called more often than the test expects');
            return next;
          },
          async close() {},
        }),
        // The API publishes no metadata: a refusal stays the answer.
        documents: async () => ({
          get: async (url) => ({
            url,
            status: 404,
            headers: {},
            body: Buffer.alloc(0),
            elapsedMs: 1,
            fromCache: false,
            fetchedAt: 0,
          }),
          forget: async () => undefined,
        }),
        insecure: false,
        token: async () => token,
        signIn: async () => false,
        chooseServer: async () => undefined,
        note: () => undefined,
        dpopNonces: nonces,
      },
    );
    return { result, sent, proofs: sent.map((request) => decode(request.headers?.dpop)) };
  }

  it('sends the token with a proof (ath, htm, htu) and answers a nonce challenge once, with the nonce', async () => {
    const ok: HttpResponse = { url: api.href, status: 200, headers: {}, body: Buffer.from('{}'), elapsedMs: 1 };
    const { result, sent, proofs } = await call([nonceChallenge('n-1'), ok]);
    expect(result.outcome).toBe('ok');
    expect(sent).toHaveLength(2);
    expect(sent[0]!.headers?.authorization).toBe('DPoP at-1');
    expect(proofs[0]).toMatchObject({ htm: 'GET', htu: api.href, ath: accessTokenHash('at-1') });
    expect(proofs[0]!.nonce).toBeUndefined();
    expect(proofs[1]!.nonce).toBe('n-1');
  });

  it('a second nonce challenge is the answer: no third call', async () => {
    const { result, sent } = await call([nonceChallenge('n-1'), nonceChallenge('n-2')]);
    expect(result.outcome).toBe('refused');
    expect(sent).toHaveLength(2);
  });

  it('a nonce no proof could carry is not retried with', async () => {
    const { result, sent } = await call([nonceChallenge('bad\x1b[2Jnonce')]);
    expect(result.outcome).toBe('refused');
    expect(sent).toHaveLength(1);
  });
});
