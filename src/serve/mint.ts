// Test tokens signed with the local server's keys: a valid RFC 9068 access token, or one broken in exactly one way,
// each with the verdict a correct API must reach and why.
import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { CompactSign, importJWK, type JWK } from 'jose';
import type { ErrorCode } from '../errors.js';
import { ACCESS_TOKEN_CLAIMS as REQUIRED_CLAIMS } from '../jwt/verify.js';

export interface MintClaims {
  issuer: string;
  subject: string;
  audience: string;
  scope: string;
  clientId: string;
  ttlSeconds: number;
  typ: string;
  extra: Record<string, unknown>;
}

export type Defect =
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'wrong-typ'
  | 'bad-signature'
  | 'alg-none'
  | 'unknown-kid'
  | 'hs256-with-public-key'
  | `missing-${string}`;

export interface Minted {
  name: string;
  token: string;
  expect: 'accept' | 'reject';
  reason: string;
  /** The error `oauth decode --verify --issuer … --audience … --typ at+jwt` reports, for a rejected token. */
  error_code?: ErrorCode;
}

export const SUITE: Defect[] = [
  'expired',
  'not-yet-valid',
  'issued-in-future',
  'wrong-issuer',
  'wrong-audience',
  'wrong-typ',
  'bad-signature',
  'alg-none',
  'unknown-kid',
  'hs256-with-public-key',
  'missing-exp',
  'missing-aud',
  'missing-iss',
  'missing-sub',
];

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function mint(
  key: JWK,
  claims: MintClaims,
  defect: Defect | undefined,
  nowSeconds: number,
): Promise<Minted> {
  const alg = String(key.alg);
  const header: Record<string, unknown> = { alg, typ: claims.typ, kid: key.kid };
  const payload: Record<string, unknown> = {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.audience,
    client_id: claims.clientId,
    scope: claims.scope,
    iat: nowSeconds,
    exp: nowSeconds + claims.ttlSeconds,
    jti: randomBytes(12).toString('base64url'),
    ...claims.extra,
  };
  let verdict: Omit<Minted, 'name' | 'token'> = {
    expect: 'accept',
    reason: 'valid: signed by the local server, every RFC 9068 claim present and current',
  };
  const reject = (error_code: ErrorCode, reason: string) => (verdict = { expect: 'reject', reason, error_code });
  let sign: 'key' | 'bad-signature' | 'none' | 'other-key' | 'hmac-public-key' = 'key';

  switch (defect) {
    case undefined:
      break;
    case 'expired':
      payload.iat = nowSeconds - claims.ttlSeconds - 3600;
      payload.exp = nowSeconds - 3600;
      reject('JWT_EXPIRED', 'exp is an hour in the past');
      break;
    case 'not-yet-valid':
      payload.nbf = nowSeconds + 3600;
      reject('JWT_NOT_YET_VALID', 'nbf is an hour in the future');
      break;
    case 'issued-in-future':
      payload.iat = nowSeconds + 3600;
      payload.exp = nowSeconds + 3600 + claims.ttlSeconds;
      reject('JWT_ISSUED_IN_FUTURE', 'iat is an hour in the future');
      break;
    case 'wrong-issuer':
      payload.iss = 'https://attacker.example';
      reject('JWT_ISSUER_MISMATCH', `iss is https://attacker.example, not ${claims.issuer}`);
      break;
    case 'wrong-audience':
      payload.aud = 'https://another-api.example';
      reject('JWT_AUDIENCE_MISMATCH', `aud is https://another-api.example, not ${claims.audience}`);
      break;
    case 'wrong-typ':
      header.typ = 'JWT';
      reject('JWT_TYPE_MISMATCH', 'typ is JWT, not at+jwt: it could be an ID token replayed as an access token');
      break;
    case 'bad-signature':
      sign = 'bad-signature';
      reject('JWT_SIGNATURE_INVALID', 'the signature does not match the header and payload');
      break;
    case 'alg-none':
      header.alg = 'none';
      sign = 'none';
      reject('JWT_ALG_NOT_ALLOWED', 'alg is none: unsigned');
      break;
    case 'unknown-kid':
      header.kid = `unknown-${randomBytes(4).toString('hex')}`;
      sign = 'other-key';
      reject('JWT_NO_MATCHING_KEY', 'signed by a key the server never published, under a kid it does not know');
      break;
    case 'hs256-with-public-key':
      header.alg = 'HS256';
      sign = 'hmac-public-key';
      reject('JWT_ALG_NOT_ALLOWED', 'HS256 with the server\u2019s public key as the HMAC secret (algorithm confusion)');
      break;
    default: {
      const claim = defect.slice('missing-'.length);
      delete payload[claim];
      if (REQUIRED_CLAIMS.includes(claim)) {
        const code: ErrorCode =
          claim === 'iss' ? 'JWT_ISSUER_MISMATCH' : claim === 'aud' ? 'JWT_AUDIENCE_MISMATCH' : 'JWT_CLAIM_INVALID';
        reject(code, `${claim} is missing; RFC 9068 §2.2 requires it`);
      } else {
        verdict = {
          expect: 'accept',
          reason: `${claim} is missing, but RFC 9068 does not require it; an API that needs it must check it itself`,
        };
      }
    }
  }

  const input = `${b64(header)}.${b64(payload)}`;
  let signature: string;
  if (sign === 'none') {
    signature = '';
  } else if (sign === 'hmac-public-key') {
    const pem = createPublicKey({ key: key as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    signature = createHmac('sha256', pem).update(input).digest('base64url');
  } else {
    const signingKey = sign === 'other-key' ? await otherKey(alg) : key;
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader(header as never)
      .sign(await importJWK(signingKey, alg));
    signature = jws.split('.')[2]!;
    if (sign === 'bad-signature') signature = flipBits(signature);
  }
  return { name: defect ?? 'valid', token: `${input}.${signature}`, ...verdict };
}

async function otherKey(alg: string): Promise<JWK> {
  const { generateSigningKey } = await import('./state.js');
  return generateSigningKey(alg as never);
}

/** Changes the signature deterministically in its middle, keeping it valid base64url of the same length. */
function flipBits(signature: string): string {
  const bytes = Buffer.from(signature, 'base64url');
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0xff;
  return bytes.toString('base64url');
}
