// The defects `oauth mint` and `oauth check --api` make: each wrong in exactly the stated way, the rest intact.
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { defaultAttacker, mint, type MintClaims, OTHER_SCOPE, prefixIssuer } from '../../src/serve/mint.js';
import { generateSigningKey, publicJwk } from '../../src/serve/state.js';

const key = generateSigningKey('ES256');
const claims: MintClaims = {
  issuer: 'https://id.example.com',
  subject: 'alice',
  audience: 'https://api.example.com',
  scope: 'orders:read',
  clientId: 'cli',
  ttlSeconds: 300,
  typ: 'at+jwt',
  extra: { tid: 'acme' },
};
const now = Math.floor(Date.now() / 1000);
const parts = (token: string) => {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
};

describe('mint defects', () => {
  it('an issuer that only starts with the real one: another host, or a longer path or port', () => {
    expect(prefixIssuer('https://id.example.com/')).toBe('https://id.example.com/attacker.example/');
    expect(prefixIssuer('https://id.example.com')).toBe('https://id.example.com.attacker.example');
    // Whatever the issuer, the prefix token's iss starts with it exactly and is another issuer.
    for (const issuer of ['https://x.example/', 'https://x.example', 'https://x.example/t/', 'http://127.0.0.1:9400/'])
      expect(prefixIssuer(issuer).startsWith(issuer) && prefixIssuer(issuer) !== issuer).toBe(true);
    expect(prefixIssuer('https://id.example.com/tenant')).toBe('https://id.example.com/tenant-attacker');
    expect(prefixIssuer('http://127.0.0.1:9400')).toBe('http://127.0.0.1:9400-attacker');
  });

  it('a known kid over another key: the header is the real one, the signature does not verify with it', async () => {
    const minted = await mint(key, claims, 'known-kid-other-key', now);
    expect(parts(minted.token).header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: key.kid });
    await expect(jose.compactVerify(minted.token, await jose.importJWK(publicJwk(key), 'ES256'))).rejects.toThrow();
  });

  it('jwk, jku and x5u headers: signed by the attacker, whose public key (never the private part) the jwk carries', async () => {
    const attacker = await defaultAttacker('ES256');
    attacker.jku = 'http://127.0.0.1:1/jwks.json';
    const jwk = await mint(key, claims, 'jwk-header', now, attacker);
    const { header } = parts(jwk.token);
    expect(header.kid).toBe(attacker.key.kid);
    expect(header.jwk.d).toBeUndefined();
    await jose.compactVerify(jwk.token, await jose.importJWK(header.jwk, 'ES256'));
    expect(parts((await mint(key, claims, 'jku-header', now, attacker)).token).header.jku).toBe(attacker.jku);
    expect(parts((await mint(key, claims, 'x5u-header', now, attacker)).token).header.x5u).toBe(attacker.x5u);
  });

  it('an ID token, a missing scope, another tenant and a DPoP binding, each otherwise valid', async () => {
    const id = parts((await mint(key, claims, 'id-token', now)).token);
    expect(id.header.typ).toBe('JWT');
    expect(id.payload).toMatchObject({ aud: 'cli', azp: 'cli', iss: claims.issuer });
    expect(id.payload.scope).toBeUndefined();
    expect(parts((await mint(key, claims, 'missing-scope', now)).token).payload.scope).toBe(OTHER_SCOPE);
    const tenant = await mint(key, claims, 'other-tenant', now);
    expect(parts(tenant.token).payload.tid).toBe('acme-other');
    expect(tenant.expect).toBe('reject');
    const bound = parts((await mint(key, claims, 'dpop-bound', now)).token).payload;
    expect(bound.cnf.jkt).toMatch(/^[\w-]{43}$/);
    expect(bound).toMatchObject({ aud: claims.audience, scope: 'orders:read', tid: 'acme' });
  });
});
