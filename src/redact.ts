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

/** Shorter known secrets are not replaced in free text: they would match ordinary words. */
const MIN_KNOWN_LENGTH = 6;

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

/**
 * What stub() and hidden() write, so that text redacted twice (a trace line that passes the output layer too) keeps
 * its stubs whole instead of stubbing a piece of a stub.
 */
const STUB = String.raw`[^\s&"'<>…]{0,6}…[^\s&"'<>…]{0,4} \(\d+ chars\)|\[redacted, \d+ chars\]`;

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){1,4}/g;
/**
 * A credential after an auth scheme (RFC 9110 §11.4 token68), but not an auth-param such as realm="…" or
 * error=invalid_token, which challenges (WWW-Authenticate) carry in the same place.
 */
const AUTH_SCHEME = new RegExp(String.raw`\b(Bearer|Basic|DPoP|Negotiate)(\s+)(?![\w!#$%&'*+.^\`|~-]+\s*=\s*["\w!#$%&'*+.^\`|~-])(${STUB}|[A-Za-z0-9._~+/-]{6,}=*)`, 'gi');
const NAMED_PARAM = new RegExp(`\\b(${TEXT_SECRET_NAMES.join('|')})=(${STUB}|[^&\\s"'<>]+)`, 'gi');
const NAMED_JSON = new RegExp(`"(${TEXT_SECRET_NAMES.join('|')})"(\\s*:\\s*)"((?:[^"\\\\]|\\\\.)*)"`, 'gi');
/** user:password@ in a URL (git and curl never print it either). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/**
 * Redacts free text. `known` holds secrets this run has seen (client secret, tokens received): they are replaced
 * wherever they appear, whatever their shape.
 */
export function redactText(text: string, known: Iterable<string> = []): string {
  return redactKnown(text, known)
    .replace(URL_CREDENTIALS, '$1[credentials removed]@')
    .replace(NAMED_JSON, (_m, name: string, sep: string, value: string) => `"${name}"${sep}"${stubUnlessStub(value)}"`)
    .replace(NAMED_PARAM, (_m, name: string, value: string) => `${name}=${stubUnlessStub(safeDecode(value))}`)
    .replace(AUTH_SCHEME, (_m, scheme: string, space: string, value: string) => `${scheme}${space}${WHOLE_STUB.test(value) ? value : credential(scheme, value)}`)
    .replace(JWT_LIKE, (jwt) => stub(jwt));
}

const WHOLE_STUB = new RegExp(`^(?:${STUB})$`);

/** Only the given secrets, wherever they appear: for a result the user asked for raw, whose own token is no leak. */
export function redactKnown(text: string, known: Iterable<string>): string {
  if (known instanceof SecretRegistry) return known.redact(text);
  let result = text;
  // Longest first: a secret that contains another (a Basic credential and the secret inside it) goes whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_KNOWN_LENGTH && result.includes(secret)) result = result.split(secret).join(stub(secret));
  }
  return result;
}

function stubUnlessStub(value: string): string {
  return WHOLE_STUB.test(value) ? value : stub(value);
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
  const knownList = known instanceof SecretRegistry ? known : [...known];
  return mapJsonStrings(value, (text, name) => (name !== undefined && SECRET_NAMES.has(name) ? stub(text) : redactText(text, knownList)));
}

/** Only known secrets (`redact` replaces them), in member names and string values: JSON results stay what was asked for. */
export function redactKnownJson(value: unknown, redact: (text: string) => string): unknown {
  return mapJsonStrings(value, (text) => redact(text));
}

/** Every string in a JSON value, member names included (a hostile server controls those too), through `change`. */
function mapJsonStrings(value: unknown, change: (text: string, memberName?: string) => string): unknown {
  const walk = (node: unknown, name?: string): unknown => {
    if (typeof node === 'string') return change(node, name);
    if (Array.isArray(node)) return node.map((item) => walk(item, name));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [change(key), walk(child, key)]));
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

/** The user:password@ part of a URL-like string, if it has one: to register as a secret and say it was ignored. */
export function urlCredentials(value: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\/([^\s/?#@]+)@/i.exec(value)?.[1];
}

/** A URL with secret query and fragment parameters (code, access_token, …) replaced by stubs. */
export function redactUrl(url: string): string {
  return redactText(url);
}

/**
 * The secrets one run knows: every value is registered the moment the run reads, receives or makes it, and every output
 * path redacts through this set. A secret also travels encoded (a form body, a query, a JSON string), so those spellings
 * are registered with it; a server that echoes what it received echoes one of them.
 */
export class SecretRegistry extends Set<string> {
  /** Each spelling's secret as first registered: an encoded echo is shown as the same stub as the secret itself. */
  private readonly canonical = new Map<string, string>();

  override add(secret: string): this {
    if (typeof secret !== 'string' || secret === '') return this;
    for (const spelling of spellings(secret)) {
      if (!this.canonical.has(spelling)) this.canonical.set(spelling, secret);
      super.add(spelling);
    }
    return this;
  }

  /** The text with every registered secret replaced by its stub, except those inside a value the user asked for raw. */
  redact(text: string, except: readonly string[] = []): string {
    let result = text;
    // Longest first: a secret that contains another (a Basic credential and the secret inside it) goes whole.
    for (const spelling of [...this].sort((a, b) => b.length - a.length)) {
      if (spelling.length < MIN_KNOWN_LENGTH || !result.includes(spelling)) continue;
      if (except.some((value) => value.includes(spelling))) continue;
      result = result.split(spelling).join(stub(this.canonical.get(spelling) ?? spelling));
    }
    return result;
  }

  /** What a request carries that is secret: credentials in its headers, secret parameters in a form body. */
  addFromRequest(headers: Record<string, string>, body: string | undefined, contentType: string | undefined): this {
    for (const [name, value] of Object.entries(headers)) {
      if (!SECRET_HEADERS.has(name.toLowerCase())) continue;
      const credential = /^(\S+)\s+(.+)$/.exec(value);
      if (!credential) {
        this.add(value);
        continue;
      }
      this.add(credential[2]!);
      if (/^basic$/i.test(credential[1]!)) this.addDecodedBasic(credential[2]!);
    }
    if (body !== undefined && (contentType ?? '').includes('x-www-form-urlencoded')) {
      for (const [name, value] of new URLSearchParams(body)) if (SECRET_NAMES.has(name)) this.add(value);
    }
    return this;
  }

  /** Secret members of a JSON answer (tokens, device codes, registration tokens), the moment they arrive. */
  addFromJson(value: unknown): this {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return this;
    for (const [name, member] of Object.entries(value)) if (SECRET_NAMES.has(name) && typeof member === 'string') this.add(member);
    return this;
  }

  private addDecodedBasic(encoded: string): void {
    const pair = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon < 0) return;
    const decode = (text: string) => safeDecode(text);
    this.add(decode(pair.slice(colon + 1)));
  }

  /** HTTP Basic client credentials (RFC 6749 §2.3.1): the base64 of the form-encoded id and secret, and of the raw pair. */
  addBasic(clientId: string, secret: string): this {
    this.add(secret);
    for (const pair of [`${formEncode(clientId)}:${formEncode(secret)}`, `${clientId}:${secret}`]) {
      const encoded = Buffer.from(pair).toString('base64');
      this.canonical.set(encoded, encoded);
      super.add(encoded);
    }
    return this;
  }
}

function spellings(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), formEncode(secret), JSON.stringify(secret).slice(1, -1)])];
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
