// Where verification keys come from: a JWKS URL (cached), a JWKS/JWK/PEM file, discovery, or an HMAC secret.
// Keys come only from the source the user configured; nothing in the token (jku, x5u, jwk, x5c) is ever used.
import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';
import { CliError, Exit, type ErrorCode } from '../errors.js';
import { assertSecureUrl } from '../net/url.js';
import type { DocumentCache } from '../net/http-cache.js';
import { parseJsonResponse } from '../net/http-response.js';
import { readUserFile } from '../settings/user-file.js';
import { importable, isKeyProblem, keyName, PRIVATE_MEMBERS, signatureAlgorithm } from './jwk.js';
import { pemToJwk } from './pem.js';

export interface KeySet {
  kind: 'asymmetric' | 'secret';
  /** For jose.jwtVerify. */
  key: JWTVerifyGetKey | Uint8Array;
  /** Where the keys came from, for output ("JWKS https://…", "file keys.pem"). */
  source: string;
  keys: JWK[];
  /** Keys of the set that cannot verify signatures, and why: a token naming one of them is told so. */
  skipped: SkippedKey[];
  /** Warnings about the key set itself (private members published, keys skipped as unusable, …). */
  warnings: string[];
  /** Refetches a remote key set once, e.g. on an unknown kid; resolves false when nothing new can be had. */
  refresh(): Promise<boolean>;
}

export interface SkippedKey {
  kid?: string;
  /** How messages name the key: its kid, or its position and type. */
  name: string;
  /** Why it was skipped, as a clause after its name. */
  reason: string;
}

/** Seconds between two JWKS fetches triggered by an unknown kid, so a flood of bad tokens cannot flood the server. */
export const REFETCH_COOLDOWN_SECONDS = 30;

export function secretKeySet(secret: Uint8Array, source: string): KeySet {
  if (secret.length === 0) throw new CliError('KEY_INVALID', `The HMAC secret from ${source} is empty.`);
  return { kind: 'secret', key: secret, source, keys: [], skipped: [], warnings: [], refresh: async () => false };
}

/**
 * A JWKS, a single JWK, or a PEM public key / certificate / private key (its public half is used). The file is the
 * user's own: a set in it without a usable signing key is a usage error (exit 2).
 */
export async function fileKeySet(path: string, origin = 'the key file'): Promise<KeySet> {
  const text = readUserFile(path, origin).toString('utf8');
  const source = `file ${path}`;
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new CliError('KEY_INVALID', `The key file ${path} starts like JSON but is not valid JSON.`);
    }
    const jwks = isRecord(parsed) && 'keys' in parsed ? parsed : { keys: [parsed] };
    return usableKeySet(validateJwks(jwks, source, 'KEY_INVALID'), source, 'KEY_INVALID');
  }
  if (trimmed.includes('-----BEGIN')) {
    const pem = pemToJwk(trimmed, 'public');
    if ('problem' in pem) throw new CliError('KEY_INVALID', `The key file ${path} ${pem.problem}.`);
    return usableKeySet({ keys: [pem.jwk] }, source, 'KEY_INVALID');
  }
  throw new CliError('KEY_INVALID', `The key file ${path} is neither a JWKS, a JWK nor a PEM key or certificate.`);
}

export interface RemoteKeySetDeps {
  cache: DocumentCache;
  insecure: boolean;
  now: () => number;
}

export async function remoteKeySet(url: URL, deps: RemoteKeySetDeps, via?: string): Promise<KeySet> {
  assertSecureUrl(url, deps.insecure, 'JWKS');
  const source = via ? `JWKS ${url.href} (from ${via})` : `JWKS ${url.href}`;
  const load = async (forceRefresh: boolean) => {
    const response = await fetchJwks(url, deps.cache, forceRefresh);
    const jwks = validateJwks(parseKeySetResponse(response), `the JWKS at ${url.href}`, 'JWKS_INVALID');
    // A server's set without a usable signing key is the server's failure (exit 5), like a set that is not JSON.
    return { keySet: await usableKeySet(jwks, source, 'JWKS_INVALID'), fetchedAt: response.fetchedAt };
  };
  let current = await load(false);
  const keySet = current.keySet;
  keySet.refresh = async () => {
    const ageSeconds = (deps.now() - current.fetchedAt) / 1000;
    if (ageSeconds < REFETCH_COOLDOWN_SECONDS) return false;
    current = await load(true);
    Object.assign(keySet, current.keySet, { refresh: keySet.refresh });
    return true;
  };
  return keySet;
}

async function fetchJwks(url: URL, cache: DocumentCache, forceRefresh: boolean) {
  try {
    return await cache.get(url.href, 'JWKS', { forceRefresh });
  } catch (error) {
    // Only the server's failures are the key set's; the user's own settings (a proxy variable) say so as they are.
    if (error instanceof CliError && error.exitCode === Exit.remote) {
      throw new CliError('JWKS_FETCH_FAILED', error.message, {
        hint: error.hint,
        cause: error,
        details: { reason: error.code },
      });
    }
    throw error;
  }
}

function parseKeySetResponse(response: Parameters<typeof parseJsonResponse>[0]): unknown {
  try {
    return parseJsonResponse(response, 'JWKS');
  } catch (error) {
    if (error instanceof CliError) {
      const code = error.code === 'HTTP_STATUS' && response.status === 200 ? 'JWKS_INVALID' : 'JWKS_FETCH_FAILED';
      throw new CliError(code, error.message, { hint: error.hint, cause: error, details: { reason: error.code } });
    }
    throw error;
  }
}

function validateJwks(value: unknown, where: string, code: 'JWKS_INVALID' | 'KEY_INVALID'): { keys: unknown[] } {
  const keys = isRecord(value) ? value.keys : undefined;
  if (!Array.isArray(keys)) {
    throw new CliError(code, `${capitalize(where)} is not a JSON Web Key Set: it has no "keys" array.`, {
      hint: 'A JWKS looks like {"keys": [{"kty": "RSA", "kid": "…", "n": "…", "e": "AQAB"}]}.',
    });
  }
  if (keys.length === 0) throw new CliError(code, `${capitalize(where)} contains no keys.`);
  return { keys };
}

/**
 * The keys of a set that can verify signatures, each checked by its members and imported once. Keys made for
 * something else (encryption, key agreement, HMAC) are passed over; malformed or unsupported ones are skipped with a
 * warning, so one broken key does not take down the others. Without any usable key the set fails with `failCode`.
 */
async function usableKeySet(jwks: { keys: unknown[] }, source: string, failCode: ErrorCode): Promise<KeySet> {
  const warnings: string[] = [];
  const published = jwks.keys.flatMap((key, index) =>
    isRecord(key) && PRIVATE_MEMBERS.some((member) => member in key) ? [keyName(key, index)] : [],
  );
  if (published.length > 0) {
    warnings.push(
      `${source} publishes private or symmetric key material (${published.join(', ')}): anyone who can read it can forge tokens.`,
    );
  }
  const symmetricOnly = jwks.keys.every((key) => isRecord(key) && key.kty === 'oct');
  const checked = await Promise.all(
    jwks.keys.map(async (key, index) => {
      const fit = signatureAlgorithm(key, 'verify');
      if (isKeyProblem(fit)) return { key, index, problem: fit };
      // Only public material is ever used to verify.
      const publicKey = Object.fromEntries(
        Object.entries(key as JWK).filter(([member]) => !(PRIVATE_MEMBERS as readonly string[]).includes(member)),
      ) as JWK;
      const imported = await importable(publicKey, fit.alg);
      return isKeyProblem(imported) ? { key, index, problem: imported } : { key: publicKey, index };
    }),
  );
  const publicKeys: JWK[] = [];
  const skipped: SkippedKey[] = [];
  for (const { key, index, problem } of checked) {
    if (problem === undefined) {
      publicKeys.push(key as JWK);
      continue;
    }
    const name = keyName(key, index);
    skipped.push({
      name,
      reason: problem.reason,
      ...(isRecord(key) && typeof key.kid === 'string' ? { kid: key.kid } : {}),
    });
    if (!problem.notForSignatures) warnings.push(`Skipped ${name} in ${source}: it ${problem.reason}.`);
  }
  if (publicKeys.length === 0) {
    const listed = skipped.slice(0, 5).map(({ name, reason }) => `${name} ${reason}`);
    if (skipped.length > listed.length) listed.push(`and ${skipped.length - listed.length} more`);
    throw new CliError(failCode, `${source} has no key that can verify signatures: ${listed.join('; ')}.`, {
      hint: symmetricOnly
        ? 'For HMAC tokens pass the secret with --secret-env VAR or --secret-file FILE.'
        : 'Signatures are verified with RSA, EC (P-256, P-384, P-521) or Ed25519 public keys meant for signatures.',
    });
  }
  return {
    kind: 'asymmetric',
    key: singleKeyWithoutKid(publicKeys) ?? createLocalJWKSet({ keys: publicKeys }),
    source,
    keys: publicKeys,
    skipped,
    warnings,
    refresh: async () => false,
  };
}

/**
 * A key file holding one key without a kid (a PEM, typically) is the key the user chose: it answers whatever kid the
 * token names. jose's key set would otherwise refuse it for any token that carries a kid.
 */
function singleKeyWithoutKid(keys: JWK[]): JWTVerifyGetKey | undefined {
  const [only] = keys;
  if (keys.length !== 1 || only === undefined || only.kid !== undefined) return undefined;
  return (header, token) =>
    createLocalJWKSet({ keys: [{ ...only, ...(typeof header.kid === 'string' ? { kid: header.kid } : {}) }] })(
      header,
      token,
    );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
