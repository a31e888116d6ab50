// DPoP (RFC 9449) as a client: one key pair per session, kept as a private JWK with the session (in the secret store),
// the proofs at the authorization server made by oauth4webapi's DPoP handle, and the nonces servers hand out.
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import { CliError } from '../errors.js';

/** What oauth4webapi and WebCrypto sign with, and what a DPoP server is likely to accept. */
export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'] as const;
export type DpopAlg = (typeof DPOP_ALGS)[number];
export const DEFAULT_DPOP_ALG: DpopAlg = 'ES256';

/** The session's key: a private JWK (with its alg) as stored. */
export type DpopJwk = JsonWebKey & { kty: string; alg: string };

export interface DpopKey {
  jwk: DpopJwk;
  keyPair: CryptoKeyPair;
  /** RFC 7638 SHA-256 thumbprint of the public key: the dpop_jkt and the token's cnf.jkt. */
  thumbprint: string;
}

const PARAMETERS: Record<DpopAlg, RsaHashedImportParams | EcKeyImportParams | Algorithm> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  ES512: { name: 'ECDSA', namedCurve: 'P-521' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
};

/** A stored key's shape (its use is checked when it is imported): a JWK object with kty, alg and the private d. */
export function isStoredDpopJwk(value: unknown): value is DpopJwk {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    'kty' in value &&
    typeof value.kty === 'string' &&
    'alg' in value &&
    typeof value.alg === 'string' &&
    'd' in value &&
    typeof value.d === 'string'
  );
}

/** The members of a JWK that are its private key (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2). */
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

export function dpopAlg(value: string | undefined, origin: string): DpopAlg {
  if (value === undefined) return DEFAULT_DPOP_ALG;
  const alg = DPOP_ALGS.find((name) => name === value);
  if (!alg) throw new CliError('USAGE', `${origin} must be one of ${DPOP_ALGS.join(', ')}, not "${value}".`);
  return alg;
}

/**
 * RFC 9449 §5.1: a server that lists the algorithms it takes for proofs refuses any other; said before anything is
 * sent (exit 2), naming what it takes. A server that lists none is tried.
 */
export function assertServerAlg(
  as: { issuer: string; dpop_signing_alg_values_supported?: unknown },
  alg: DpopAlg,
  origin: string,
): void {
  const supported = as.dpop_signing_alg_values_supported;
  if (!Array.isArray(supported) || supported.length === 0) return;
  // RFC 9864: Ed25519 is the fully specified name of EdDSA with that curve, and the key made for EdDSA is Ed25519.
  if (supported.includes(alg) || (alg === 'EdDSA' && supported.includes('Ed25519'))) return;
  const ours = DPOP_ALGS.filter(
    (name) => supported.includes(name) || (name === 'EdDSA' && supported.includes('Ed25519')),
  );
  throw new CliError('USAGE', `${as.issuer} does not take ${alg} for DPoP (${origin}).`, {
    hint: ours.length
      ? `It takes ${supported.map(String).join(', ')}: use --dpop-alg ${ours[0]}.`
      : `It takes ${supported.map(String).join(', ')}, none of which oauth signs with.`,
  });
}

/** Every private part of the key, for the run's secret registry: it is never printed. */
export function registerDpopKey(jwk: DpopJwk, secrets: { add(secret: string): unknown }): void {
  for (const member of PRIVATE_MEMBERS) {
    const value = jwk[member];
    if (typeof value === 'string' && value) secrets.add(value);
  }
}

export async function generateDpopKey(alg: DpopAlg, secrets: { add(secret: string): unknown }): Promise<DpopKey> {
  const parameters =
    alg === 'PS256' || alg === 'RS256'
      ? { ...PARAMETERS[alg], modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }
      : PARAMETERS[alg];
  const pair = await crypto.subtle.generateKey(parameters, true, ['sign', 'verify']);
  if (!('privateKey' in pair)) throw new TypeError(`${alg} made no key pair`);
  const exported = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const jwk: DpopJwk = { ...stripWebCryptoMembers(exported), kty: exported.kty ?? '', alg };
  registerDpopKey(jwk, secrets);
  return importDpopKey(jwk, secrets);
}

/** A stored key back as a key pair: the public half is the private JWK without its private members. */
export async function importDpopKey(jwk: DpopJwk, secrets: { add(secret: string): unknown }): Promise<DpopKey> {
  registerDpopKey(jwk, secrets);
  const alg = DPOP_ALGS.find((name) => name === jwk.alg);
  if (!alg) throw storedKeyError(`its alg ${JSON.stringify(jwk.alg)} is none of ${DPOP_ALGS.join(', ')}`);
  const publicJwk = publicPart(jwk);
  try {
    const privateKey = await crypto.subtle.importKey('jwk', stripWebCryptoMembers(jwk), PARAMETERS[alg], false, [
      'sign',
    ]);
    // oauth4webapi puts the public key in every proof's header: it must be extractable.
    const publicKey = await crypto.subtle.importKey('jwk', publicJwk, PARAMETERS[alg], true, ['verify']);
    return { jwk, keyPair: { privateKey, publicKey }, thumbprint: await calculateJwkThumbprint(publicJwk) };
  } catch {
    throw storedKeyError(`it is no ${alg} private key`);
  }
}

function storedKeyError(reason: string): CliError {
  return new CliError('STORE_CORRUPT', `The session's stored DPoP key cannot be used: ${reason}.`, {
    hint: 'Sign in again with "oauth login --dpop" to replace it.',
  });
}

/** WebCrypto adds key_ops and ext to an exported JWK; neither belongs in a stored key nor in a thumbprint. */
function stripWebCryptoMembers(jwk: JsonWebKey): JsonWebKey {
  const { key_ops: _ops, ext: _ext, alg: _alg, ...rest } = jwk;
  return rest;
}

export function publicPart(jwk: JsonWebKey): JsonWebKey {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = stripWebCryptoMembers(jwk);
  return rest;
}

/** The public key as jose puts it in a header. */
function publicJwk(jwk: JsonWebKey): JWK {
  const { kty = '', crv, x, y, n, e } = publicPart(jwk);
  return {
    kty,
    ...(crv ? { crv } : {}),
    ...(x ? { x } : {}),
    ...(y ? { y } : {}),
    ...(n ? { n } : {}),
    ...(e ? { e } : {}),
  };
}

/**
 * The DPoP nonces servers gave this run, by origin (RFC 9449 §8, §9): one small memory for the authorization server's
 * and the resources' answers. A nonce is a header value we send back: it must be printable and short, else it is
 * not remembered (a hostile server could otherwise make every later proof carry its control characters or megabytes).
 */
export class DpopNonces {
  private readonly byOrigin = new Map<string, string>();

  remember(url: string | URL, nonce: string | undefined): boolean {
    if (!isUsableNonce(nonce)) return false;
    const origin = new URL(url).origin;
    this.byOrigin.delete(origin);
    // Bounded: a run talks to a handful of origins.
    if (this.byOrigin.size >= 100) this.byOrigin.delete(this.byOrigin.keys().next().value!);
    this.byOrigin.set(origin, nonce);
    return true;
  }

  get(url: string | URL): string | undefined {
    return this.byOrigin.get(new URL(url).origin);
  }
}

/** RFC 9449 §8.1: a nonce is NQCHAR (printable ASCII without the quote and backslash); a kilobyte is plenty. */
export const MAX_NONCE_LENGTH = 1024;
export function isUsableNonce(nonce: unknown): nonce is string {
  return (
    typeof nonce === 'string' &&
    nonce.length > 0 &&
    nonce.length <= MAX_NONCE_LENGTH &&
    /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce)
  );
}

/**
 * The handle oauth4webapi signs the authorization server's proofs with. A nonce this run already learnt for the origin
 * (from a resource, or an earlier handle) is used when the handle itself has none yet.
 */
export function dpopHandle(key: DpopKey, nonces: DpopNonces): oauth.DPoPHandle {
  return oauth.DPoP({}, key.keyPair, {
    [oauth.modifyAssertion]: (_header, payload) => {
      if (payload.nonce === undefined && typeof payload.htu === 'string') {
        const known = nonces.get(payload.htu);
        if (known) payload.nonce = known;
      }
    },
  });
}

/** RFC 9449 §4.2: htu is the request's URI without query and fragment. */
export function proofHtu(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** RFC 9449 §4.2: ath, the base64url SHA-256 of the access token. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * A proof for a request of our own (a resource server, `token --output header`). oauth4webapi signs proofs only inside
 * its own requests and exports no proof maker, so these are signed with jose, with the same key and the same claims.
 */
export async function resourceProof(
  key: DpopKey,
  request: { url: string | URL; method: string; accessToken?: string | undefined; nonce?: string | undefined },
  nowSeconds: number,
): Promise<string> {
  const alg = key.jwk.alg;
  const claims: Record<string, unknown> = {
    htm: request.method.toUpperCase(),
    htu: proofHtu(request.url),
    jti: crypto.randomUUID(),
  };
  if (request.accessToken) claims.ath = accessTokenHash(request.accessToken);
  if (request.nonce) claims.nonce = request.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: publicJwk(key.jwk) })
    .setIssuedAt(Math.floor(nowSeconds))
    .sign(key.keyPair.privateKey);
}

/** The cnf.jkt of a JWT access token (RFC 9449 §6.1), undefined for an opaque token or one without it. */
export function tokenJkt(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { cnf?: { jkt?: unknown } };
    return typeof claims?.cnf?.jkt === 'string' ? claims.cnf.jkt : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 9449 §5: asked with a proof, a server that binds the token answers token_type DPoP. One that answers Bearer either
 * ignored DPoP (said once; the token is a Bearer token) or lies: a token bound to a key (cnf.jkt) sent as Bearer would
 * be refused wherever it is presented as one, so nothing is stored (exit 5).
 */
export function checkDpopTokenType(
  response: { token_type?: unknown; access_token: string },
  doing: string,
  warn: (message: string) => void,
): void {
  if (String(response.token_type ?? '').toLowerCase() === 'dpop') return;
  const jkt = tokenJkt(response.access_token);
  if (jkt !== undefined) {
    const reason =
      'the server answered token_type Bearer for an access token bound to the DPoP key (cnf.jkt): it would be refused as a Bearer token and cannot be used with DPoP, as the server did not say it was bound';
    throw new CliError('PROTOCOL_ERROR', `${doing} failed: ${reason}. Nothing was stored.`, { reason });
  }
  warn(
    `The server ignored DPoP: it answered token_type ${JSON.stringify(String(response.token_type ?? ''))}, so the token is stored as a Bearer token (not bound to a key).`,
  );
}
