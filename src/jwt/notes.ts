// What is unusual about a decoded token, in words a developer can act on. Pure: token + clock in, notes out.
import { authorizationDetailsProblem } from '../oauth/authorization-details.js';
import type { DecodedToken } from './decode.js';
import { formatDuration, numericDateProblem, relative } from './time.js';

export interface Note {
  level: 'warn' | 'info';
  text: string;
}

const KEY_REFERENCE_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;
const LONG_LIFETIME_SECONDS = 24 * 3600;

export function describeJwe(header: Record<string, unknown>): string {
  const alg = typeof header.alg === 'string' ? header.alg : 'unknown';
  const enc = typeof header.enc === 'string' ? header.enc : 'unknown';
  return `This is an encrypted JWT (JWE, 5 segments) with key management "${alg}" and content encryption "${enc}". Its claims can only be read with the recipient's private key; oauth does not decrypt tokens.`;
}

export function tokenNotes(token: DecodedToken, nowSeconds: number): Note[] {
  const notes: Note[] = [];
  const { header } = token;
  if (token.kind === 'jwe') return [{ level: 'info', text: describeJwe(header) }];
  const { payload } = token;
  const alg = header.alg;

  if (typeof alg !== 'string')
    notes.push({ level: 'warn', text: 'The header has no "alg": no verifier should accept it.' });
  else if (alg.toLowerCase() === 'none') {
    notes.push({ level: 'warn', text: 'alg is "none": the token is unsigned and must never be accepted.' });
  } else if (/^HS/i.test(alg)) {
    notes.push({ level: 'info', text: `${alg} is symmetric: anyone who can verify it can also mint it.` });
  }
  if (token.signature.length === 0 && typeof alg === 'string' && alg.toLowerCase() !== 'none') {
    notes.push({ level: 'warn', text: `The signature is empty although alg is "${alg}".` });
  }
  for (const name of KEY_REFERENCE_HEADERS) {
    if (header[name] !== undefined) {
      notes.push({
        level: 'warn',
        text: `The header carries "${name}" (a key or key location chosen by whoever made the token). oauth never fetches or trusts it; a verifier that did would accept forged tokens.`,
      });
    }
  }
  if (header.crit !== undefined) {
    notes.push({
      level: 'warn',
      text: `The header marks ${JSON.stringify(header.crit)} as critical: a verifier that does not understand them must reject the token.`,
    });
  }
  if (header.kid === undefined) notes.push({ level: 'info', text: 'No "kid": a verifier has to try every key.' });
  else if (typeof header.kid !== 'string')
    notes.push({ level: 'warn', text: `"kid" is a ${typeof header.kid}, not a string.` });
  if (header.typ === undefined) {
    notes.push({
      level: 'info',
      text: 'No "typ" header; RFC 9068 access tokens carry "at+jwt", which stops an ID token being replayed as an access token.',
    });
  }

  for (const claim of TIME_CLAIMS) {
    const problem = payload[claim] === undefined ? undefined : numericDateProblem(payload[claim]);
    if (problem)
      notes.push({
        level: 'warn',
        text: `"${claim}" ${problem}: not a NumericDate (a finite number of seconds, RFC 7519 §2).`,
      });
  }
  const exp = finite(payload.exp);
  const nbf = finite(payload.nbf);
  const iat = finite(payload.iat);
  if (payload.exp === undefined) notes.push({ level: 'warn', text: 'No "exp": the token never expires.' });
  if (exp !== undefined && exp <= nowSeconds)
    notes.push({ level: 'warn', text: `Expired ${relative(exp, nowSeconds)}.` });
  if (nbf !== undefined && nbf > nowSeconds)
    notes.push({ level: 'warn', text: `Not valid yet: "nbf" is ${relative(nbf, nowSeconds)}.` });
  if (iat !== undefined && iat > nowSeconds + 60)
    notes.push({ level: 'warn', text: `Issued in the future: "iat" is ${relative(iat, nowSeconds)}.` });
  const start = iat ?? nbf;
  if (exp !== undefined && start !== undefined && exp - start > LONG_LIFETIME_SECONDS) {
    notes.push({
      level: 'warn',
      text: `Long lifetime (${formatDuration(exp - start)}): RFC 9700 §2.2 recommends short-lived access tokens.`,
    });
  }
  if (payload.aud === undefined)
    notes.push({ level: 'info', text: 'No "aud": any API that trusts this issuer would accept it.' });
  const details = authorizationDetailsNote(payload.authorization_details);
  if (details) notes.push(details);
  return notes;
}

/** RFC 9396 §9.1: a JWT access token carries the granted authorization details; say their types, or what is wrong. */
function authorizationDetailsNote(details: unknown): Note | undefined {
  if (details === undefined) return undefined;
  const problem = authorizationDetailsProblem(details);
  if (problem) return { level: 'warn', text: `"authorization_details" is malformed (RFC 9396 §2): ${problem}.` };
  const types = (details as Array<{ type: string }>).map((detail) => detail.type);
  return { level: 'info', text: `Grants RFC 9396 authorization details of type ${[...new Set(types)].join(', ')}.` };
}

export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The lifetime in seconds, when both ends are known. */
export function lifetimeSeconds(payload: Record<string, unknown>): number | undefined {
  const exp = finite(payload.exp);
  const start = finite(payload.iat) ?? finite(payload.nbf);
  return exp !== undefined && start !== undefined ? exp - start : undefined;
}
