// How the example API of `oauth serve` validates an access token (RFC 9068 with RFC 6750 bearer use), and the classic
// mistakes the deliberately lax API makes instead, each one switchable so a test can turn on exactly one.
import { createPublicKey } from 'node:crypto';
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  errors,
  type JWK,
  type JWTClaimVerificationOptions,
  type JWTPayload,
  type ProtectedHeaderParameters,
  UnsecuredJWT,
} from 'jose';
import { depthExceeds, MAX_JSON_DEPTH } from '../jwt/decode.js';
import { ASYMMETRIC_ALGORITHMS } from '../jwt/jwk.js';
import { ACCESS_TOKEN_CLAIMS } from '../jwt/verify.js';
import { publicJwk } from './state.js';

/** Leeway for exp, nbf and iat: the API and the server share a clock here, so a little covers a slow request. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The mistakes a lax API makes; every one is off for the correct API. */
export interface LaxMistakes {
  /** exp is not checked: expired tokens work. */
  acceptExpired: boolean;
  /** nbf and iat are not checked: tokens not yet valid work. */
  acceptNotYetValid: boolean;
  /** iss is compared by prefix: `http://127.0.0.1:9400.attacker.example` passes for `http://127.0.0.1:9400`. */
  issuerPrefix: boolean;
  /** aud is neither required nor checked: a token for any API works. */
  skipAudience: boolean;
  /** alg none: an unsigned token works. */
  acceptAlgNone: boolean;
  /** HS256/384/512 checked with the server's public key (its PEM) as the HMAC secret: algorithm confusion. */
  acceptHmacWithPublicKey: boolean;
  /** A `jwk` header is trusted: a token signed by any key that carries that key works. */
  trustEmbeddedJwk: boolean;
  /** typ is not checked, nor client_id and jti required: an ID token (or any JWT) works as an access token. */
  acceptAnyTyp: boolean;
  /** The scope a request needs is not checked. */
  skipScope: boolean;
  /** A token in the query string or a form body (`access_token`) is read like one in the header. */
  acceptQueryToken: boolean;
  /** cnf.jkt is ignored: a DPoP-bound token works as a plain bearer token, without a proof. */
  ignoreDpopBinding: boolean;
  /** The signature is not checked at all (decode instead of verify). Not in ALL_MISTAKES: it would hide the others. */
  skipSignature: boolean;
}

export const NO_MISTAKES: LaxMistakes = {
  acceptExpired: false,
  acceptNotYetValid: false,
  issuerPrefix: false,
  skipAudience: false,
  acceptAlgNone: false,
  acceptHmacWithPublicKey: false,
  trustEmbeddedJwk: false,
  acceptAnyTyp: false,
  skipScope: false,
  acceptQueryToken: false,
  ignoreDpopBinding: false,
  skipSignature: false,
};

/** What `oauth serve --lax-api` turns on. */
export const ALL_MISTAKES: LaxMistakes = {
  acceptExpired: true,
  acceptNotYetValid: true,
  issuerPrefix: true,
  skipAudience: true,
  acceptAlgNone: true,
  acceptHmacWithPublicKey: true,
  trustEmbeddedJwk: true,
  acceptAnyTyp: true,
  skipScope: true,
  acceptQueryToken: true,
  ignoreDpopBinding: true,
  skipSignature: false,
};

export interface TokenPolicy {
  issuer: string;
  /** aud must contain one of these, exactly. */
  audiences: string[];
  /** The server's signing keys (private parts are dropped here). */
  keys: JWK[];
  mistakes: LaxMistakes;
  now: () => number;
}

export type TokenCheck = { ok: true; claims: JWTPayload } | { ok: false; description: string };

const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];

/** A verifier for one API: the key set is built once. */
export function tokenVerifier(policy: TokenPolicy): (token: string) => Promise<TokenCheck> {
  const publicKeys = policy.keys.map(publicJwk);
  const jwks = createLocalJWKSet({ keys: publicKeys });
  // The allow-list is the server's own algorithms: never none, never HMAC, nothing a token's header asks for.
  const algorithms = [...new Set(publicKeys.map((key) => String(key.alg)))];
  return async (token) => {
    // Whatever goes wrong inside is the token's doing as far as the caller is told: 401, never 500.
    try {
      return await check(token, policy, jwks, algorithms, publicKeys);
    } catch {
      return MALFORMED;
    }
  };
}

const MALFORMED: TokenCheck = { ok: false, description: 'The access token is not a well-formed JWT.' };

async function check(
  token: string,
  policy: TokenPolicy,
  jwks: ReturnType<typeof createLocalJWKSet>,
  algorithms: string[],
  publicKeys: JWK[],
): Promise<TokenCheck> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
    // Re-encoding the claims (checkClaims) recurses: a deeply nested header or claim set is refused before that.
    if (depthExceeds(header, MAX_JSON_DEPTH) || depthExceeds(decodeJwt(token), MAX_JSON_DEPTH)) return MALFORMED;
  } catch {
    return MALFORMED;
  }
  const signed = await verifySignature(token, header, policy, jwks, algorithms, publicKeys);
  if ('description' in signed) return { ok: false, description: signed.description };
  return checkClaims(header, signed.payload, policy);
}

async function verifySignature(
  token: string,
  header: ProtectedHeaderParameters,
  policy: TokenPolicy,
  jwks: ReturnType<typeof createLocalJWKSet>,
  algorithms: string[],
  publicKeys: JWK[],
): Promise<{ payload: unknown } | { description: string }> {
  const { mistakes } = policy;
  const alg = String(header.alg);
  if (mistakes.skipSignature || (alg.toLowerCase() === 'none' && mistakes.acceptAlgNone))
    return { payload: decodeJwt(token) };
  try {
    if (HMAC_ALGS.includes(alg) && mistakes.acceptHmacWithPublicKey)
      return { payload: await verifyWithPublicKeyAsSecret(token, alg, header.kid, publicKeys) };
    if (header.jwk && mistakes.trustEmbeddedJwk)
      return {
        payload: parse((await compactVerify(token, EmbeddedJWK, { algorithms: ASYMMETRIC_ALGORITHMS })).payload),
      };
    return { payload: parse((await compactVerify(token, jwks, { algorithms })).payload) };
  } catch (error) {
    return { description: signatureFailure(error, algorithms, header) };
  }
}

// Every description is the API's own text: nothing from the token (alg, kid, claims) is echoed back to the caller.
function signatureFailure(error: unknown, algorithms: string[], header: ProtectedHeaderParameters): string {
  if (error instanceof errors.JOSEAlgNotAllowed)
    return `The token's alg is not one this API accepts: ${algorithms.join(', ')}, signed by its authorization server.`;
  const named = KEY_HEADERS.filter((member) => member in header);
  const ignored = named.length > 0 ? ` Keys a token names itself (${named.join(', ')}) are never used.` : '';
  if (error instanceof errors.JWKSNoMatchingKey)
    return `No key of the authorization server matches the token's kid and alg.${ignored}`;
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return `The signature does not verify with the authorization server's key.${ignored}`;
  return 'The access token is not a well-formed JWT.';
}

/** Header members through which a token names its own key; listed by the API's names, never the token's. */
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'];

/** The algorithm-confusion bug: the public key, as PEM text, taken for an HMAC secret. */
async function verifyWithPublicKeyAsSecret(
  token: string,
  alg: string,
  kid: string | undefined,
  publicKeys: JWK[],
): Promise<unknown> {
  const candidates = publicKeys.filter((key) => kid === undefined || key.kid === kid);
  for (const key of candidates) {
    const pem = createPublicKey({ key: key as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    try {
      return parse((await compactVerify(token, new TextEncoder().encode(String(pem)), { algorithms: [alg] })).payload);
    } catch {}
  }
  throw new errors.JWSSignatureVerificationFailed();
}

function parse(payload: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(payload));
}

/**
 * jose checks the claims: the verified payload goes through its claim-set validation (as an unsigned JWT, since the
 * signature was checked above), with the checks a lax API skips left out of the options or their claims left out.
 */
function checkClaims(header: ProtectedHeaderParameters, payload: unknown, policy: TokenPolicy): TokenCheck {
  if (!isClaimSet(payload)) return { ok: false, description: 'The access token is not a well-formed JWT.' };
  const { mistakes } = policy;
  const claims: Record<string, unknown> = { ...payload };
  if (mistakes.acceptExpired) delete claims.exp;
  if (mistakes.acceptNotYetValid) delete claims.nbf;
  const now = Math.floor(policy.now() / 1000);
  if (!mistakes.acceptNotYetValid && typeof claims.iat === 'number' && claims.iat > now + CLOCK_TOLERANCE_SECONDS)
    return { ok: false, description: 'The access token was issued in the future (iat).' };
  // An API that takes any JWT does not ask for the claims only access tokens carry, which lets ID tokens in.
  const skipped = [
    ...(mistakes.acceptExpired ? ['exp'] : []),
    ...(mistakes.skipAudience ? ['aud'] : []),
    ...(mistakes.acceptAnyTyp ? ['client_id', 'jti'] : []),
  ];
  const required = ACCESS_TOKEN_CLAIMS.filter((claim) => !skipped.includes(claim));
  const options: JWTClaimVerificationOptions = {
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    currentDate: new Date(policy.now()),
    requiredClaims: required,
    ...(mistakes.issuerPrefix ? {} : { issuer: policy.issuer }),
    ...(mistakes.skipAudience ? {} : { audience: policy.audiences }),
    ...(mistakes.acceptAnyTyp ? {} : { typ: 'at+jwt' }),
  };
  const unsigned = `${encode({ alg: 'none', ...(header.typ === undefined ? {} : { typ: header.typ }) })}.${encode(claims)}.`;
  try {
    UnsecuredJWT.decode(unsigned, options);
  } catch (error) {
    return { ok: false, description: claimFailure(error) };
  }
  if (mistakes.issuerPrefix && !(typeof claims.iss === 'string' && claims.iss.startsWith(policy.issuer)))
    return { ok: false, description: 'The access token is from another issuer (iss).' };
  return { ok: true, claims: payload };
}

function claimFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The access token expired (exp).';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') {
      const claim = ACCESS_TOKEN_CLAIMS.find((known) => known === error.claim);
      return claim
        ? `The access token has no ${claim} claim; RFC 9068 requires it.`
        : 'The access token lacks a claim RFC 9068 requires.';
    }
    switch (error.claim) {
      case 'nbf':
        return 'The access token is not valid yet (nbf).';
      case 'iss':
        return 'The access token is from another issuer (iss).';
      case 'aud':
        return 'The access token is for another audience (aud).';
      case 'typ':
        return 'The token is not an access token: its typ is not at+jwt (RFC 9068), e.g. an ID token.';
      default: {
        const claim = ACCESS_TOKEN_CLAIMS.find((known) => known === error.claim);
        return claim
          ? `The access token's ${claim} claim is not valid.`
          : "One of the access token's claims is not valid.";
      }
    }
  }
  return 'The access token is not a well-formed JWT.';
}

function isClaimSet(value: unknown): value is JWTPayload {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
