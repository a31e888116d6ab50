// The verifier's three answers, and what it does once: prepare the keys and policy on the first signed token (never for
// an encrypted one), check the policy once, and keep a failure to prepare as the answer for every token after.
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { cleanTokenInput, decodeToken } from '../../src/jwt/decode.js';
import { keySetFrom } from '../../src/jwt/key-source.js';
import type { KeySet } from '../../src/jwt/keys.js';
import { createVerifier, type VerifierSetup } from '../../src/jwt/verifier.js';

const secret = 'a-test-secret-of-thirty-two-bytes!';
const now = () => Date.now() / 1000;
const unused = { documents: () => Promise.reject(new Error('no network here')), insecure: false, now: Date.now };
const hmacKeys = () => keySetFrom({ kind: 'secret', secret, source: 'the test secret' }, unused);

async function hs256(claims: Record<string, unknown>, key = secret): Promise<string> {
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(key));
}

const JWE = 'eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0.a2V5.aXY.Y2lwaGVy.dGFn';

function counting(prepare: () => Promise<VerifierSetup>) {
  const counter = { calls: 0 };
  return {
    counter,
    prepare: () => {
      counter.calls++;
      return prepare();
    },
  };
}

const verify = (verifier: ReturnType<typeof createVerifier>, token: string) =>
  verifier.verify(cleanTokenInput(token), decodeToken(token), now());

describe('createVerifier', () => {
  it('answers valid with what was checked, preparing the keys once for many tokens', async () => {
    const { counter, prepare } = counting(async () => ({ keys: await hmacKeys(), policy: { clockSkewSeconds: 30 } }));
    const ready: string[] = [];
    const verifier = createVerifier(prepare, (keys) => ready.push(keys.source));
    for (const sub of ['alice', 'bob']) {
      const result = await verify(verifier, await hs256({ sub }));
      expect(result.status).toBe('valid');
      if (result.status === 'valid') {
        expect(result.verified.payload.sub).toBe(sub);
        expect(result.keySource).toBe('the test secret');
        expect(result.verified.checked[0]).toMatch(/^signature \(HS256\) with the test secret/);
      }
    }
    expect(counter.calls).toBe(1);
    expect(ready).toEqual(['the test secret']);
  });

  it('answers invalid with the reason when the token is at fault', async () => {
    const verifier = createVerifier(async () => ({ keys: await hmacKeys(), policy: { clockSkewSeconds: 30 } }));
    const result = await verify(verifier, await hs256({ sub: 'alice' }, 'another-secret-of-thirty-two-bytes'));
    expect(result).toMatchObject({ status: 'invalid', keySource: 'the test secret' });
    if (result.status === 'invalid') expect(result.reason.code).toBe('JWT_SIGNATURE_INVALID');
  });

  it('refuses an encrypted token without preparing anything', async () => {
    const { counter, prepare } = counting(async () => ({ keys: await hmacKeys(), policy: { clockSkewSeconds: 30 } }));
    const result = await verify(createVerifier(prepare), JWE);
    expect(result.status).toBe('invalid');
    if (result.status === 'invalid') {
      expect(result.reason.code).toBe('TOKEN_ENCRYPTED');
      expect(result.keySource).toBeUndefined();
    }
    expect(counter.calls).toBe(0);
  });

  it('could not verify when the keys or the policy fail, and says so for every token without trying again', async () => {
    const { counter, prepare } = counting(async () => {
      throw new CliError('JWKS_FETCH_FAILED', 'The JWKS could not be fetched.');
    });
    const verifier = createVerifier(prepare);
    for (let round = 0; round < 2; round++) {
      const result = await verify(verifier, await hs256({ sub: 'alice' }));
      expect(result.status).toBe('could-not-verify');
      if (result.status === 'could-not-verify') expect(result.error.code).toBe('JWKS_FETCH_FAILED');
    }
    expect(counter.calls).toBe(1);

    const unsigned = createVerifier(async () => ({
      keys: await hmacKeys(),
      policy: { clockSkewSeconds: 30, algorithms: ['none'] },
    }));
    const result = await verify(unsigned, await hs256({ sub: 'alice' }));
    expect(result.status).toBe('could-not-verify');
    if (result.status === 'could-not-verify') expect(result.error.code).toBe('USAGE');
  });

  it('could not verify when refetching the keys for an unknown key fails', async () => {
    const keys: KeySet = {
      kind: 'asymmetric',
      key: async () => {
        throw new jose.errors.JWKSNoMatchingKey();
      },
      source: 'JWKS https://id.example.com/jwks',
      keys: [],
      skipped: [],
      warnings: [],
      refresh: async () => {
        throw new CliError('JWKS_FETCH_FAILED', 'The JWKS at https://id.example.com/jwks answered HTTP 503.');
      },
    };
    const { privateKey } = await jose.generateKeyPair('ES256');
    const token = await new jose.SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .sign(privateKey);
    const result = await verify(
      createVerifier(async () => ({ keys, policy: { clockSkewSeconds: 30 } })),
      token,
    );
    expect(result.status).toBe('could-not-verify');
    if (result.status === 'could-not-verify') expect(result.error.code).toBe('JWKS_FETCH_FAILED');
  });
});
