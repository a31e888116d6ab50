// Test tokens signed with the local server's keys: a valid RFC 9068 access token, or one broken in exactly one way,
// each with the verdict a correct API must reach and why.
import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { CompactSign, importJWK, type JWK } from 'jose';
import { CliError, type ErrorCode } from '../errors.js';
import { ACCESS_TOKEN_CLAIMS as REQUIRED_CLAIMS } from '../jwt/verify.js';
import { generateSigningKey, publicJwk } from './state.js';

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
  | 'issuer-prefix'
  | 'known-kid-other-key'
  | 'jwk-header'
  | 'jku-header'
  | 'x5u-header'
  | 'id-token'
  | 'missing-scope'
  | 'other-tenant'
  | 'dpop-bound'
  | `missing-${string}`;

/** The attacker's key behind the jwk/jku/x5u header variants, and where those headers point. */
export interface Attacker {
  /** A private JWK with a kid of its own (never one the server published). */
  key: JWK;
  jku: string;
  x5u: string;
}

/** Claim names that hold a tenant or an organisation: the other-tenant variant changes the first one the token has. */
export const TENANT_CLAIMS = [
  'tid',
  'tenant',
  'tenant_id',
  'tenantId',
  'org',
  'org_id',
  'organization',
  'organization_id',
];

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
  'issuer-prefix',
  'known-kid-other-key',
  'jwk-header',
  'jku-header',
  'x5u-header',
  'id-token',
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
  attacker?: Attacker,
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
  const withAttackerKey = async (member: 'jwk' | 'jku' | 'x5u') => {
    const chosen = attacker ?? (await defaultAttacker(alg));
    header.kid = chosen.key.kid;
    header[member] = member === 'jwk' ? publicJwk(chosen.key) : chosen[member];
    reject(
      'JWT_NO_MATCHING_KEY',
      `signed by an attacker's key that the ${member} header ${member === 'jwk' ? 'carries' : 'points to'}; an API must use only its issuer's keys`,
    );
    return chosen;
  };
  /** The attacker's key, for the variants whose header carries it or points to it. */
  let signer: JWK | undefined;

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
    case 'issuer-prefix':
      payload.iss = prefixIssuer(claims.issuer);
      reject('JWT_ISSUER_MISMATCH', `iss is ${String(payload.iss)}: it only starts with ${claims.issuer}`);
      break;
    case 'known-kid-other-key':
      sign = 'other-key';
      reject('JWT_SIGNATURE_INVALID', 'signed by a key the server never published, under the kid of its real key');
      break;
    case 'jwk-header':
    case 'jku-header':
    case 'x5u-header':
      signer = (await withAttackerKey(defect === 'jwk-header' ? 'jwk' : defect === 'jku-header' ? 'jku' : 'x5u')).key;
      break;
    case 'id-token':
      header.typ = 'JWT';
      payload.aud = claims.clientId;
      payload.azp = claims.clientId;
      payload.auth_time = nowSeconds;
      delete payload.scope;
      delete payload.client_id;
      reject('JWT_TYPE_MISMATCH', `an ID token (typ JWT, aud ${claims.clientId}), not an access token`);
      break;
    case 'missing-scope':
      payload.scope = OTHER_SCOPE;
      verdict = { expect: 'reject', reason: `scope is ${OTHER_SCOPE}, without ${claims.scope}` };
      break;
    case 'other-tenant': {
      const name = TENANT_CLAIMS.find((candidate) => candidate in claims.extra) ?? 'tid';
      payload[name] = otherValue(claims.extra[name]);
      verdict = { expect: 'reject', reason: `${name} is ${JSON.stringify(payload[name])}, another tenant's` };
      break;
    }
    case 'dpop-bound':
      payload.cnf = { jkt: randomBytes(32).toString('base64url') };
      verdict = {
        expect: 'reject',
        reason: 'bound to a DPoP key (cnf.jkt) and sent without a DPoP proof (RFC 9449 §7.1)',
      };
      break;
    default: {
      const claim = defect.slice('missing-'.length);
      // Leaving out a claim the token never had would mint a valid token under a defect's name.
      if (!Object.hasOwn(payload, claim))
        throw new CliError(
          'USAGE',
          `--missing-claim ${claim}: the token has no ${claim} claim to leave out (it carries ${Object.keys(payload).join(', ')}).`,
          { hint: `Give it with --claim ${claim}=<value> first, or name one of those.` },
        );
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
    const signingKey = sign === 'other-key' ? await otherKey(alg) : (signer ?? key);
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader(header as never)
      .sign(await importJWK(signingKey, alg));
    signature = jws.split('.')[2]!;
    if (sign === 'bad-signature') signature = flipBits(signature);
  }
  return { name: defect ?? 'valid', token: `${input}.${signature}`, ...verdict };
}

/** Something not in any access token's scope, so a token carrying only it lacks every scope the API requires. */
export const OTHER_SCOPE = 'oauth-check:unrelated';

/**
 * An issuer that starts with the configured one, character for character, and is another issuer: an API that checks
 * iss with startsWith must accept it. The configured string is kept whole (a trailing slash included, as Auth0 has it).
 */
export function prefixIssuer(issuer: string): string {
  if (issuer.endsWith('/')) return `${issuer}attacker.example/`;
  try {
    const url = new URL(issuer);
    if (url.pathname === '/' && !url.port) return `${issuer}.attacker.example`;
  } catch {
    // not a URL: a suffix still makes a prefix
  }
  return `${issuer}-attacker`;
}

/** A value of the same type that differs from `value`. */
function otherValue(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string' && value.length > 0) return `${value}-other`;
  return 'oauth-check-other-tenant';
}

/** The attacker of a token minted on its own: the headers point at a host nobody should fetch from. */
export async function defaultAttacker(alg: string): Promise<Attacker> {
  const key = await otherKey(alg);
  return {
    key: { ...key, kid: `attacker-${randomBytes(4).toString('hex')}` },
    jku: 'https://attacker.example/jwks.json',
    x5u: 'https://attacker.example/cert.pem',
  };
}

async function otherKey(alg: string): Promise<JWK> {
  return generateSigningKey(alg as never);
}

/** Changes the signature deterministically in its middle, keeping it valid base64url of the same length. */
function flipBits(signature: string): string {
  const bytes = Buffer.from(signature, 'base64url');
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0xff;
  return bytes.toString('base64url');
}
