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
]);

/**
 * A JWK's private parts (RFC 7518 §6.2.2, §6.3.2, §6.4.1): secrets only inside a JWK, an object with a string kty. Any
 * other member so named (an API's {"d": "ERR_…"}) is ordinary text, and blanking it would hide what a server said.
 */
const JWK_PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']);

const isJwk = (node: unknown): boolean =>
  node !== null && typeof node === 'object' && typeof (node as { kty?: unknown }).kty === 'string';

/** Whether a JSON member holds a secret: by its name, or as a private part of the JWK it is in. */
function isSecretMember(name: string | undefined, parent: unknown): boolean {
  if (name === undefined) return false;
  return SECRET_NAMES.has(name) || (JWK_PRIVATE_MEMBERS.has(name) && isJwk(parent));
}

/** Shorter known secrets are replaced in free text only where they stand as a word of their own. */
const MIN_KNOWN_LENGTH = 6;
/** Below this a secret cannot be told from ordinary text at all (and no server issues one). */
const SHORTEST_SECRET = 4;
/** A cut-off echo of a secret is found by this many first characters (and must hold at least half the secret). */
const TRUNCATED_ECHO = 12;
/** Secrets at least this long are also found in pieces of FRAGMENT characters or more that hold more than half of them. */
const FRAGMENTED_SECRET = 16;
const FRAGMENT = 8;

/** Inside free text (form bodies, URLs, logs) a secret is found by its name alone: a JWK's parts are not among them. */
const TEXT_SECRET_NAMES = [...SECRET_NAMES];

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop']);

/**
 * Headers whose value is a credential by a word in the name: tokens (Private-Token, Access-Token, X-Auth-Token, X-Csrf-
 * Token), secrets and passwords, API keys (Api-Key, X-Goog-Api-Key, Apikey), anything auth (Authorization-Token,
 * X-Amz-Security-Token), sessions and cookies. A header that wrongly matches loses only its value from a trace.
 */
const SECRET_HEADER_PATTERN = /token|secret|passw(?:or)?d|api[-_]?key|auth|session|cookie/;
/** Named like a credential, but what they carry is for everyone to read: challenges and granted scopes. */
const PUBLIC_HEADERS = new Set(['www-authenticate', 'proxy-authenticate', 'x-oauth-scopes', 'x-accepted-oauth-scopes']);

/** Whether a header (any case) carries a credential: its value is redacted wherever headers are shown. */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  if (PUBLIC_HEADERS.has(lower)) return false;
  return SECRET_HEADERS.has(lower) || SECRET_HEADER_PATTERN.test(lower);
}

/**
 * RFC 6749 Appendix A (A.12, A.13, A.17): access and refresh tokens and the token type are printable ASCII (VSCHAR).
 * Anything else is no token, wherever it comes from (a server's answer, the store), and would reach a header or a
 * terminal as something else.
 */
export function isTokenText(value: unknown): value is string {
  return typeof value === 'string' && /^[\x20-\x7e]+$/.test(value);
}

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

// Only where a run of base64url starts: from every "eyJ" inside one long run, the search would be quadratic.
const JWT_LIKE = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){1,4}/g;
/**
 * A credential after an auth scheme (RFC 9110 §11.4 token68), but not an auth-param such as realm="…" or
 * error=invalid_token, which challenges (WWW-Authenticate) carry in the same place.
 */
const AUTH_SCHEME = new RegExp(
  String.raw`\b(Bearer|Basic|DPoP|Negotiate)(\s+)(?![\w!#$%&'*+.^\`|~-]+\s*=\s*["\w!#$%&'*+.^\`|~-])(${STUB}|[A-Za-z0-9._~+/-]{6,}=*)`,
  'gi',
);
const NAMED_PARAM = new RegExp(`\\b(${TEXT_SECRET_NAMES.join('|')})=(${STUB}|[^&\\s"'<>]+)`, 'gi');
const NAMED_JSON = new RegExp(`"(${TEXT_SECRET_NAMES.join('|')})"(\\s*:\\s*)"((?:[^"\\\\]|\\\\.)*)"`, 'gi');
/**
 * user:password@ in a URL (git and curl never print it either). A scheme is at most 32 characters here: unbounded,
 * the search from every letter of one long run ("a.a.a.…", with no "://") would be quadratic.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#@]+@/gi;

/**
 * Redacts free text. `known` holds secrets this run has seen (client secret, tokens received): they are replaced
 * wherever they appear, whatever their shape.
 */
export function redactText(text: string, known: Iterable<string> = [], except: readonly string[] = []): string {
  return redactUrlCredentials(redactKnown(text, known, except))
    .replace(NAMED_JSON, (_m, name: string, sep: string, value: string) => `"${name}"${sep}"${stubUnlessStub(value)}"`)
    .replace(NAMED_PARAM, (_m, name: string, value: string) => `${name}=${stubUnlessStub(value, safeDecode)}`)
    .replace(AUTH_SCHEME, (match, scheme: string, space: string, value: string, offset: number, whole: string) =>
      WHOLE_STUB.test(value)
        ? match
        : proseWord(value) && !inCredentialHeader(whole, offset)
          ? match
          : `${scheme}${space}${credential(scheme, value)}`,
    )
    .replace(JWT_LIKE, (jwt) => stub(jwt));
}

const WHOLE_STUB = new RegExp(`^(?:${STUB})$`);

/**
 * A word of prose after a scheme name ("DPoP proofs", "Bearer tokens."): a short run of letters, lower case but for
 * the first, and nothing else. A credential (token68) almost always has a digit, a symbol, mixed case inside or 20+
 * characters; a short all-letter one that looks like a word is still redacted in a header (inCredentialHeader).
 */
function proseWord(value: string): boolean {
  return /^[A-Za-z][a-z]{5,18}\.?$/.test(value);
}

/** Whether the scheme is the value of an Authorization, Proxy-Authorization or DPoP header: there it is a credential. */
function inCredentialHeader(text: string, offset: number): boolean {
  return /(?:authorization|dpop)"?\s*[:=]\s*"?$/i.test(text.slice(Math.max(0, offset - 40), offset));
}

/** A URL's user:password@ removed wherever one appears: a credential in a URL is one whoever handed it over. */
export function redactUrlCredentials(text: string): string {
  return text.includes('@') ? text.replace(URL_CREDENTIALS, '$1[credentials removed]@') : text;
}

/** Only the given secrets, wherever they appear: for a result the user asked for raw, whose own token is no leak. */
export function redactKnown(text: string, known: Iterable<string>, except: readonly string[] = []): string {
  if (known instanceof SecretRegistry) return known.redact(text, except);
  let result = text;
  // Longest first: a secret that contains another (a Basic credential and the secret inside it) goes whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    if (except.includes(secret)) continue;
    if (secret.length >= MIN_KNOWN_LENGTH && result.includes(secret)) result = result.split(secret).join(stub(secret));
  }
  return result;
}

/**
 * A stub stays as it is, as written or once decoded; anything else is stubbed as it reads decoded. A stub is tested
 * before decoding too: a "+" in it is the secret's own, not an encoded space.
 */
function stubUnlessStub(value: string, decode: (text: string) => string = (text) => text): string {
  if (WHOLE_STUB.test(value)) return value;
  const decoded = decode(value);
  return WHOLE_STUB.test(decoded) ? decoded : stub(decoded);
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
  return mapJsonStrings(value, (text, name, parent) =>
    isSecretMember(name, parent) ? stub(text) : redactText(text, knownList),
  );
}

/** Only known secrets (`redact` replaces them), in member names and string values: JSON results stay what was asked for. */
export function redactKnownJson(value: unknown, redact: (text: string) => string): unknown {
  return mapJsonStrings(value, (text) => redact(text));
}

/** Every string in a JSON value, member names included (a hostile server controls those too), through `change`. */
function mapJsonStrings(
  value: unknown,
  change: (text: string, memberName?: string, parent?: unknown) => string,
): unknown {
  const walk = (node: unknown, name?: string, parent?: unknown): unknown => {
    if (typeof node === 'string') return change(node, name, parent);
    if (Array.isArray(node)) return node.map((item) => walk(item, name, parent));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [change(key), walk(child, key, node)]));
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
    result[name] = isSecretHeader(name) ? redactHeaderValue(value) : redactText(value);
  }
  return result;
}

function redactHeaderValue(value: string): string {
  const match = /^(\w+)\s+(.+)$/.exec(value);
  return match && /^(bearer|basic|dpop|negotiate)$/i.test(match[1]!)
    ? `${match[1]} ${credential(match[1]!, match[2]!)}`
    : stub(value);
}

/** Basic credentials are base64 of "id:secret": their last characters are the secret's, so none are shown. */
function credential(scheme: string, value: string): string {
  return /^basic$/i.test(scheme) ? hidden(value) : stub(value);
}

/**
 * The values of a URL's parameters named as secrets, in its query or its fragment (`?access_token=…`, `#id_token=…`,
 * `code=`, `client_secret[]=`): what a user pastes with a URL is a secret of the run like any other, so no output (an
 * audit's report of that URL) shows it.
 */
export function urlQuerySecrets(value: string): string[] {
  if (!/[?#]/.test(value) || !URL.canParse(value.trim())) return [];
  const url = new URL(value.trim());
  return [...url.searchParams, ...new URLSearchParams(url.hash.slice(1))]
    .filter(([name, secret]) => SECRET_NAMES.has(name.toLowerCase().replace(/\[[^\]]*\]$/, '')) && secret !== '')
    .map(([, secret]) => secret);
}

/** The user:password@ part of a URL-like string, if it has one: to register as a secret and say it was ignored. */
export function urlCredentials(value: string): string | undefined {
  const start = /^\s*[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0].length;
  if (start === undefined || !value.includes('@', start)) return undefined;
  // Up to the last "@" of the authority, as the WHATWG URL parser reads it: a password may hold spaces and "@".
  const authority = value.slice(start).split(/[/?#]/)[0]!;
  if (authority.includes('@')) return authority.slice(0, authority.lastIndexOf('@'));
  // An "@" later on is a path's, in a URL that parses; in one that does not ("https://alice:pa/ss@host", whose
  // password ends the authority early) everything up to the last "@" counts, so no message quoting it shows a password.
  if (URL.canParse(value.trim())) return undefined;
  const rest = value.slice(start).split(/\s/)[0]!;
  return rest.includes('@') ? rest.slice(0, rest.lastIndexOf('@')) : undefined;
}

/** A URL with secret query and fragment parameters (code, access_token, …) replaced by stubs. */
export function redactUrl(url: string): string {
  return redactText(url);
}

/**
 * The secrets one run knows: every value is registered the moment the run reads, receives or makes it, and every output
 * path redacts through this set. A server that echoes what it received echoes it in some spelling of its own: encoded
 * for a form or a query (either case of hex, every character or only some), escaped for JSON (`\/`, `\u0041`) or HTML
 * (`&#x2F;`), or inside base64 (a Basic header, a token it built). So text is also searched decoded, each decoded
 * character remembering where it came from, and a secret is also looked for in base64 at each of the three alignments
 * it can have inside a longer base64 text. No library redacts through encodings it was not told of: written here.
 */
export class SecretRegistry extends Set<string> {
  /** Each spelling's secret as first registered: an encoded echo is shown as the same stub as the secret itself. */
  private readonly canonical = new Map<string, string>();
  /** Spellings longest first (a secret that contains another, a Basic credential and the secret in it, goes whole). */
  private ordered: string[] | undefined;
  /** Secrets long enough that a server's cut-off echo of them ("unknown secret "Zq7-Kp_Wm3-Rt9x...") is found too. */
  private readonly prefixes = new Set<string>();

  override add(secret: string): this {
    if (typeof secret !== 'string' || secret === '') return this;
    this.remember(secret, secret);
    // A form writes a space as "+", which decoding cannot tell from a "+" of the secret's own.
    if (secret.includes(' ')) this.remember(secret.replaceAll(' ', '+'), secret);
    // A JWT's signature alone is enough to rebuild it from the header and payload a server might echo decoded.
    const signature = /^[\w-]+\.[\w-]+\.([\w-]{16,})$/.exec(secret)?.[1];
    if (signature) this.remember(signature, secret);
    const hex = Buffer.from(secret, 'utf8').toString('hex');
    for (const spelling of [hex, hex.toUpperCase()]) this.remember(spelling, secret);
    // An encoded echo is shown as the secret's own stub: a stub of the encoding would show more of the secret.
    for (const encoded of encodings(secret)) for (const core of base64Cores(encoded)) this.remember(core, secret);
    if (secret.length >= TRUNCATED_ECHO) this.prefixes.add(secret);
    return this;
  }

  private remember(spelling: string, secret: string): void {
    if (!this.canonical.has(spelling)) this.canonical.set(spelling, secret);
    if (!super.has(spelling)) this.ordered = undefined;
    super.add(spelling);
  }

  /** The text with every registered secret replaced by its stub, except those inside a value the user asked for raw. */
  redact(text: string, except: readonly string[] = []): string {
    if (this.size === 0) return text;
    this.ordered ??= [...this]
      .filter((spelling) => spelling.length >= SHORTEST_SECRET)
      .sort((a, b) => b.length - a.length);
    const views = viewsOf(text);
    const found: Array<{ start: number; end: number; secret: string }> = [];
    // Which characters of the text a hit or a value shown raw already holds: a new hit must not overlap them. A mask
    // keeps that linear however many hits a large echoing body has.
    const taken = new Uint8Array(text.length);
    /** Claims the characters start..end of a view (mapped to the text) for a secret, unless something holds one. */
    const claim = (view: View, start: number, end: number, secret: string) => {
      const [from, to] = originalSpan(view, start, end);
      for (let at = from; at < to; at++) if (taken[at]) return;
      found.push({ start: from, end: to, secret });
      taken.fill(1, from, to);
    };
    for (const spelling of this.ordered) {
      const secret = this.canonical.get(spelling) ?? spelling;
      if (except.some((value) => value.includes(secret))) continue;
      for (const view of views) {
        for (let at = view.text.indexOf(spelling); at >= 0; at = view.text.indexOf(spelling, at + 1)) {
          // A short secret is a word of its own or nothing: "s3cr3" must not stub every word that contains it.
          if (spelling.length < MIN_KNOWN_LENGTH && !standsAlone(view.text, at, spelling.length)) continue;
          claim(view, at, at + spelling.length, secret);
        }
      }
    }
    // Where the values the user asked for raw are printed: a piece of another secret inside one is that value's own.
    for (const value of except)
      for (let at = text.indexOf(value); at >= 0 && value; at = text.indexOf(value, at + 1))
        taken.fill(1, at, at + value.length);
    // A cut-off echo: the secret's first characters and as many more as the text has, when they are most of it.
    for (const secret of this.prefixes) {
      if (except.some((value) => value.includes(secret))) continue;
      const anchor = secret.slice(0, TRUNCATED_ECHO);
      for (const view of views) {
        for (let at = view.text.indexOf(anchor); at >= 0; at = view.text.indexOf(anchor, at + 1)) {
          let length = anchor.length;
          while (length < secret.length && view.text[at + length] === secret[length]) length++;
          if (length * 2 < secret.length || !looksRandom(view.text.slice(at, at + length))) continue;
          claim(view, at, at + length, secret);
        }
      }
    }
    // An echo in pieces ("first part: Zq7Kp9Wm3Rt5Xb2 second part: Lc8Vn4…", or the halves of a secret a server split
    // over two lines): runs of the secret’s characters that together hold more than half of it.
    for (const secret of this.prefixes) {
      if (secret.length < FRAGMENTED_SECRET || except.some((value) => value.includes(secret))) continue;
      for (const view of views) {
        const runs = fragmentRuns(view.text, secret).filter((run) => looksRandom(view.text.slice(run.start, run.end)));
        const covered = new Set<number>();
        for (const run of runs) for (let at = run.from; at < run.to; at++) covered.add(at);
        if (covered.size * 2 <= secret.length) continue;
        for (const run of runs) claim(view, run.start, run.end, secret);
      }
    }
    if (found.length === 0) return text;
    let result = '';
    let last = 0;
    for (const hit of found.sort((a, b) => a.start - b.start)) {
      result += text.slice(last, hit.start) + stub(hit.secret);
      last = hit.end;
    }
    return result + text.slice(last);
  }

  /** What a request carries that is secret: credentials in its headers, secret parameters in a form body. */
  addFromRequest(headers: Record<string, string>, body: string | undefined, contentType: string | undefined): this {
    for (const [name, value] of Object.entries(headers)) {
      if (!isSecretHeader(name)) continue;
      const credential = /^(\S+)\s+(.+)$/.exec(value);
      // An API key's whole value is the secret, whatever it looks like.
      if (!credential || !SECRET_HEADERS.has(name.toLowerCase())) {
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
    for (const [name, member] of Object.entries(value))
      if (isSecretMember(name, value) && typeof member === 'string') this.add(member);
    return this;
  }

  private addDecodedBasic(encoded: string): void {
    const pair = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon < 0) return;
    this.add(safeDecode(pair.slice(colon + 1)));
  }

  /**
   * HTTP Basic client credentials (RFC 6749 §2.3.1): the base64 of the id and secret as each client library encodes
   * them (form-encoded, percent-encoded, percent-encoded strictly as oauth4webapi does, or raw), padded or not.
   */
  addBasic(clientId: string, secret: string): this {
    this.add(secret);
    for (const encode of [formEncode, encodeURIComponent, strictEncode, (text: string) => text]) {
      const encoded = Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64');
      for (const spelling of [encoded, encoded.replace(/=+$/, '')]) this.remember(spelling, encoded);
    }
    return this;
  }
}

const NAMED_REFERENCES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const JSON_ESCAPES: Record<string, string> = {
  '/': '/',
  '"': '"',
  '\\': '\\',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const PERCENT = /%([0-9a-fA-F]{2})/y;
const JSON_UNIT = /\\u([0-9a-fA-F]{4})/y;
const CHARACTER_REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));?/y;

/** A text to search, and for each of its characters the span of the original text it came from (none: the original). */
interface View {
  text: string;
  from?: number[];
  to?: number[];
}

/**
 * The text as printed, decoded once and again (a server that puts an encoded request into a URL encodes it twice), and
 * with its line breaks removed (base64 wrapped every 76 characters).
 */
function viewsOf(text: string): View[] {
  const views: View[] = [{ text }];
  let current: View = views[0]!;
  for (let depth = 0; depth < 3 && /[%\\&]/.test(current.text); depth++) {
    const next = decodeView(current);
    if (next.text === current.text) break;
    views.push(next);
    current = next;
  }
  if (/[\r\n]/.test(text))
    views.push(
      mapView({ text }, (emit) => {
        for (let index = 0; index < text.length; index++)
          if (text[index] !== '\n' && text[index] !== '\r') emit(text[index]!, index, index + 1);
      }),
    );
  return views;
}

/** Where the characters start..end of a view came from in the original text. */
function originalSpan(view: View, start: number, end: number): [number, number] {
  return [view.from ? view.from[start]! : start, view.to ? view.to[end - 1]! : end];
}

/** A new view of `view`, from what `build` emits: characters with their span in `view.text`, mapped to the original. */
function mapView(view: View, build: (emit: (chars: string, start: number, end: number) => void) => void): View {
  let out = '';
  const from: number[] = [];
  const to: number[] = [];
  build((chars, start, end) => {
    const [originalStart, originalEnd] = originalSpan(view, start, end);
    for (let index = 0; index < chars.length; index++) {
      from.push(originalStart);
      to.push(originalEnd);
    }
    out += chars;
  });
  return { text: out, from, to };
}

/**
 * Where in `text` runs of at least FRAGMENT consecutive characters of `secret` are: each with its span in the text
 * (start, end) and in the secret (from, to).
 */
function fragmentRuns(text: string, secret: string): Array<{ start: number; end: number; from: number; to: number }> {
  const runs: Array<{ start: number; end: number; from: number; to: number }> = [];
  if (text.length < FRAGMENT) return runs;
  const starts = new Map<string, number[]>();
  for (let at = 0; at + FRAGMENT <= secret.length; at++) {
    const gram = secret.slice(at, at + FRAGMENT);
    const list = starts.get(gram);
    if (list) list.push(at);
    else starts.set(gram, [at]);
  }
  for (let index = 0; index + FRAGMENT <= text.length; ) {
    const positions = starts.get(text.slice(index, index + FRAGMENT));
    if (!positions) {
      index++;
      continue;
    }
    let best = { length: 0, from: 0 };
    for (const from of positions) {
      let length = FRAGMENT;
      while (from + length < secret.length && text[index + length] === secret[from + length]) length++;
      if (length > best.length) best = { length, from };
    }
    runs.push({ start: index, end: index + best.length, from: best.from, to: best.from + best.length });
    index += best.length;
  }
  return runs;
}

/**
 * Whether a run of a secret's characters could be anything but words: a piece of a generated secret has a digit or a
 * capital in it, a run of lower-case letters and hyphens ("-client-secret-" of "my-client-secret-2024") may be the
 * tool's own text (--client-secret-file). Only the guesses (cut-off and pieces) ask; a whole secret is always found.
 */
function looksRandom(run: string): boolean {
  return /[0-9A-Z]/.test(run) || /[^A-Za-z0-9\s_-]/.test(run);
}

function standsAlone(text: string, at: number, length: number): boolean {
  return !/[A-Za-z0-9]/.test(text[at - 1] ?? '') && !/[A-Za-z0-9]/.test(text[at + length] ?? '');
}

/** The view with percent-encoding (UTF-8, either case of hex), JSON escapes and HTML character references decoded. */
function decodeView(view: View): View {
  const { text } = view;
  const at = (pattern: RegExp, index: number) => {
    pattern.lastIndex = index;
    return pattern.exec(text);
  };
  return mapView(view, (emit) => {
    for (let index = 0; index < text.length; ) {
      const char = text[index]!;
      if (char === '%') {
        const bytes: number[] = [];
        let end = index;
        for (
          let match = at(PERCENT, end);
          match && (bytes.length === 0 || (parseInt(match[1]!, 16) & 0xc0) === 0x80);
          match = at(PERCENT, end)
        ) {
          bytes.push(parseInt(match[1]!, 16));
          end += 3;
          if (bytes.length === utf8Length(bytes[0]!)) break;
        }
        if (bytes.length > 0 && bytes.length === utf8Length(bytes[0]!)) {
          emit(Buffer.from(bytes).toString('utf8'), index, end);
          index = end;
          continue;
        }
      } else if (char === '\\') {
        const unit = at(JSON_UNIT, index);
        if (unit) {
          emit(String.fromCharCode(parseInt(unit[1]!, 16)), index, index + 6);
          index += 6;
          continue;
        }
        const escapedChar = JSON_ESCAPES[text[index + 1] ?? ''];
        if (escapedChar) {
          emit(escapedChar, index, index + 2);
          index += 2;
          continue;
        }
      } else if (char === '&') {
        const reference = at(CHARACTER_REFERENCE, index);
        const point = reference
          ? reference[3]
            ? NAMED_REFERENCES[reference[3]]!.codePointAt(0)!
            : parseInt(reference[1] ?? reference[2]!, reference[1] ? 10 : 16)
          : -1;
        if (reference && point <= 0x10ffff) {
          emit(String.fromCodePoint(point), index, index + reference[0].length);
          index += reference[0].length;
          continue;
        }
      }
      emit(char, index, index + 1);
      index += 1;
    }
  });
}

/** How many bytes the UTF-8 sequence that starts with this byte has (0 for a byte that cannot start one). */
function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** The spellings of a secret a server may put into base64: as sent in a form or a query, or inside a JSON string. */
function encodings(secret: string): Set<string> {
  const json = JSON.stringify(secret).slice(1, -1);
  return new Set([
    secret,
    encodeURIComponent(secret),
    formEncode(secret),
    strictEncode(secret),
    json,
    json.replace(/\//g, '\\/'),
  ]);
}

/** RFC 3986 unreserved characters only, as oauth4webapi encodes a Basic credential's parts. */
function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[-_.!~*'()]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * What the secret is in base64 (and base64url) wherever it sits inside a longer base64 text: at each of the three byte
 * alignments, the characters that depend on the secret's bytes only.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores = new Set<string>();
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const total = offset + bytes.length;
    // Leading characters mix in the filler bytes, the last one the padding bits, unless the length divides by three.
    const core = encoded.slice([0, 2, 3][offset], total % 3 === 0 ? undefined : -1);
    if (core.length >= 8)
      for (const spelling of [core, core.replace(/\+/g, '-').replace(/\//g, '_')]) cores.add(spelling);
  }
  cores.delete(secret);
  return [...cores];
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
