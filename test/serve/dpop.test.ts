// The DPoP proof check of the example API: a replay is refused for as long as its proof could be accepted, a flood of
// fresh proofs cannot flush a victim's proof id out of memory, and malformed proof ids are refused, not coerced.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { dpopChecker, dpopNonces } from '../../src/serve/dpop.js';

const URL_ = 'http://127.0.0.1:9400/api/orders';
const ACCESS_TOKEN = 'header.payload.signature';

async function holder() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(jwk);
  const proof = (iat: number, claims: Record<string, unknown> = {}) =>
    new SignJWT({
      jti: randomUUID(),
      htm: 'GET',
      htu: URL_,
      iat,
      ath: createHash('sha256').update(ACCESS_TOKEN).digest('base64url'),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey);
  return { jkt, proof };
}

const request = (proof: string, jkt: string, now: number) => ({
  proof,
  method: 'GET',
  url: URL_,
  accessToken: ACCESS_TOKEN,
  jkt,
  now,
});

describe('DPoP replay protection', () => {
  it('keeps a live proof id however many fresh proofs arrive, and refuses new ones when full (busy)', async () => {
    const check = dpopChecker(5);
    const { jkt, proof } = await holder();
    const start = 1_800_000_000;
    const victim = await proof(start);
    expect(await check(request(victim, jkt, start * 1000))).toBeUndefined();
    for (let index = 0; index < 4; index++)
      expect(await check(request(await proof(start), jkt, start * 1000))).toBeUndefined();
    const flood = await check(request(await proof(start), jkt, start * 1000));
    expect(flood).toMatchObject({ busy: true });
    const replay = await check(request(victim, jkt, (start + 80) * 1000));
    expect(replay?.description).toMatch(/used before/);
    expect(replay?.busy).toBeUndefined();
  });

  it('forgets ids only once their proofs have expired, then takes new proofs again', async () => {
    const check = dpopChecker(2);
    const { jkt, proof } = await holder();
    const start = 1_800_000_000;
    for (let index = 0; index < 2; index++)
      expect(await check(request(await proof(start), jkt, start * 1000))).toBeUndefined();
    const later = start + 200;
    expect(await check(request(await proof(later), jkt, later * 1000))).toBeUndefined();
  });

  it('refuses a proof whose jti is not a string', async () => {
    const check = dpopChecker();
    const { jkt, proof } = await holder();
    const now = 1_800_000_000;
    const first = await check(request(await proof(now, { jti: { a: 1 } }), jkt, now * 1000));
    expect(first?.description).toMatch(/jti/);
    expect(first?.busy).toBeUndefined();
    expect(await check(request(await proof(now, { jti: { b: 2 } }), jkt, now * 1000))).toBeDefined();
  });
});

describe('DPoP nonces (serve --dpop-nonce)', () => {
  const start = 1_800_000_000;

  it('asks for a nonce, takes a current one, and does not remember the refused proof id', async () => {
    const nonces = dpopNonces();
    const check = dpopChecker(10, nonces);
    const { jkt, proof } = await holder();
    const jti = randomUUID();
    const missing = await check(request(await proof(start, { jti }), jkt, start * 1000));
    expect(missing).toMatchObject({ useNonce: true });
    const nonce = nonces.issue(start * 1000);
    expect(await check(request(await proof(start, { jti, nonce }), jkt, start * 1000))).toBeUndefined();
  });

  it("refuses a nonce that is forged, from another secret, or expired, and takes the last minutes' ones", async () => {
    const nonces = dpopNonces();
    const check = dpopChecker(10, nonces);
    const { jkt, proof } = await holder();
    const nonce = nonces.issue(start * 1000);
    for (const bad of [
      `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`,
      dpopNonces().issue(start * 1000),
      `${nonce}x`,
      'nonce',
      42,
    ]) {
      const failure = await check(request(await proof(start, { nonce: bad }), jkt, start * 1000));
      expect(failure).toMatchObject({ useNonce: true });
      expect(failure?.description).toMatch(/unknown or expired/);
    }
    expect(nonces.valid(nonce, (start + 120) * 1000)).toBe(true);
    const later = start + 300;
    expect(await check(request(await proof(later, { nonce }), jkt, later * 1000))).toMatchObject({ useNonce: true });
  });

  it('never asks for a nonce without them', async () => {
    const check = dpopChecker(10);
    const { jkt, proof } = await holder();
    expect(await check(request(await proof(start), jkt, start * 1000))).toBeUndefined();
  });
});
