// A DPoP proof (RFC 9449 §4.3, §7) as a resource server checks it for a DPoP-bound access token (cnf.jkt).
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { CLOCK_TOLERANCE_SECONDS } from './resource-token.js';

export const DPOP_ALGS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];
/** How old a proof may be (RFC 9449 §11.1 leaves it to the server; proofs are made per request). */
const PROOF_MAX_AGE_SECONDS = 60;
const REMEMBERED_PROOFS = 1000;

export interface ProofRequest {
  proof: string | undefined;
  method: string;
  /** The request URL without query and fragment (htu). */
  url: string;
  accessToken: string;
  jkt: string;
  now: number;
}

/** Checks proofs for one API; it remembers recent proof ids to refuse a replay (a bounded memory). */
export function dpopChecker(): (request: ProofRequest) => Promise<string | undefined> {
  const seen = new Set<string>();
  return async (request) => {
    if (!request.proof) return 'The access token is DPoP-bound (cnf.jkt) and the request has no DPoP proof.';
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
      return 'The DPoP proof is not valid (RFC 9449 section 4.3: typ dpop+jwt, an asymmetric alg, its jwk, jti, htm, htu, iat, ath).';
    }
    if ((await calculateJwkThumbprint(jwk as never)) !== request.jkt)
      return 'The DPoP proof is signed by another key than the one the access token is bound to (cnf.jkt).';
    if (payload.htm !== request.method) return 'The DPoP proof is for another HTTP method (htm).';
    if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== request.url)
      return 'The DPoP proof is for another URL (htu).';
    if (payload.ath !== createHash('sha256').update(request.accessToken).digest('base64url'))
      return 'The DPoP proof is for another access token (ath).';
    const id = String(payload.jti);
    if (seen.has(id)) return 'The DPoP proof was used before (jti).';
    if (seen.size >= REMEMBERED_PROOFS) seen.delete(seen.values().next().value ?? '');
    seen.add(id);
    return undefined;
  };
}

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
