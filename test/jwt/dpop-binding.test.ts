// Decode's DPoP binding: a key file's thumbprint from a JWK or a PEM key, public or private, and what a mismatch says.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { bindingMismatch, dpopBinding, keyFileThumbprint, tokenJktClaim } from '../../src/jwt/dpop-binding.js';

const dir = mkdtempSync(join(tmpdir(), 'dpop-key-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('a DPoP key file', () => {
  it('has the same thumbprint as a JWK or PEM, public or private; its private part is registered as a secret', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' });
    const expected = await calculateJwkThumbprint({ kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! });
    const added: string[] = [];
    const secrets = { add: (secret: string) => added.push(secret) };
    for (const [name, text] of [
      ['private.jwk', JSON.stringify(jwk)],
      ['public.jwk', JSON.stringify(publicKey.export({ format: 'jwk' }))],
      ['private.pem', privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
      ['public.pem', publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    ] as const)
      expect(await keyFileThumbprint(file(name, text), '--dpop-key', secrets)).toBe(expected);
    expect(added).toContain(jwk.d);
  });

  it('that is no asymmetric key is KEY_INVALID (exit 2)', async () => {
    const secrets = { add: () => undefined };
    await expect(
      keyFileThumbprint(file('oct.jwk', '{"kty":"oct","k":"c2VjcmV0"}'), '--dpop-key', secrets),
    ).rejects.toMatchObject({ code: 'KEY_INVALID', exitCode: 2 });
    await expect(keyFileThumbprint(file('junk', 'hello'), '--dpop-key', secrets)).rejects.toMatchObject({
      code: 'KEY_INVALID',
    });
  });
});

describe('a token’s binding', () => {
  it('reads cnf.jkt only when it is a string; a mismatch is exit 3 naming both thumbprints', () => {
    expect(tokenJktClaim({ cnf: { jkt: 'abc' } })).toBe('abc');
    expect(tokenJktClaim({ cnf: 'abc' })).toBeUndefined();
    expect(tokenJktClaim({ cnf: { jkt: 1 } })).toBeUndefined();
    expect(bindingMismatch(dpopBinding('abc', { source: 'k', thumbprint: 'abc' }))).toBeUndefined();
    const mismatch = bindingMismatch(dpopBinding('abc', { source: 'k', thumbprint: 'xyz' }));
    expect(mismatch).toMatchObject({ exitCode: 3 });
    expect(mismatch?.message).toContain('abc');
    expect(mismatch?.message).toContain('xyz');
  });
});
