// The example APIs of the local server, in-process: the correct one refuses every broken token with the right status
// and RFC 6750 / RFC 9728 challenge and accepts the valid one; the lax one accepts what each of its mistakes lets in;
// the metadata, the resource identifiers the authorization server issues tokens for, DPoP binding, bounded bodies.
import { createHash, createPrivateKey, createSign, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Defect, type MintClaims, mint, SUITE } from '../../src/serve/mint.js';
import { defaultClients, type LocalServer, startLocalServer } from '../../src/serve/provider.js';
import { API_PATH, LAX_API_PATH } from '../../src/serve/resource.js';
import { ALL_MISTAKES, type LaxMistakes, NO_MISTAKES, tokenVerifier } from '../../src/serve/resource-token.js';
import { generateSigningKey } from '../../src/serve/state.js';

const AUDIENCE = 'http://127.0.0.1/api';
const SECRETS = {
  confidential: 'confidential-secret-for-resource-tests',
  service: 'service-secret-for-resource-tests',
};
const key = generateSigningKey('RS256');
let server: LocalServer;
let api: string;
let lax: string;

beforeAll(async () => {
  server = await startLocalServer({
    port: 0,
    audience: AUDIENCE,
    accessTokenTtlSeconds: 900,
    refreshTokenTtlSeconds: 3600,
    signingKeys: [key],
    clients: defaultClients(SECRETS),
    laxApi: ALL_MISTAKES,
    features: { dpop: {} },
    log: () => undefined,
  });
  api = `${server.issuer}${API_PATH}`;
  lax = `${server.issuer}${LAX_API_PATH}`;
});
afterAll(() => server?.close());

const now = () => Math.floor(Date.now() / 1000);
const claims = (overrides: Partial<MintClaims> = {}): MintClaims => ({
  issuer: server.issuer,
  subject: 'alice',
  audience: AUDIENCE,
  scope: 'api:read',
  clientId: 'oauth-cli',
  ttlSeconds: 900,
  typ: 'at+jwt',
  extra: {},
  ...overrides,
});
const token = async (defect?: Defect, overrides: Partial<MintClaims> = {}) =>
  (await mint(key, claims(overrides), defect, now())).token;
const get = (url: string, bearer?: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers } });

/** A GET with a header sent several times, since fetch joins repeated headers into one. */
function getRepeated(url: string, name: string, values: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { headers: { [name]: values } }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += String(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

/** The parameters of a one-challenge WWW-Authenticate header. */
function challenge(response: Response): { scheme: string; params: Record<string, string> } {
  const header = response.headers.get('www-authenticate') ?? '';
  const [scheme = '', rest = ''] = header.split(/ (.*)/s);
  const params = Object.fromEntries([...rest.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
  return { scheme, params };
}

async function tokenFor(resource: string, scope = 'api:read api:write'): Promise<Response> {
  return fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`service:${SECRETS.service}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
  });
}

describe('the correct example API', () => {
  it('returns the orders for a valid token', async () => {
    const response = await get(api, await token());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(body.orders.length).toBeGreaterThan(0);
    expect(body.orders[0]).toMatchObject({ id: expect.stringMatching(/^ord_/), item: expect.any(String) });
  });

  it('answers a request without a token with 401 and a challenge that names only its metadata', async () => {
    const response = await get(api);
    expect(response.status).toBe(401);
    expect(challenge(response)).toEqual({
      scheme: 'Bearer',
      params: { resource_metadata: `${server.issuer}/.well-known/oauth-protected-resource/api/orders` },
    });
    expect(await response.json()).toMatchObject({ error: 'unauthorized' });
    const basic = await get(api, undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
    expect(challenge(basic).params.error).toBeUndefined();
  });

  const refused = SUITE.filter((defect) => !['missing-sub'].includes(defect));
  it.each(refused)('refuses a token with the defect %s: 401 invalid_token', async (defect) => {
    const response = await get(api, await token(defect));
    expect(response.status).toBe(401);
    const { scheme, params } = challenge(response);
    expect(scheme).toBe('Bearer');
    expect(params).toMatchObject({
      error: 'invalid_token',
      resource_metadata: `${server.issuer}/.well-known/oauth-protected-resource/api/orders`,
    });
    expect(params.error_description).toMatch(/\S/);
    expect(await response.json()).toMatchObject({
      error: 'invalid_token',
      error_description: params.error_description,
    });
  });

  it('refuses sub-less tokens too, since RFC 9068 requires sub', async () => {
    expect((await get(api, await token('missing-sub'))).status).toBe(401);
    expect((await get(api, await token('missing-client_id'))).status).toBe(401);
  });

  it('says why, in words a developer can act on', async () => {
    const describe = async (bearer: string) => challenge(await get(api, bearer)).params.error_description;
    expect(await describe(await token('expired'))).toMatch(/expired/);
    expect(await describe(await token('wrong-typ'))).toMatch(/at\+jwt/);
    expect(await describe(await token('alg-none'))).toMatch(/alg is not one this API accepts: RS256/);
    expect(await describe(await token('hs256-with-public-key'))).toMatch(/alg is not one this API accepts/);
    expect(await describe(await token('wrong-audience'))).toMatch(/audience/);
  });

  it('compares the issuer exactly: one that shares only a prefix is refused', async () => {
    for (const issuer of [`${server.issuer}.attacker.example`, `${server.issuer}0`, `${server.issuer}/`]) {
      const response = await get(api, await token(undefined, { issuer }));
      expect(response.status, issuer).toBe(401);
      expect(challenge(response).params.error_description).toMatch(/another issuer/);
    }
  });

  it("never uses a key the token names itself (jwk header), nor a known kid on another key's signature", async () => {
    const embedded = await tokenWithEmbeddedKey(server.issuer);
    const response = await get(api, embedded);
    expect(response.status).toBe(401);
    expect(challenge(response).params.error_description).toMatch(/never used/);
    const known = await tokenWithEmbeddedKey(server.issuer, { kid: key.kid, embed: false });
    expect((await get(api, known)).status).toBe(401);
  });

  it('accepts its own resource identifier and the configured audience as aud, nothing else', async () => {
    expect((await get(api, await token(undefined, { audience: api }))).status).toBe(200);
    expect((await get(api, await token(undefined, { audience: lax }))).status).toBe(401);
    expect((await get(api, await token(undefined, { audience: `${api}/` }))).status).toBe(401);
  });

  it('refuses a token in the query string or a form body, and two tokens at once: 400 invalid_request', async () => {
    const valid = await token();
    const query = await get(`${api}?access_token=${valid}`);
    expect(query.status).toBe(400);
    expect(challenge(query).params.error).toBe('invalid_request');
    const both = await get(`${api}?access_token=${valid}`, valid);
    expect(both.status).toBe(400);
    const form = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: await token(undefined, { scope: 'api:write' }) }),
    });
    expect(form.status).toBe(400);
    expect((await form.json()).error).toBe('invalid_request');
    const malformed = await get(api, undefined, { authorization: 'Bearer a"b' });
    expect(malformed.status).toBe(400);
    expect(challenge(malformed).params.error).toBe('invalid_request');
    expect((await get(api, undefined, { authorization: 'Bearer' })).status).toBe(400);
  });

  it('refuses two Authorization headers (a valid one first): 400 invalid_request', async () => {
    const valid = await token();
    for (const second of ['garbage', `Bearer ${valid}`]) {
      const response = await getRepeated(api, 'authorization', [`Bearer ${valid}`, second]);
      expect(response.status, second).toBe(400);
      expect(JSON.parse(response.body).error).toBe('invalid_request');
    }
  });

  it('needs api:write to POST: 403 insufficient_scope with the scope, then 201 with it', async () => {
    const readOnly = await fetch(api, { method: 'POST', headers: { authorization: `Bearer ${await token()}` } });
    expect(readOnly.status).toBe(403);
    expect(challenge(readOnly).params).toMatchObject({ error: 'insufficient_scope', scope: 'api:write' });
    expect(challenge(readOnly).params.resource_metadata).toMatch(/oauth-protected-resource\/api\/orders$/);
    const placed = await fetch(api, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token(undefined, { scope: 'api:read api:write' })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ item: 'green tea', quantity: 3 }),
    });
    expect(placed.status).toBe(201);
    const order = await placed.json();
    expect(order).toMatchObject({ item: 'green tea', quantity: 3, placed_by: 'alice' });
    const listed = await (await get(api, await token())).json();
    expect(listed.orders.map((each: { id: string }) => each.id)).toContain(order.id);
    const noRead = await get(api, await token(undefined, { scope: 'api:write' }));
    expect(noRead.status).toBe(403);
    expect(challenge(noRead).params.scope).toBe('api:read');
  });

  it('refuses a body over 16 KiB, bad order input, other methods and other paths', async () => {
    const writer = await token(undefined, { scope: 'api:write' });
    const big = await fetch(api, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: 'x'.repeat(20_000),
    });
    expect(big.status).toBe(413);
    const bad = await fetch(api, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ item: '\u001b[31mred', quantity: 1 }),
    });
    expect(bad.status).toBe(400);
    expect((await fetch(api, { method: 'DELETE' })).status).toBe(405);
    expect((await get(`${server.issuer}/api/customers`, writer)).status).toBe(404);
  });

  it('keeps its challenges to the characters RFC 6750 allows, whatever the token holds', async () => {
    const hostile = await token('wrong-issuer', { subject: 'x"\u001b[2J\\', extra: { scope: '"\r\n' } });
    const response = await get(api, hostile);
    expect(response.headers.get('www-authenticate')).toMatch(/^[\x20-\x7e]+$/);
    expect(response.headers.get('www-authenticate')).not.toContain('attacker');
  });
});

describe('what the correct API says back', () => {
  const HOSTILE = 'Evil\u202eMARK\u001b[2J';
  const marker = (name: string) => `${HOSTILE}-${name}-${'x'.repeat(40)}`;
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = async (header: Record<string, unknown>, payload: Record<string, unknown>) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...header })
      .sign(await importJWK(key, 'RS256'));
  const base = () => ({
    iss: server.issuer,
    sub: 'alice',
    aud: AUDIENCE,
    scope: 'api:read',
    client_id: 'oauth-cli',
    jti: randomUUID(),
    iat: now(),
    exp: now() + 300,
  });

  it('never echoes a header, claim or DPoP field of the request: only its own fixed words', async () => {
    const unsignedHeader = (header: Record<string, unknown>) => `${b64(header)}.${b64(base())}.c2ln`;
    const holder = await generateKeyPair('ES256');
    const jwk = await exportJWK(holder.publicKey);
    const { calculateJwkThumbprint } = await import('jose');
    const bound = await signed({}, { ...base(), cnf: { jkt: await calculateJwkThumbprint(jwk) } });
    const hash = (value: string) => createHash('sha256').update(value).digest('base64url');
    const proof = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      new SignJWT({ jti: randomUUID(), htm: 'GET', htu: api, iat: now(), ath: hash(bound), ...payload })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header })
        .sign(holder.privateKey);
    const requests: Array<[string, Record<string, string>]> = [
      ['alg', { authorization: `Bearer ${unsignedHeader({ alg: marker('alg'), typ: 'at+jwt' })}` }],
      ['long alg', { authorization: `Bearer ${unsignedHeader({ alg: marker('alg').repeat(200) })}` }],
      ['kid', { authorization: `Bearer ${unsignedHeader({ alg: 'RS256', kid: marker('kid') })}` }],
      ['typ', { authorization: `Bearer ${await signed({ typ: marker('typ') }, base())}` }],
      ['iss', { authorization: `Bearer ${await signed({}, { ...base(), iss: marker('iss') })}` }],
      ['aud', { authorization: `Bearer ${await signed({}, { ...base(), aud: marker('aud') })}` }],
      ['scope', { authorization: `Bearer ${await signed({}, { ...base(), scope: marker('scope') })}` }],
      ['exp', { authorization: `Bearer ${await signed({}, { ...base(), exp: marker('exp') })}` }],
      ['iat', { authorization: `Bearer ${await signed({}, { ...base(), iat: marker('iat') })}` }],
      [
        'claim name',
        { authorization: `Bearer ${await signed({}, { ...base(), exp: now() - 999, [marker('name')]: marker('v') })}` },
      ],
      ['crit', { authorization: `Bearer ${unsignedHeader({ alg: 'RS256', kid: key.kid, crit: [marker('crit')] })}` }],
      ['dpop htm', { authorization: `DPoP ${bound}`, dpop: await proof({ htm: marker('htm') }) }],
      ['dpop htu', { authorization: `DPoP ${bound}`, dpop: await proof({ htu: marker('htu') }) }],
      ['dpop ath', { authorization: `DPoP ${bound}`, dpop: await proof({ ath: marker('ath') }) }],
      ['dpop jti', { authorization: `DPoP ${bound}`, dpop: await proof({ jti: marker('jti') }) }],
      ['dpop typ', { authorization: `DPoP ${bound}`, dpop: await proof({}, { typ: marker('ptyp') }) }],
    ];
    for (const [name, headers] of requests) {
      const response = await get(api, undefined, headers);
      expect(response.status, name).not.toBe(500);
      const said = `${response.headers.get('www-authenticate')} ${await response.text()}`;
      expect(said, name).not.toMatch(/Evil|MARK|xxxxxxxx|\\u202e/i);
      expect(said.length, name).toBeLessThan(1000);
    }
  });
});

describe('deeply nested tokens', () => {
  it('are refused with 401 invalid_token at both APIs, never a 500', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const claims = `{"iss":${JSON.stringify(server.issuer)},"sub":"alice","aud":${JSON.stringify(AUDIENCE)},"scope":"api:read","client_id":"oauth-cli","jti":"j","iat":${now()},"exp":${now() + 300},"deep":${deep}}`;
    // Built by hand: no JOSE library would encode a header this deep.
    const sign = (header: string, payload: string) => {
      const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
      const signature = createSign('RSA-SHA256')
        .update(input)
        .sign(createPrivateKey({ key, format: 'jwk' }));
      return `${input}.${signature.toString('base64url')}`;
    };
    const header = (typ: string) => `{"alg":"RS256","kid":${JSON.stringify(key.kid)},"typ":${typ}}`;
    for (const url of [api, lax]) {
      for (const bearer of [sign(header('"at+jwt"'), claims), sign(header(deep), claims.replace(deep, '1'))]) {
        const response = await get(url, bearer);
        expect(response.status, url).toBe(401);
        expect((await response.json()).error).toBe('invalid_token');
      }
    }
  });
});

describe('DPoP-bound tokens at the correct API', () => {
  it('refuses one without a proof, accepts it with a valid proof once, and refuses a replay or a wrong proof', async () => {
    const holder = await generateKeyPair('ES256');
    const jwk = await exportJWK(holder.publicKey);
    const { calculateJwkThumbprint } = await import('jose');
    const bound = await token(undefined, { extra: { cnf: { jkt: await calculateJwkThumbprint(jwk) } } });

    const bare = await get(api, bound);
    expect(bare.status).toBe(401);
    expect(challenge(bare)).toMatchObject({ scheme: 'DPoP', params: { error: 'invalid_token' } });

    const proof = (overrides: Record<string, unknown> = {}) =>
      new SignJWT({
        jti: randomUUID(),
        htm: 'GET',
        htu: api,
        ath: createHash('sha256').update(bound).digest('base64url'),
        ...overrides,
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(holder.privateKey);
    const withProof = (value: string) => get(api, undefined, { authorization: `DPoP ${bound}`, dpop: value });
    const good = await proof();
    expect((await withProof(good)).status).toBe(200);
    const replay = await withProof(good);
    expect(replay.status).toBe(401);
    expect(challenge(replay).params.error).toBe('invalid_dpop_proof');
    expect((await withProof(await proof({ htm: 'POST' }))).status).toBe(401);
    expect((await withProof(await proof({ htu: lax }))).status).toBe(401);
    expect((await withProof(await proof({ ath: 'x' }))).status).toBe(401);
    expect((await get(api, undefined, { authorization: `DPoP ${bound}` })).status).toBe(401);
    expect((await get(api, undefined, { authorization: `DPoP ${await token()}`, dpop: good })).status).toBe(401);
  });
});

describe('a DPoP-bound token the authorization server issues', () => {
  it('works at the API with a proof, and not as a bearer token', async () => {
    const holder = await generateKeyPair('ES256');
    const jwk = await exportJWK(holder.publicKey);
    const proof = (htm: string, htu: string, extra: Record<string, unknown> = {}) =>
      new SignJWT({ jti: randomUUID(), htm, htu, ...extra })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(holder.privateKey);
    const issued = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`service:${SECRETS.service}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await proof('POST', `${server.issuer}/token`),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read', resource: api }),
    });
    const body = await issued.json();
    expect(body.token_type).toBe('DPoP');
    const bound: string = body.access_token;
    expect((await get(api, bound)).status).toBe(401);
    const ath = createHash('sha256').update(bound).digest('base64url');
    const response = await get(api, undefined, {
      authorization: `DPoP ${bound}`,
      dpop: await proof('GET', api, { ath }),
    });
    expect(response.status).toBe(200);
  });
});

describe('the lax example API (--lax-api)', () => {
  const accepted: Defect[] = [
    'expired',
    'not-yet-valid',
    'issued-in-future',
    'wrong-audience',
    'wrong-typ',
    'alg-none',
  ];
  it.each([...accepted, 'hs256-with-public-key', 'missing-aud', 'id-token', 'issuer-prefix', 'jwk-header'] as Defect[])(
    'accepts a token with the defect %s',
    async (defect) => {
      expect((await get(lax, await token(defect))).status).toBe(200);
    },
  );

  it('still refuses a bad signature, an unknown key, another issuer and keys a token points to', async () => {
    for (const defect of [
      'bad-signature',
      'unknown-kid',
      'wrong-issuer',
      'known-kid-other-key',
      'jku-header',
      'x5u-header',
    ] as Defect[])
      expect((await get(lax, await token(defect))).status, defect).toBe(401);
  });

  it('accepts an issuer by prefix, a jwk header, the query string, a missing scope and an unproven DPoP token', async () => {
    expect((await get(lax, await token(undefined, { issuer: `${server.issuer}.attacker.example` }))).status).toBe(200);
    expect((await get(lax, await tokenWithEmbeddedKey(server.issuer))).status).toBe(200);
    expect((await get(`${lax}?access_token=${await token()}`)).status).toBe(200);
    expect((await fetch(lax, { method: 'POST', headers: { authorization: `Bearer ${await token()}` } })).status).toBe(
      201,
    );
    expect((await get(lax, await token(undefined, { extra: { cnf: { jkt: 'not-the-holder' } } }))).status).toBe(200);
  });

  it('still answers 401 with its own metadata when no token is sent', async () => {
    const response = await get(lax);
    expect(response.status).toBe(401);
    expect(challenge(response).params.resource_metadata).toBe(
      `${server.issuer}/.well-known/oauth-protected-resource/lax-api/orders`,
    );
  });
});

describe('each lax mistake on its own', () => {
  const cases: Array<[keyof LaxMistakes, () => Promise<string>]> = [
    ['acceptExpired', () => token('expired')],
    ['acceptNotYetValid', () => token('not-yet-valid')],
    ['issuerPrefix', () => token(undefined, { issuer: `${server.issuer}.attacker.example` })],
    ['skipAudience', () => token('wrong-audience')],
    ['acceptAlgNone', () => token('alg-none')],
    ['acceptHmacWithPublicKey', () => token('hs256-with-public-key')],
    ['trustEmbeddedJwk', () => tokenWithEmbeddedKey(server.issuer)],
    ['acceptAnyTyp', () => token('wrong-typ')],
    ['skipSignature', () => token('bad-signature')],
  ];
  it.each(cases)('%s lets in its token and nothing else', async (mistake, make) => {
    const verify = (mistakes: LaxMistakes) =>
      tokenVerifier({ issuer: server.issuer, audiences: [AUDIENCE], keys: [key], mistakes, now: Date.now });
    const broken = await make();
    expect((await verify(NO_MISTAKES)(broken)).ok).toBe(false);
    expect((await verify({ ...NO_MISTAKES, [mistake]: true })(broken)).ok).toBe(true);
    const others = cases.filter(([name]) => name !== mistake && name !== 'skipSignature');
    for (const [name, other] of others) {
      if (
        mistake === 'skipSignature' &&
        ['acceptAlgNone', 'acceptHmacWithPublicKey', 'trustEmbeddedJwk'].includes(name)
      )
        continue;
      expect((await verify({ ...NO_MISTAKES, [mistake]: true })(await other())).ok, name).toBe(false);
    }
  });
});

describe('RFC 9728 metadata and the resources the server issues tokens for', () => {
  it('publishes metadata whose resource is the URL a client calls', async () => {
    const response = await fetch(`${server.issuer}/.well-known/oauth-protected-resource/api/orders`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: api,
      authorization_servers: [server.issuer],
      scopes_supported: ['api:read', 'api:write'],
      bearer_methods_supported: ['header'],
      resource_name: expect.stringMatching(/correctly/),
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
      dpop_bound_access_tokens_required: false,
    });
    const laxMetadata = await (
      await fetch(`${server.issuer}/.well-known/oauth-protected-resource/lax-api/orders`)
    ).json();
    expect(laxMetadata).toMatchObject({ resource: lax, bearer_methods_supported: ['header', 'body', 'query'] });
    expect(laxMetadata.resource_name).toMatch(/insecure/);
    expect(server.apis).toEqual([api, lax]);
  });

  it('has no metadata for the origin or other paths (the origin is the authorization server)', async () => {
    for (const path of ['', '/api', '/api/orders/1'])
      expect((await fetch(`${server.issuer}/.well-known/oauth-protected-resource${path}`)).status, path).toBe(404);
    expect(
      (await fetch(`${server.issuer}/.well-known/oauth-protected-resource/api/orders`, { method: 'POST' })).status,
    ).toBe(405);
  });

  it("issues a token for the API's resource identifier that the API accepts, and one for the lax API it refuses", async () => {
    const forApi = (await (await tokenFor(api)).json()).access_token;
    expect(JSON.parse(Buffer.from(forApi.split('.')[1], 'base64url').toString()).aud).toBe(api);
    expect((await get(api, forApi)).status).toBe(200);
    const forLax = (await (await tokenFor(lax)).json()).access_token;
    expect((await get(api, forLax)).status).toBe(401);
    expect((await get(lax, forLax)).status).toBe(200);
    const forAudience = (await (await tokenFor(AUDIENCE)).json()).access_token;
    expect((await get(api, forAudience)).status).toBe(200);
    const other = await tokenFor(`${server.issuer}/api/customers`);
    expect(other.status).toBe(400);
    expect((await other.json()).error).toBe('invalid_target');
  });
});

/** A token signed by a key of its own: with that key in a jwk header (embed) or only claiming the server's kid. */
async function tokenWithEmbeddedKey(issuer: string, options: { kid?: string; embed?: boolean } = {}): Promise<string> {
  const attacker = await generateKeyPair('RS256');
  const jwk: JWK = await exportJWK(attacker.publicKey);
  return new SignJWT({ scope: 'api:read', client_id: 'oauth-cli', jti: randomUUID() })
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'at+jwt',
      ...(options.kid ? { kid: options.kid } : {}),
      ...(options.embed === false ? {} : { jwk }),
    })
    .setIssuer(issuer)
    .setSubject('mallory')
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(attacker.privateKey);
}

describe('a client that sends its request slowly', () => {
  it('is cut off once the request timeout passes, headers never finished', async () => {
    const slow = await startLocalServer({
      port: 0,
      requestTimeoutMs: 500,
      audience: AUDIENCE,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 3600,
      signingKeys: [key],
      clients: defaultClients(SECRETS),
      log: () => undefined,
    });
    try {
      const socket = connect(Number(new URL(slow.issuer).port), '127.0.0.1');
      socket.write('GET /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      let answer = '';
      socket.on('data', (chunk) => {
        answer += String(chunk);
      });
      await new Promise((resolve) => socket.on('close', resolve));
      expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      await slow.close();
    }
  });
});

describe('the test helper for other suites', () => {
  it('serves the lax API with only the mistakes it is given', async () => {
    const { startAuthorizationServer } = await import('../helpers/oidc.js');
    const helper = await startAuthorizationServer({ laxApi: { ...NO_MISTAKES, acceptQueryToken: true } });
    try {
      const valid = await helper.clientCredentialsToken();
      expect((await fetch(`${helper.issuer}${LAX_API_PATH}?access_token=${valid}`)).status).toBe(200);
      expect((await fetch(`${helper.issuer}${API_PATH}?access_token=${valid}`)).status).toBe(400);
      expect((await get(`${helper.issuer}${LAX_API_PATH}`, await token('alg-none'))).status).toBe(401);
    } finally {
      await helper.close();
    }
  });
});

describe('certificate-bound tokens (RFC 8705 §3) on the plain-HTTP listener', () => {
  it('refuses a token with cnf x5t#S256 (401 invalid_token): no certificate can come over plain HTTP', async () => {
    const bound = await token(undefined, { extra: { cnf: { 'x5t#S256': 'bm90LWEtcmVhbC10aHVtYnByaW50' } } });
    for (const url of [api, lax]) {
      const response = await get(url, bound);
      expect(response.status, url).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await response.json()).error_description).toContain('certificate-bound');
    }
    const malformed = await token(undefined, { extra: { cnf: { 'x5t#S256': 42 } } });
    expect((await get(api, malformed)).status).toBe(401);
    // The same token without the binding is taken: the refusal is the binding's.
    expect((await get(api, await token())).status).toBe(200);
  });
});
