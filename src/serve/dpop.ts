// A DPoP proof (RFC 9449 §4.3, §7) as a resource server checks it for a DPoP-bound access token (cnf.jkt).
import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { CLOCK_TOLERANCE_SECONDS } from './resource-token.js';

export const DPOP_ALGS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];
/** How old a proof may be (RFC 9449 §11.1 leaves it to the server; proofs are made per request). */
const PROOF_MAX_AGE_SECONDS = 60;
/** How many live proof ids the API keeps; each is a fixed-size hash, so memory stays bounded. */
const REMEMBERED_PROOFS = 10_000;
/** oidc-provider's nonce step: a nonce names a minute (RFC 9449 section 9 leaves the lifetime to the server). */
const NONCE_STEP_SECONDS = 60;

export interface ProofRequest {
  proof: string | undefined;
  method: string;
  /** The request URL without query and fragment (htu). */
  url: string;
  accessToken: string;
  jkt: string;
  now: number;
}

/**
 * Why a proof is refused; busy when the API cannot take one more proof id without forgetting a live one; useNonce when
 * the proof lacks a current nonce of the API's (the caller answers use_dpop_nonce with a fresh one).
 */
export interface ProofFailure {
  description: string;
  busy?: true;
  useNonce?: true;
}

/** Nonces for DPoP proofs (RFC 9449 section 9). */
export interface DpopNonces {
  issue(now: number): string;
  valid(nonce: unknown, now: number): boolean;
}

/**
 * Nonces as oidc-provider makes them from its nonceSecret (an HKDF of the secret and the current minute, good for two
 * minutes either side), computed here from the same secret: the authorization server and the example APIs share one
 * origin, and a client keeps one nonce per origin (oauth4webapi does), so a nonce from either works at both.
 */
export function dpopNonces(secret: Uint8Array = randomBytes(32)): DpopNonces {
  const compute = (step: number) => {
    const salt = Buffer.alloc(8);
    salt.writeBigInt64BE(BigInt(step));
    return Buffer.from(hkdfSync('sha256', secret, salt, 'DPoP', 32)).toString('base64url');
  };
  const window = (now: number) => {
    const step = Math.floor(now / 1000 / NONCE_STEP_SECONDS);
    return [step - 2, step - 1, step, step + 1, step + 2].map(compute);
  };
  return {
    issue: (now) => window(now)[3]!,
    valid: (nonce, now) => {
      if (typeof nonce !== 'string') return false;
      const given = Buffer.from(nonce);
      return window(now).some((value) => {
        const expected = Buffer.from(value);
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
  };
}

/**
 * Checks proofs for one API. Each proof id is remembered until the proof could no longer be accepted anyway (iat plus
 * the maximum age plus the leeway), so a replay is refused for as long as it matters. Live ids are never evicted to
 * make room: a flood of fresh proofs would otherwise flush a victim's id and make its proof replayable; when the
 * memory is full of live ids a new proof is refused instead (the caller answers 503).
 */
export function dpopChecker(
  capacity = REMEMBERED_PROOFS,
  nonces?: DpopNonces,
): (request: ProofRequest) => Promise<ProofFailure | undefined> {
  const seen = new Map<string, number>();
  const forgetExpired = (now: number) => {
    for (const [id, until] of seen) if (until < now) seen.delete(id);
  };
  return async (request) => {
    if (!request.proof) return refused('The access token is DPoP-bound (cnf.jkt) and the request has no DPoP proof.');
    let payload: Record<string, unknown>;
    let jwk: unknown;
    try {
      const verified = await jwtVerify(request.proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: DPOP_ALGS,
        maxTokenAge: PROOF_MAX_AGE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(request.now),
        requiredClaims: ['jti', 'htm', 'htu', 'iat', 'ath'],
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk;
    } catch {
      return refused(
        'The DPoP proof is not valid (RFC 9449 section 4.3: typ dpop+jwt, an asymmetric alg, its jwk, jti, htm, htu, iat, ath).',
      );
    }
    if ((await calculateJwkThumbprint(jwk as never)) !== request.jkt)
      return refused('The DPoP proof is signed by another key than the one the access token is bound to (cnf.jkt).');
    if (payload.htm !== request.method) return refused('The DPoP proof is for another HTTP method (htm).');
    if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== request.url)
      return refused('The DPoP proof is for another URL (htu).');
    if (payload.ath !== createHash('sha256').update(request.accessToken).digest('base64url'))
      return refused('The DPoP proof is for another access token (ath).');
    if (typeof payload.jti !== 'string' || typeof payload.iat !== 'number')
      return refused('The DPoP proof is not valid: its jti must be a string and its iat a number.');
    // Before the proof id is remembered: the client retries with a new proof that carries the nonce.
    if (nonces && !nonces.valid(payload.nonce, request.now))
      return {
        useNonce: true,
        description:
          payload.nonce === undefined
            ? 'This API requires a nonce in DPoP proofs: use the one in the DPoP-Nonce header.'
            : 'The DPoP proof carries an unknown or expired nonce: use the one in the DPoP-Nonce header.',
      };
    const id = createHash('sha256').update(payload.jti).digest('base64url');
    const until = (payload.iat + PROOF_MAX_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000;
    const known = seen.get(id);
    if (known !== undefined && known >= request.now) return refused('The DPoP proof was used before (jti).');
    if (seen.size >= capacity) forgetExpired(request.now);
    if (seen.size >= capacity)
      return {
        busy: true,
        description: 'The API has too many recent DPoP proofs in memory to check this one for replay; retry shortly.',
      };
    seen.set(id, until);
    return undefined;
  };
}

const refused = (description: string): ProofFailure => ({ description });

function withoutQuery(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return undefined;
  }
}
