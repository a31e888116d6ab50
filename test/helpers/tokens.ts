// Keys and tokens made by the tests themselves, good and hostile.
import * as jose from 'jose';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: jose.JWK;
}

export async function makeKey(
  alg = 'RS256',
  kid = `k-${alg.toLowerCase()}`,
  options: { modulusLength?: number } = {},
): Promise<TestKey> {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true, ...options });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export function jwks(...keys: TestKey[]): { keys: jose.JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

export const now = () => Math.floor(Date.now() / 1000);

export interface SignOptions {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/** A valid RFC 9068 access token by default: iss, aud, sub, client_id, jti, iat, exp 15 min, typ at+jwt. */
export async function sign(key: TestKey, options: SignOptions = {}): Promise<string> {
  const issued = now();
  const claims = {
    iss: 'https://issuer.test',
    aud: 'api',
    sub: 'alice',
    client_id: 'test-client',
    jti: `jti-${issued}-${Math.random()}`,
    iat: issued,
    exp: issued + 900,
    scope: 'read write',
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims))
    if (value === undefined) delete (claims as Record<string, unknown>)[name];
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({
      alg: key.alg,
      kid: key.kid,
      typ: 'at+jwt',
      ...options.header,
    } as jose.CompactJWSHeaderParameters)
    .sign(key.privateKey);
}

export const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token assembled by hand, for shapes no honest signer produces. */
export function forge(header: unknown, payload: unknown, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

export async function hmac(
  secret: Uint8Array,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const signingInput = `${b64(header)}.${b64(payload)}`;
  const { createHmac } = await import('node:crypto');
  const alg = String(header.alg);
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

/** RS256 over any header and payload text, for what jose refuses to produce (unknown crit, 1e309, …). */
export async function signRaw(key: TestKey, header: Record<string, unknown>, payloadText: string): Promise<string> {
  const { KeyObject, sign: rsaSign } = await import('node:crypto');
  const input = `${b64(header)}.${Buffer.from(payloadText).toString('base64url')}`;
  const signature = rsaSign('sha256', Buffer.from(input), KeyObject.from(key.privateKey));
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * Keys no verifier can use, as real and hostile servers publish them: malformed (members missing, not base64url, a
 * point off the curve), unsupported (unknown kty or curve, an alg that does not fit) or made for something else (enc,
 * key agreement, HMAC). Each has a kid naming what is wrong, so a test can say which one it was.
 */
export function unusableKeys(rsa: jose.JWK, ec: jose.JWK): Array<Record<string, unknown> | unknown> {
  const { y: _y, ...ecWithoutY } = ec;
  const { n: _n, ...rsaWithoutN } = rsa;
  const { alg: _ecAlg, ...ecNoAlg } = ec;
  return [
    { ...ecWithoutY, kid: 'ec-without-y' },
    { ...ec, x: 'not base64url!', kid: 'ec-x-not-base64url' },
    { ...ec, x: 'AAAA', kid: 'ec-x-too-short' },
    { ...ec, x: ec.y, y: ec.x, kid: 'ec-point-off-curve' },
    { ...ec, crv: 'P-999', kid: 'ec-unknown-curve' },
    { ...ecNoAlg, alg: 'RS256', kid: 'ec-with-alg-rs256' },
    { ...rsaWithoutN, kid: 'rsa-without-n' },
    { ...rsa, n: '5', kid: 'rsa-n-5' },
    { ...rsa, n: 5, kid: 'rsa-n-number' },
    { ...rsa, e: '', kid: 'rsa-e-empty' },
    { ...rsa, alg: 'RS1', kid: 'rsa-alg-rs1' },
    { ...rsa, key_ops: 'verify', kid: 'rsa-key-ops-string' },
    { ...rsa, key_ops: ['encrypt'], kid: 'rsa-key-ops-encrypt' },
    { ...rsa, use: 'enc', kid: 'rsa-use-enc' },
    { ...rsa, alg: 'RSA-OAEP', use: undefined, kid: 'rsa-oaep' },
    { kty: 'OKP', crv: 'X25519', x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo', kid: 'okp-x25519' },
    { kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'okp-x-too-short' },
    { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ', kid: 'oct' },
    { kty: 'AKP', alg: 'ML-DSA-44', pub: 'AAAA', kid: 'akp' },
    { kty: 'foo', kid: 'kty-foo' },
    { kid: 'no-kty' },
    null,
    'a string',
    42,
    [],
  ];
}
