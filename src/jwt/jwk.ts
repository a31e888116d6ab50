// What a JWK can sign or verify with. One set of rules for the public keys we verify with (a JWKS, a key file) and the
// private keys we sign with (--private-key): a key that does not fit them is never handed to WebCrypto blind, where it
// would fail as a bare DataError.
import { importJWK, type JWK } from 'jose';

/** Signature algorithms for public keys; HMAC has its own sources (--secret-env, --secret-file). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export type Purpose = 'verify' | 'sign';

/**
 * Why a key cannot be used, as a clause that follows the key's name ("kid \"a\" …"). `notForSignatures`: the key is
 * fine but made for something else (encryption, key agreement, HMAC) — a key set may well hold such keys, so they are
 * passed over quietly; every other problem is the key's own (malformed or unsupported) and worth saying.
 */
export interface KeyProblem {
  reason: string;
  notForSignatures: boolean;
}

const CURVE_ALGORITHMS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const ENCRYPTION_ALGORITHM = /^(RSA1_5|RSA-OAEP|ECDH-ES|A\d+(KW|GCMKW)|dir|PBES2)/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Members that hold private key material, by key type; a public key must not carry them. */
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** How a key is named in messages: its kid (shortened), or its position and type. */
export function keyName(jwk: unknown, index: number): string {
  const record = isRecord(jwk) ? jwk : {};
  const kty = typeof record.kty === 'string' ? ` (${shorten(record.kty)})` : '';
  return typeof record.kid === 'string' ? `kid ${JSON.stringify(shorten(record.kid))}` : `key #${index + 1}${kty}`;
}

/**
 * The algorithm this key signs or verifies with (the one it declares, else the usual one for its type and curve),
 * or why it cannot. Only the members are looked at; `importable` then lets WebCrypto have the last word.
 */
export function signatureAlgorithm(jwk: unknown, purpose: Purpose): { alg: string } | KeyProblem {
  if (!isRecord(jwk)) return malformed('is not a JSON object');
  const { kty, alg, use, key_ops: keyOps, crv } = jwk;
  if (typeof kty !== 'string') return malformed('has no "kty"');
  if (alg !== undefined && typeof alg !== 'string') return malformed('has an "alg" that is not a string');
  if (use !== undefined && use !== 'sig')
    return notForSignatures(`is for ${JSON.stringify(use)}, not signatures ("use")`);
  const operation = purpose === 'verify' ? 'verify' : 'sign';
  if (keyOps !== undefined && !Array.isArray(keyOps)) return malformed('has a "key_ops" that is not an array');
  if (keyOps !== undefined && !keyOps.includes(operation)) {
    return notForSignatures(`does not allow "${operation}" ("key_ops" ${shorten(JSON.stringify(keyOps) ?? '')})`);
  }
  if (typeof alg === 'string' && ENCRYPTION_ALGORITHM.test(alg))
    return notForSignatures(`is for encryption (alg ${shorten(alg)})`);
  if (typeof alg === 'string' && /^HS/.test(alg)) return notForSignatures(`is an HMAC key (alg ${shorten(alg)})`);

  let expected: string[];
  let members: string[];
  switch (kty) {
    case 'oct':
      return notForSignatures('is a symmetric key (an HMAC secret)');
    case 'RSA':
      expected = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
      members = ['n', 'e'];
      break;
    case 'EC': {
      if (typeof crv !== 'string' || !(crv in CURVE_ALGORITHMS)) {
        return unsupported(
          `is an EC key on ${typeof crv === 'string' ? `curve ${shorten(crv)}` : 'no curve ("crv")'}; supported: ${Object.keys(CURVE_ALGORITHMS).join(', ')}`,
        );
      }
      expected = [CURVE_ALGORITHMS[crv]!];
      members = ['x', 'y'];
      break;
    }
    case 'OKP':
      if (crv === 'X25519' || crv === 'X448')
        return notForSignatures(`is an ${crv} key, which is for key agreement, not signatures`);
      // jose (verification) and oauth4webapi (client assertions) take EdDSA keys on Ed25519 only.
      if (crv === 'Ed448')
        return unsupported('is an Ed448 key, which is not supported; EdDSA works with Ed25519 keys only');
      if (crv !== 'Ed25519') {
        return unsupported(
          `is an OKP key on ${typeof crv === 'string' ? `curve ${shorten(crv)}` : 'no curve ("crv")'}; supported: Ed25519`,
        );
      }
      expected = ['EdDSA', 'Ed25519'];
      members = ['x'];
      break;
    default:
      return unsupported(
        `has key type ${JSON.stringify(shorten(kty))}, which oauth does not use for signatures (RSA, EC, OKP)`,
      );
  }
  if (purpose === 'sign') members.push('d');
  for (const member of members) {
    const value = jwk[member];
    if (value === undefined) return malformed(`is an ${kty} key without "${member}"`);
    if (typeof value !== 'string' || !BASE64URL.test(value) || value.length % 4 === 1)
      return malformed(`has a malformed "${member}" (not base64url)`);
  }
  if (typeof alg === 'string' && !expected.includes(alg)) {
    return ASYMMETRIC_ALGORITHMS.includes(alg)
      ? malformed(`declares alg ${alg}, which does not fit an ${kty}${typeof crv === 'string' ? ` ${crv}` : ''} key`)
      : unsupported(`declares alg ${JSON.stringify(shorten(alg))}, which is not a supported signature algorithm`);
  }
  return { alg: typeof alg === 'string' ? alg : expected[0]! };
}

/** Imports the key as WebCrypto will use it; what WebCrypto refuses (a point off the curve, …) becomes a problem. */
export async function importable(jwk: JWK, alg: string): Promise<{ key: CryptoKey } | KeyProblem> {
  try {
    return { key: (await importJWK({ ...jwk, alg }, alg)) as CryptoKey };
  } catch (error) {
    return malformed(`cannot be imported (${error instanceof Error ? error.message : String(error)})`);
  }
}

export function isKeyProblem(value: object): value is KeyProblem {
  return 'reason' in value;
}

function malformed(reason: string): KeyProblem {
  return { reason, notForSignatures: false };
}

const unsupported = malformed;

function notForSignatures(reason: string): KeyProblem {
  return { reason, notForSignatures: true };
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
