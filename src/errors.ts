// One error type for the whole tool. A code is a stable string that scripts and tests switch on; the exit code follows
// from the code, so the same failure always leaves the same way.

export const Exit = {
  ok: 0,
  internal: 1,
  usage: 2,
  invalid: 3,
  auth: 4,
  remote: 5,
  cancelled: 130,
} as const;

const exitByCode = {
  USAGE: Exit.usage,
  INPUT_MALFORMED: Exit.usage,
  INPUT_TOO_LARGE: Exit.usage,
  TOKEN_MALFORMED: Exit.usage,
  TOKEN_ENCRYPTED: Exit.usage,
  CONFIG_INVALID: Exit.usage,
  FILE_UNREADABLE: Exit.usage,
  KEY_INVALID: Exit.usage,
  INSECURE_URL: Exit.usage,
  MISSING_SETTING: Exit.usage,
  STORE_UNAVAILABLE: Exit.usage,
  STORE_CORRUPT: Exit.usage,
  STORE_FAILED: Exit.usage,
  OUTPUT_FAILED: Exit.usage,
  LOCK_TIMEOUT: Exit.usage,
  PORT_IN_USE: Exit.usage,
  JWT_EXPIRED: Exit.invalid,
  JWT_NOT_YET_VALID: Exit.invalid,
  JWT_ISSUED_IN_FUTURE: Exit.invalid,
  JWT_ISSUER_MISMATCH: Exit.invalid,
  JWT_AUDIENCE_MISMATCH: Exit.invalid,
  JWT_TYPE_MISMATCH: Exit.invalid,
  JWT_SCOPE_MISSING: Exit.invalid,
  JWT_CLAIM_INVALID: Exit.invalid,
  /** RFC 8705 §3: the token is bound to another certificate than the one given (or to none). */
  JWT_CERT_MISMATCH: Exit.invalid,
  JWT_SIGNATURE_INVALID: Exit.invalid,
  JWT_ALG_NOT_ALLOWED: Exit.invalid,
  JWT_NO_MATCHING_KEY: Exit.invalid,
  JWT_UNSUPPORTED: Exit.invalid,
  JWT_INVALID: Exit.invalid,
  KEY_TOO_WEAK: Exit.invalid,
  ID_TOKEN_INVALID: Exit.invalid,
  AUTH_RESPONSE_INVALID: Exit.invalid,
  API_REFUSED: Exit.invalid,
  NOT_LOGGED_IN: Exit.auth,
  REFRESH_TOKEN_REJECTED: Exit.auth,
  TOKEN_REJECTED: Exit.auth,
  ACCESS_DENIED: Exit.auth,
  LOGIN_TIMED_OUT: Exit.auth,
  DEVICE_CODE_EXPIRED: Exit.auth,
  HTTP_NETWORK: Exit.remote,
  HTTP_TIMEOUT: Exit.remote,
  HTTP_TLS: Exit.remote,
  HTTP_TOO_LARGE: Exit.remote,
  HTTP_REDIRECT: Exit.remote,
  HTTP_STATUS: Exit.remote,
  DISCOVERY_FAILED: Exit.remote,
  JWKS_FETCH_FAILED: Exit.remote,
  JWKS_INVALID: Exit.remote,
  OAUTH_ERROR: Exit.remote,
  METADATA_INVALID: Exit.remote,
  PROTOCOL_ERROR: Exit.remote,
  CHECK_INCONCLUSIVE: Exit.remote,
  CANCELLED: Exit.cancelled,
  INTERNAL: Exit.internal,
} as const;

export type ErrorCode = keyof typeof exitByCode;

/**
 * What to do, for failures whose message alone does not say it: used when the code that raised the error knew no
 * more specific advice, so that every error ends with a next step.
 */
const DEFAULT_HINTS: Partial<Record<ErrorCode, string>> = {
  OUTPUT_FAILED: 'Check where the output goes: a full disk, a file this user may not write, a closed descriptor.',
  INSECURE_URL: 'Use an https URL (plain http only to a loopback host, or with --insecure if you really mean it).',
  KEY_INVALID: 'Give a PEM or JWK key: RSA of 2048 bits or more, EC P-256/P-384/P-521, or Ed25519.',
  STORE_FAILED:
    'Check that the state directory (XDG_STATE_HOME, or ~/.local/state/oauth) is writable; OAUTH_STORE=memory keeps tokens for one run only.',
  HTTP_STATUS: 'Run again with -v to see the exchange; check the endpoint and the client’s settings.',
  PROTOCOL_ERROR:
    'The server’s answer does not follow the protocol: run again with -vv to see it, and check the server’s configuration.',
  METADATA_INVALID:
    'The server’s metadata is malformed and has to be fixed there; "oauth check --issuer <url>" lists every problem in it.',
  DISCOVERY_FAILED: 'Check the issuer URL: it must be exactly the server’s, path included.',
  USAGE: 'See "oauth <command> --help" for what each flag takes.',
  FILE_UNREADABLE: 'Check the path, and that this user may read it.',
  CONFIG_INVALID: 'Fix or delete that file; it holds only profile settings, no tokens.',
  JWKS_INVALID: 'The server’s key set holds no usable signing key: check its jwks_uri, or verify with --key <file>.',
  OAUTH_ERROR: 'Run again with -v to see the exchange; check the client id, its credentials and what it may ask for.',
};

/**
 * What a failure was, as fields: a caller that says it in words of its own (the refresh token "was rejected: <reason>")
 * builds its message from these, never by editing another error's message.
 */
export interface ErrorFacts {
  /**
   * What went wrong, as a clause (lower-case start, no final period) that fits after a colon; the message may say more
   * around it (what was being done, what follows). Absent where no caller needs it apart from the message.
   */
  reason?: string | undefined;
  /** The endpoint or document that answered ("token endpoint", "discovery document"), when a server was involved. */
  endpoint?: string | undefined;
  /** The HTTP status it answered with. */
  status?: number | undefined;
  /** The OAuth error code it answered with (RFC 6749 §5.2: invalid_grant, unsupported_token_type, …). */
  oauthError?: string | undefined;
}

export interface CliErrorOptions extends ErrorFacts {
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable facts for `--json` (never secrets). */
  details?: Record<string, unknown>;
}

export class CliError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly reason: string | undefined;
  readonly endpoint: string | undefined;
  readonly status: number | undefined;
  readonly oauthError: string | undefined;

  constructor(code: ErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitByCode[code];
    this.hint = options.hint ?? DEFAULT_HINTS[code];
    this.details = options.details;
    this.reason = options.reason;
    this.endpoint = options.endpoint;
    this.status = options.status;
    this.oauthError = options.oauthError;
  }

  /** The fields of this failure, for an error that reports the same failure in other words or under another code. */
  get facts(): ErrorFacts {
    return { reason: this.reason, endpoint: this.endpoint, status: this.status, oauthError: this.oauthError };
  }
}

/**
 * The error said after `lead`, as a sentence: "<lead>: <reason>." when the error carries its reason, else
 * "<lead>. <its message>" — the message is quoted whole, never cut or edited.
 */
export function saidAfter(lead: string, error: CliError): string {
  return error.reason === undefined ? `${lead}. ${error.message}` : `${lead}: ${error.reason}.`;
}

/** A clause said as a sentence of its own: capital first letter, final period. */
export function sentence(clause: string): string {
  return `${clause.charAt(0).toUpperCase()}${clause.slice(1)}.`;
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}

/** Anything that is not a CliError reaching the top is a bug in this tool, and says so. */
export function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new CliError('CANCELLED', 'Cancelled.');
  }
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new CliError('INTERNAL', `Internal error (this is a bug in oauth): ${what}`, {
    hint: 'Run again with --debug for the stack trace and report it.',
    cause: error,
  });
}

// What a JSON value is, in the words an error message needs: "must be a URL string, not the number 42".
/**
 * The value's JSON type with its article: "null", "an array", "an object", "an empty string", "a string", "a number",
 * "a boolean". With `showValue`, a string, number or boolean is named with its value ("the number 42", "the string
 * "abc""), cut to a length a message can carry; leave it off wherever the value may be a secret (a stored token).
 */
export function describeJsonType(value: unknown, options: { showValue?: boolean } = {}): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string' && value === '') return 'an empty string';
  if (!options.showValue) return `a ${typeof value}`;
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `the ${typeof value} ${shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown}`;
}

const MAX_SHOWN = 60;
