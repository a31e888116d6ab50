// The only place that knows what a secret looks like. Everything printed on stderr, in human output, in traces and in
// error messages passes through here; whole values reach stdout only in a machine format the user asked for.

/** Parameter and JSON member names whose values are secrets (RFC 6749, 7636, 7523, 8628, 8693, OIDC). */
export const SECRET_NAMES = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'client_assertion',
  'assertion',
  'device_code',
  'password',
  'subject_token',
  'actor_token',
  'token',
  'logout_token',
  'registration_access_token',
  'private_key',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'k',
]);

/** Only these names are treated as secrets inside free text (form bodies, URLs, logs); single letters are JWK-only. */
const TEXT_SECRET_NAMES = [...SECRET_NAMES].filter((name) => name.length > 2);

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop']);

/** Nothing of the value but its length: for values whose ends are themselves secret (Basic credentials). */
export function hidden(value: string): string {
  return `[redacted, ${value.length} chars]`;
}

/** A recognisable stub: enough to tell two values apart, never enough to use one. */
export function stub(value: string): string {
  const length = value.length;
  if (length >= 32) return `${value.slice(0, 6)}…${value.slice(-4)} (${length} chars)`;
  if (length >= 16) return `${value.slice(0, 3)}… (${length} chars)`;
  return hidden(value);
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){1,4}/g;
const AUTH_SCHEME = /\b(Bearer|Basic|DPoP|Negotiate)(\s+)([A-Za-z0-9._~+/=-]{6,})/gi;
const NAMED_PARAM = new RegExp(`\\b(${TEXT_SECRET_NAMES.join('|')})=([^&\\s"'<>]+)`, 'gi');
const NAMED_JSON = new RegExp(`"(${TEXT_SECRET_NAMES.join('|')})"(\\s*:\\s*)"((?:[^"\\\\]|\\\\.)*)"`, 'gi');

/**
 * Redacts free text. `known` holds secrets this run has seen (client secret, tokens received): they are replaced
 * wherever they appear, whatever their shape.
 */
export function redactText(text: string, known: Iterable<string> = []): string {
  let result = text;
  for (const secret of known) {
    if (secret.length >= 6 && result.includes(secret)) result = result.split(secret).join(stub(secret));
  }
  return result
    .replace(NAMED_JSON, (_m, name: string, sep: string, value: string) => `"${name}"${sep}"${stubUnlessStub(value)}"`)
    .replace(NAMED_PARAM, (_m, name: string, value: string) => `${name}=${stubUnlessStub(safeDecode(value))}`)
    .replace(AUTH_SCHEME, (_m, scheme: string, space: string, value: string) => `${scheme}${space}${credential(scheme, value)}`)
    .replace(JWT_LIKE, (jwt) => stub(jwt));
}

function stubUnlessStub(value: string): string {
  return /\(\d+ chars\)$|^\[redacted, \d+ chars\]$/.test(value) ? value : stub(value);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Redacts a parsed JSON value: members with secret names become stubs; strings are scanned as text. */
export function redactJson(value: unknown, known: Iterable<string> = []): unknown {
  const knownList = [...known];
  const walk = (node: unknown, name?: string): unknown => {
    if (typeof node === 'string') {
      return name !== undefined && SECRET_NAMES.has(name) ? stub(node) : redactText(node, knownList);
    }
    if (Array.isArray(node)) return node.map((item) => walk(item, name));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child, key)]));
    }
    return node;
  };
  return walk(value);
}

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    result[name] = SECRET_HEADERS.has(name.toLowerCase()) ? redactHeaderValue(value) : redactText(value);
  }
  return result;
}

function redactHeaderValue(value: string): string {
  const match = /^(\w+)\s+(.+)$/.exec(value);
  return match && /^(bearer|basic|dpop|negotiate)$/i.test(match[1]!) ? `${match[1]} ${credential(match[1]!, match[2]!)}` : stub(value);
}

/** Basic credentials are base64 of "id:secret": their last characters are the secret's, so none are shown. */
function credential(scheme: string, value: string): string {
  return /^basic$/i.test(scheme) ? hidden(value) : stub(value);
}

/** A URL with secret query and fragment parameters (code, access_token, …) replaced by stubs. */
export function redactUrl(url: string): string {
  return redactText(url);
}
