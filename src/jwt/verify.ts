// Verification: jose checks the signature and the registered claims; we add what jose leaves to the caller (an
// algorithm policy derived from the key source, finite NumericDates, iat not in the future, required scopes) and turn
// every failure into a CliError that names the reason.
import * as jose from 'jose';
import { CliError } from '../errors.js';
import type { DecodedJws } from './decode.js';
import { ASYMMETRIC_ALGORITHMS } from './jwk.js';
import type { KeySet } from './keys.js';
import { grantedScopes } from './scopes.js';
import { atTime, datedRelative, numericDateProblem } from './time.js';

export { ASYMMETRIC_ALGORITHMS };
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];

export interface VerifyPolicy {
  issuer?: string | undefined;
  audience?: string[] | undefined;
  /** Where the expected issuer and audience came from, for the output: "--issuer", "OAUTH_AUDIENCE", "profile dev". */
  origins?: { issuer?: string | undefined; audience?: string | undefined } | undefined;
  clockSkewSeconds: number;
  /** Allow-list; undefined means: what the key source can verify (asymmetric keys, or HMAC for a secret). */
  algorithms?: string[] | undefined;
  typ?: string | undefined;
  requiredScopes?: string[] | undefined;
}

export interface Verified {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** What was checked, in words, e.g. "signature (RS256, kid abc) with JWKS https://…". */
  checked: string[];
  /** What was not checked and should have been, e.g. no --audience. */
  unchecked: string[];
}

/** Checks the policy itself; called once, before any token. */
export function validatePolicy(policy: VerifyPolicy, keys: KeySet): string[] {
  const allowed = policy.algorithms ?? (keys.kind === 'secret' ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS);
  for (const alg of allowed) {
    if (alg.toLowerCase() === 'none')
      throw new CliError('USAGE', '--alg none is never allowed: unsigned tokens cannot be verified.');
    const known = keys.kind === 'secret' ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
    if (!known.includes(alg)) {
      throw new CliError('USAGE', `--alg ${alg} cannot be used with ${keys.source}.`, {
        hint:
          keys.kind === 'secret'
            ? `With a secret use one of ${HMAC_ALGORITHMS.join(', ')}.`
            : `With public keys use one of ${ASYMMETRIC_ALGORITHMS.join(', ')}.`,
      });
    }
  }
  if (!Number.isFinite(policy.clockSkewSeconds) || policy.clockSkewSeconds < 0) {
    throw new CliError('USAGE', '--clock-skew must be a number of seconds, 0 or more.');
  }
  return allowed;
}

/**
 * One signed token (`token` is the cleaned compact form of `decoded`) against keys and a policy that
 * validatePolicy(policy, keys) accepted, returning the algorithms it allows: the verified token, or a CliError naming
 * the reason.
 */
export async function verifyJws(
  token: string,
  decoded: DecodedJws,
  keys: KeySet,
  policy: VerifyPolicy,
  allowed: string[],
  nowSeconds: number,
): Promise<Verified> {
  const alg = decoded.header.alg;
  rejectDisallowedAlgorithm(alg, allowed, keys);

  const options: jose.JWTVerifyOptions = {
    algorithms: allowed,
    clockTolerance: policy.clockSkewSeconds,
    currentDate: new Date(nowSeconds * 1000),
    ...(policy.issuer !== undefined ? { issuer: policy.issuer } : {}),
    ...(policy.audience !== undefined ? { audience: policy.audience } : {}),
    ...(policy.typ !== undefined ? { typ: policy.typ } : {}),
  };
  let result: Verification;
  try {
    result = await verifyWithRefetch(token, decoded, keys, options);
  } catch (error) {
    throw explain(error, decoded, keys, policy, nowSeconds);
  }
  const payload = result.payload as Record<string, unknown>;
  checkNumericDates(payload, policy.clockSkewSeconds, nowSeconds);
  if (policy.typ !== undefined && normalizeTyp(policy.typ) === 'at+jwt') checkAccessTokenClaims(payload);
  checkScopes(payload, policy.requiredScopes ?? []);

  const kid = typeof decoded.header.kid === 'string' ? `, kid ${decoded.header.kid}` : '';
  const searched = result.searched ? ', found by trying each key that fits' : '';
  const checked = [`signature (${String(alg)}${kid}${searched}) with ${keys.source}`];
  const unchecked: string[] = [];
  if (policy.issuer !== undefined) checked.push(`iss is ${policy.issuer}${from(policy.origins?.issuer)}`);
  else unchecked.push('issuer (pass --issuer)');
  if (policy.audience !== undefined)
    checked.push(`aud includes ${policy.audience.join(' or ')}${from(policy.origins?.audience)}`);
  else unchecked.push('audience (pass --audience)');
  // Only the times the token carries were checked: a token without exp was never "checked against the clock" for it.
  const times = TIME_CLAIMS.filter((claim) => payload[claim] !== undefined);
  if (times.length > 0) checked.push(`${listed(times)} against the clock (±${policy.clockSkewSeconds}s)`);
  if (payload.exp === undefined) unchecked.push('expiry (the token has no "exp": it never expires)');
  if (policy.typ !== undefined)
    checked.push(
      `typ is ${policy.typ}${normalizeTyp(policy.typ) === 'at+jwt' ? ', with the claims RFC 9068 requires' : ''}`,
    );
  if (policy.requiredScopes?.length) checked.push(`scope includes ${policy.requiredScopes.join(' ')}`);
  return { header: result.protectedHeader as Record<string, unknown>, payload, checked, unchecked };
}

const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

function listed(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** jose's result; `searched` when several keys of the set fit the token (it has no kid, or shares one). */
type Verification = jose.JWTVerifyResult & { searched: boolean };

async function verifyWithRefetch(
  token: string,
  decoded: DecodedJws,
  keys: KeySet,
  options: jose.JWTVerifyOptions,
): Promise<Verification> {
  try {
    return await jwtVerify(token, decoded, keys, options);
  } catch (error) {
    if (error instanceof jose.errors.JWKSNoMatchingKey && (await keys.refresh()))
      return jwtVerify(token, decoded, keys, options);
    throw error;
  }
}

async function jwtVerify(
  token: string,
  decoded: DecodedJws,
  keys: KeySet,
  options: jose.JWTVerifyOptions,
): Promise<Verification> {
  // Re-read keys.key each time: refresh() may have replaced it.
  const key = keys.key;
  if (key instanceof Uint8Array) return { ...(await jose.jwtVerify(token, key, options)), searched: false };
  try {
    return { ...(await jose.jwtVerify(token, key, options)), searched: false };
  } catch (error) {
    if (!(error instanceof jose.errors.JWKSMultipleMatchingKeys)) throw error;
    return tryEachCandidate(token, decoded, keys, error, options);
  }
}

/**
 * Several keys fit the token (no kid, or a kid used twice, as real servers do): jose hands them over as the error's
 * iterator, and the token is valid when one of them verifies it — jose's own documented pattern. A failure other than
 * the signature (expired, wrong audience) means the signature did verify, so it is the answer.
 */
async function tryEachCandidate(
  token: string,
  decoded: DecodedJws,
  keys: KeySet,
  candidates: AsyncIterable<CryptoKey>,
  options: jose.JWTVerifyOptions,
): Promise<Verification> {
  let tried = 0;
  let tooWeak: unknown;
  for await (const key of candidates) {
    tried++;
    try {
      return { ...(await jose.jwtVerify(token, key, options)), searched: true };
    } catch (error) {
      if (error instanceof jose.errors.JWSSignatureVerificationFailed) continue;
      if (isWeakKeyError(error)) {
        tooWeak = error;
        continue;
      }
      throw error;
    }
  }
  if (tried === 0) throw new jose.errors.JWKSNoMatchingKey();
  if (tooWeak !== undefined && tried === 1) throw tooWeak;
  const kid = typeof decoded.header.kid === 'string' ? `kid ${JSON.stringify(decoded.header.kid)}` : 'no kid';
  throw new CliError(
    'JWT_SIGNATURE_INVALID',
    `The signature does not verify with any of the ${tried} keys in ${keys.source} that fit the token (alg ${show(decoded.header.alg)}, ${kid}): the token was altered or signed by another key.`,
    tooWeak === undefined ? {} : { hint: 'Some of those keys are RSA keys under 2048 bits, which are never used.' },
  );
}

function isWeakKeyError(error: unknown): boolean {
  return error instanceof TypeError && /modulusLength/.test(error.message);
}

function rejectDisallowedAlgorithm(alg: unknown, allowed: string[], keys: KeySet): void {
  if (typeof alg !== 'string') throw new CliError('JWT_INVALID', 'The token header has no "alg".');
  if (alg.toLowerCase() === 'none') {
    throw new CliError(
      'JWT_ALG_NOT_ALLOWED',
      `The token is unsigned (alg "${alg}"); unsigned tokens are never accepted.`,
    );
  }
  if (allowed.includes(alg)) return;
  if (keys.kind === 'asymmetric' && HMAC_ALGORITHMS.includes(alg)) {
    throw new CliError(
      'JWT_ALG_NOT_ALLOWED',
      `The token uses ${alg} (HMAC) but the keys are public keys from ${keys.source}: this is the algorithm-confusion attack, where the public key is used as an HMAC secret. Rejected.`,
      { hint: 'If the token really is HMAC-signed, verify it with --secret-env VAR or --secret-file FILE.' },
    );
  }
  throw new CliError(
    'JWT_ALG_NOT_ALLOWED',
    `The token uses alg ${alg}, which is not allowed here (allowed: ${allowed.join(', ')}).`,
    {
      hint: 'Pass --alg to change the allow-list if the issuer really uses that algorithm.',
    },
  );
}

/** RFC 9068 §2.2: a JWT access token carries iss, exp, aud, sub, client_id, iat and jti. */
export const ACCESS_TOKEN_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

function normalizeTyp(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, '');
}

function checkAccessTokenClaims(payload: Record<string, unknown>): void {
  const missing = ACCESS_TOKEN_CLAIMS.filter((claim) => payload[claim] === undefined);
  if (missing.length > 0) {
    throw new CliError(
      'JWT_CLAIM_INVALID',
      `The access token lacks ${missing.map((claim) => `"${claim}"`).join(', ')}, which RFC 9068 §2.2 requires of every JWT access token (typ at+jwt).`,
    );
  }
}

function checkNumericDates(payload: Record<string, unknown>, skew: number, now: number): void {
  for (const claim of TIME_CLAIMS) {
    const malformed = malformedTime(payload, claim);
    if (malformed) throw malformed;
  }
  const iat = payload.iat as number | undefined;
  if (iat !== undefined && iat > now + skew) {
    throw new CliError(
      'JWT_ISSUED_IN_FUTURE',
      `The token was issued in the future: "iat" is ${datedRelative(iat, now)}.`,
      {
        hint: 'Check the clocks of the issuer and this machine; --clock-skew allows for small differences.',
      },
    );
  }
}

function checkScopes(payload: Record<string, unknown>, required: string[]): void {
  if (required.length === 0) return;
  const granted = new Set(grantedScopes(payload));
  const missing = required.filter((scope) => !granted.has(scope));
  if (missing.length > 0) {
    throw new CliError(
      'JWT_SCOPE_MISSING',
      `The token lacks the required scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has: ${[...granted].join(' ') || 'none'}).`,
    );
  }
}

/** A time claim that is present but not a NumericDate is malformed, whatever the clock says. */
function malformedTime(payload: Record<string, unknown>, claim: string): CliError | undefined {
  const value = payload[claim];
  const problem = value === undefined ? undefined : numericDateProblem(value);
  return problem === undefined
    ? undefined
    : new CliError(
        'JWT_CLAIM_INVALID',
        `"${claim}" ${problem}: a NumericDate is a finite number of seconds since 1970 (RFC 7519 §2).`,
      );
}

/** " (from profile dev)": where an expected value came from, when the caller said. */
function from(origin: string | undefined): string {
  return origin ? ` (from ${origin})` : '';
}

function show(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

function explain(error: unknown, decoded: DecodedJws, keys: KeySet, policy: VerifyPolicy, now: number): unknown {
  const { header, payload } = decoded;
  const kid =
    typeof header.kid === 'string'
      ? ` kid ${JSON.stringify(header.kid)}`
      : header.kid === undefined
        ? ' (no kid)'
        : ' (kid is not a string)';
  // jose reads "nbf": "soon" as a failed nbf check and exp: -1e309 as expired: a malformed time is said as such.
  if (error instanceof jose.errors.JWTClaimValidationFailed || error instanceof jose.errors.JWTExpired) {
    const malformed = (TIME_CLAIMS as readonly string[]).includes(error.claim)
      ? malformedTime(payload, error.claim)
      : undefined;
    if (malformed) return malformed;
  }
  if (error instanceof jose.errors.JWTExpired) {
    const exp = payload.exp as number;
    return new CliError('JWT_EXPIRED', `The token expired ${atTime(exp, now)}.`, {
      hint: 'Get a fresh token; --clock-skew allows for small clock differences.',
    });
  }
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf': {
        const nbf = payload.nbf;
        return new CliError(
          'JWT_NOT_YET_VALID',
          `The token is not valid yet: "nbf" is ${typeof nbf === 'number' ? datedRelative(nbf, now) : show(nbf)}.`,
        );
      }
      case 'iss': {
        const slash =
          typeof payload.iss === 'string' &&
          policy.issuer &&
          payload.iss.replace(/\/$/, '') === policy.issuer.replace(/\/$/, '');
        return new CliError(
          'JWT_ISSUER_MISMATCH',
          `The token's issuer is ${show(payload.iss)}, expected exactly ${JSON.stringify(policy.issuer)}${from(policy.origins?.issuer)}.`,
          {
            hint: slash
              ? 'They differ only by a trailing slash; issuers are compared exactly (RFC 7519 §4.1.1).'
              : 'Pass the issuer exactly as the token states it, if you trust that issuer.',
          },
        );
      }
      case 'aud':
        return new CliError(
          'JWT_AUDIENCE_MISMATCH',
          `The token's audience is ${show(payload.aud)}, expected ${policy.audience!.map((a) => JSON.stringify(a)).join(' or ')}${from(policy.origins?.audience)}.`,
          {
            hint: 'A token minted for another API must not be accepted by yours; request one for this audience (RFC 8707 resource).',
          },
        );
      case 'typ':
        return new CliError(
          'JWT_TYPE_MISMATCH',
          `The token's typ is ${show(header.typ)}, expected ${JSON.stringify(policy.typ)}.`,
        );
      default:
        return new CliError('JWT_CLAIM_INVALID', `Claim "${error.claim}" is invalid: ${error.message}.`);
    }
  }
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) {
    return new CliError(
      'JWT_SIGNATURE_INVALID',
      `The signature does not verify with the key${kid} from ${keys.source}: the token was altered or signed by another key.`,
    );
  }
  if (error instanceof jose.errors.JWKSNoMatchingKey) {
    const skipped = typeof header.kid === 'string' ? keys.skipped.find((key) => key.kid === header.kid) : undefined;
    if (skipped)
      return new CliError(
        'JWT_NO_MATCHING_KEY',
        `The token's key, ${skipped.name} in ${keys.source}, cannot be used: it ${skipped.reason}.`,
      );
    return new CliError(
      'JWT_NO_MATCHING_KEY',
      `No key in ${keys.source} matches the token's${kid} and alg ${show(header.alg)}.`,
      {
        hint: 'The token may come from another issuer, or the key was rotated out.',
      },
    );
  }
  if (error instanceof jose.errors.JOSEAlgNotAllowed) {
    return new CliError('JWT_ALG_NOT_ALLOWED', `The token's alg ${show(header.alg)} is not allowed.`);
  }
  if (error instanceof jose.errors.JOSENotSupported) {
    return new CliError('JWT_UNSUPPORTED', `The token cannot be verified: ${error.message}.`);
  }
  if (error instanceof jose.errors.JWSInvalid || error instanceof jose.errors.JWTInvalid) {
    return new CliError('JWT_INVALID', `The token is not a valid signed JWT: ${error.message}.`);
  }
  if (error instanceof jose.errors.JWKInvalid || error instanceof jose.errors.JWKSInvalid) {
    return new CliError('JWT_NO_MATCHING_KEY', `The matching key in ${keys.source} is not usable: ${error.message}.`);
  }
  if (isWeakKeyError(error)) {
    return new CliError(
      'KEY_TOO_WEAK',
      `The RSA key${kid} from ${keys.source} is shorter than 2048 bits; such keys are refused.`,
    );
  }
  // WebCrypto's own refusals (DataError, NotSupportedError, …) are about the key, never a bug of ours.
  if ((error instanceof TypeError && /key/i.test(error.message)) || error instanceof DOMException) {
    return new CliError(
      'JWT_NO_MATCHING_KEY',
      `The key${kid} from ${keys.source} cannot verify ${show(header.alg)}: ${(error as Error).message}.`,
    );
  }
  return error;
}
