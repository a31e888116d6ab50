// Attacks published against JWT libraries, each through `oauth decode --verify`: a clear message and exit 2, 3 or 5
// in bounded time — never 0, 1 or a stack trace.
import { createHmac, createPublicKey, generateKeyPairSync, KeyObject, sign as nodeSign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/server.js';
import { b64, forge, makeKey, now, sign, signRaw, type TestKey } from '../helpers/tokens.js';

let rsa: TestKey;
let ec: TestKey;
let server: TestServer;
const claims = () => ({ iss: 'https://issuer.test', aud: 'api', sub: 'mallory', iat: now(), exp: now() + 900 });

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1');
  ec = await makeKey('ES256', 'ec-1');
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const weakJwk = {
    ...(weak.publicKey.export({ format: 'jwk' }) as Record<string, unknown>),
    kid: 'weak',
    alg: 'RS256',
  };
  server = await startServer({
    '/jwks': json({ keys: [rsa.publicJwk, ec.publicJwk] }),
    '/weak-jwks': json({ keys: [weakJwk] }),
    '/enc-jwks': json({ keys: [{ ...rsa.publicJwk, use: 'enc' }] }),
  });
  (globalThis as { weakKey?: KeyObject }).weakKey = weak.privateKey;
});
afterAll(() => server.close());

async function expectRefused(token: string, exits: number[], jwks = `${server.url}/jwks`, ...extra: string[]) {
  const started = Date.now();
  const result = await runCli(
    ['decode', '-', '--verify', '--jwks', jwks, '--issuer', 'https://issuer.test', '--audience', 'api', ...extra],
    { stdin: token },
  );
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(result.stderr).toMatch(/^error\[[A-Z_]+\]: .+/m);
  expect(exits).toContain(result.code);
  expect(Date.now() - started).toBeLessThan(5000);
  return result;
}

describe('forged signatures and algorithms', () => {
  it('HS256 keyed with the RSA public key as PEM text, and as JWK text', async () => {
    const pem = createPublicKey({ key: rsa.publicJwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    }) as string;
    for (const secret of [pem, JSON.stringify(rsa.publicJwk)]) {
      const input = `${b64({ alg: 'HS256', kid: 'rsa-1' })}.${b64(claims())}`;
      const result = await expectRefused(
        `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`,
        [3],
      );
      expect(result.stderr).toContain('JWT_ALG_NOT_ALLOWED');
    }
  });

  it('ECDSA with a DER-encoded signature, and with r = s = 0', async () => {
    const input = `${b64({ alg: 'ES256', kid: 'ec-1' })}.${b64(claims())}`;
    const der = nodeSign('sha256', Buffer.from(input), KeyObject.from(ec.privateKey)); // DER, not JOSE's r||s
    await expectRefused(`${input}.${der.toString('base64url')}`, [3]);
    await expectRefused(`${input}.${Buffer.alloc(64).toString('base64url')}`, [3]);
  });

  it('an RSA key under 2048 bits is refused even with a good signature', async () => {
    const token = await signWithNode(
      (globalThis as { weakKey?: KeyObject }).weakKey!,
      { alg: 'RS256', kid: 'weak' },
      claims(),
    );
    const result = await expectRefused(token, [3], `${server.url}/weak-jwks`);
    expect(result.stderr).toContain('KEY_TOO_WEAK');
  });

  it('a key marked use: enc is not used to verify: a set of only such keys has no signing key (exit 5)', async () => {
    const result = await expectRefused(await sign(rsa, { claims: claims() }), [5], `${server.url}/enc-jwks`);
    expect(result.stderr).toContain('JWKS_INVALID');
    expect(result.stderr).toContain('is for "enc", not signatures');
  });

  it('unknown, path-like, huge and non-string kids', async () => {
    for (const kid of ['nope', '../../../etc/passwd', 'k'.repeat(200_000), 42, { kid: 'rsa-1' }, ['rsa-1']]) {
      await expectRefused(await signRaw(rsa, { alg: 'RS256', kid }, JSON.stringify(claims())), [3]);
    }
  });

  it('x5c and jwk headers carrying the attacker key are ignored', async () => {
    const attacker = await makeKey('RS256', 'rsa-1');
    const token = await sign(attacker, {
      claims: claims(),
      header: { jwk: attacker.publicJwk, x5c: ['MIIBattacker'] },
    });
    const result = await expectRefused(token, [3]);
    expect(result.stderr).toContain('JWT_SIGNATURE_INVALID');
  });

  it('b64: false, and a 5-segment token', async () => {
    await expectRefused(
      await signRaw(rsa, { alg: 'RS256', kid: 'rsa-1', b64: false, crit: ['b64'] }, JSON.stringify(claims())),
      [2, 3],
    );
    await expectRefused(`${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`, [2]);
  });

  it('a header or payload that is JSON but not an object', async () => {
    await expectRefused(`${b64('"RS256"')}.${b64(claims())}.sig`, [2]);
    await expectRefused(`${b64({ alg: 'RS256' })}.${b64('null')}.sig`, [2]);
    await expectRefused(forge({ alg: 'RS256', kid: 'rsa-1' }, [claims()], 'c2ln'), [2]);
  });

  it('the URL in jku/x5u is never fetched', async () => {
    const attacker = await startServer({ '/keys': json({ keys: [] }) });
    try {
      // Signed by the real key, so valid: the headers are ignored, not followed.
      const token = await sign(rsa, {
        claims: claims(),
        header: { jku: `${attacker.url}/keys`, x5u: `${attacker.url}/cert` },
      });
      const result = await runCli(['decode', token, '--verify', '--jwks', `${server.url}/jwks`]);
      expect(result.code).toBe(0);
      expect(attacker.hits.size).toBe(0);
    } finally {
      await attacker.close();
    }
  });
});

describe('the policy itself', () => {
  it('an HMAC secret never verifies an RS256 token, and a secret file is never treated as a public key', async () => {
    const env = sandboxEnv({ SECRET: 'x'.repeat(40) });
    const result = await runCli(
      ['decode', await sign(rsa, { claims: claims() }), '--verify', '--secret-env', 'SECRET'],
      { env },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('JWT_ALG_NOT_ALLOWED');
  });

  it('a key file with only symmetric keys is refused for public-key verification', async () => {
    const env = sandboxEnv();
    const file = join(env.HOME!, 'oct.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }] }));
    const result = await runCli(['decode', await sign(rsa, { claims: claims() }), '--verify', '--key', file], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--secret-env');
  });
});

async function signWithNode(
  key: KeyObject,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${nodeSign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
