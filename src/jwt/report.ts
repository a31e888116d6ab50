// A token report: everything `oauth decode` says about one token, as plain data with stable field names (this is the
// --json shape). Formatting for humans lives with the command.
import type { ErrorCode } from '../errors.js';
import type { DecodedToken } from './decode.js';
import { finite, lifetimeSeconds, tokenNotes, type Note } from './notes.js';
import { isoTime, relative } from './time.js';
import type { TokenVerification } from './verifier.js';

export interface TimeClaim {
  value: unknown;
  iso?: string;
  relative?: string;
}

export type Verification =
  | { valid: true; keySource: string; checked: string[]; unchecked: string[]; warnings: string[] }
  | { valid: false; keySource?: string; error: { code: ErrorCode; message: string; hint?: string } };

export interface TokenReport {
  kind: 'jws' | 'jwe';
  header: Record<string, unknown>;
  payload?: Record<string, unknown>;
  signature?: { bytes: number };
  times: { iat?: TimeClaim; nbf?: TimeClaim; exp?: TimeClaim };
  lifetimeSeconds?: number;
  notes: Note[];
  verification?: Verification;
  /** RFC 8705 §3.1: the certificate the token is bound to (cnf x5t#S256), and whether --cert is that one. */
  certificateBinding?: {
    thumbprint?: string;
    /** Why a cnf x5t#S256 that is there is no thumbprint: the token is then bound to no certificate. */
    malformed?: string;
    certificate?: { file: string; thumbprint: string; bound: boolean };
  };
}

export function reportToken(decoded: DecodedToken, nowSeconds: number): TokenReport {
  const notes = tokenNotes(decoded, nowSeconds);
  if (decoded.kind === 'jwe') return { kind: 'jwe', header: decoded.header, times: {}, notes };
  const times: TokenReport['times'] = {};
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    const value = decoded.payload[claim];
    if (value === undefined) continue;
    const seconds = finite(value);
    if (seconds === undefined) {
      times[claim] = { value };
      continue;
    }
    const iso = isoTime(seconds);
    times[claim] =
      iso === undefined
        ? { value, relative: relative(seconds, nowSeconds) }
        : { value, iso, relative: relative(seconds, nowSeconds) };
  }
  const report: TokenReport = {
    kind: 'jws',
    header: decoded.header,
    payload: decoded.payload,
    signature: { bytes: decoded.signatureBytes },
    times,
    notes,
  };
  const cnf: unknown = decoded.payload.cnf;
  const bound = cnf !== null && typeof cnf === 'object' && 'x5t#S256' in cnf ? cnf['x5t#S256'] : undefined;
  if (cnf !== null && typeof cnf === 'object' && 'x5t#S256' in cnf) {
    const problem = thumbprintProblem(bound);
    report.certificateBinding = problem ? { malformed: problem } : { thumbprint: String(bound) };
  }
  const lifetime = lifetimeSeconds(decoded.payload);
  if (lifetime !== undefined) report.lifetimeSeconds = lifetime;
  return report;
}

/** RFC 8705 §3.1: x5t#S256 is the base64url SHA-256 of the certificate, 43 characters; anything else binds nothing. */
function thumbprintProblem(value: unknown): string | undefined {
  if (typeof value === 'string')
    return /^[A-Za-z0-9_-]{43}$/.test(value)
      ? undefined
      : `a string of ${value.length} characters, not a base64url SHA-256 thumbprint`;
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return `${kind}, not a base64url SHA-256 thumbprint`;
}

/** A verifier's answer as the report shows it (a token that could not be verified has no report). */
export function verificationReport(result: Exclude<TokenVerification, { status: 'could-not-verify' }>): Verification {
  if (result.status === 'valid') {
    const { checked, unchecked } = result.verified;
    return { valid: true, keySource: result.keySource, checked, unchecked, warnings: result.warnings };
  }
  const { code, message, hint } = result.reason;
  return {
    valid: false,
    ...(result.keySource !== undefined ? { keySource: result.keySource } : {}),
    error: { code, message, ...(hint ? { hint } : {}) },
  };
}
