// The protected resource side of OAuth: what an API's 401/403 says (RFC 6750 §3, RFC 9110 §11.6.1 challenges) and
// where its metadata is and what it holds (RFC 9728). `oauth curl`, `oauth discover --resource` and `oauth check
// --resource` read APIs through this module only.
// The challenge parser is written here because oauth4webapi parses challenges only inside its own requests and does
// not export its parser; what we need is the header alone (a 401 to a request without a token, a 403 after one).
import { CliError, describeJsonType, isCliError } from '../errors.js';
import type { DocumentCache } from '../net/http-cache.js';
import type { HttpClient } from '../net/http.js';
import { parseJsonResponse } from '../net/http-response.js';
import { assertSecureUrl, serverUrl } from '../net/url.js';
import { redactText, redactUrl } from '../redact.js';

/** One challenge of a WWW-Authenticate header: its scheme in lower case, its parameters by lower-case name. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

/** What a Bearer (or DPoP) challenge says, by RFC 6750 §3 and RFC 9728 §5.1. */
export interface BearerChallenge {
  scheme: string;
  realm?: string;
  /** invalid_request, invalid_token, insufficient_scope (RFC 6750 §3.1), or another server's word. */
  error?: string;
  errorDescription?: string;
  errorUri?: string;
  /** The scopes the resource needs, space-separated (RFC 6750 §3). */
  scope?: string;
  /** Where the resource's RFC 9728 metadata is. */
  resourceMetadata?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;
const WHITESPACE = /^[ \t]*/;

/**
 * The challenges of a WWW-Authenticate header (RFC 9110 §11.6.1), or undefined when it does not follow the grammar
 * (a server's malformed header is said as such, not guessed at). A parameter given twice keeps its first value.
 */
export function parseChallenges(header: string): Challenge[] | undefined {
  const challenges: Challenge[] = [];
  let rest = header;
  const skip = (pattern: RegExp) => {
    rest = rest.slice(pattern.exec(rest)?.[0].length ?? 0);
  };
  // Bounded by the header's length: every turn consumes at least one character or returns.
  while (true) {
    skip(/^[ \t,]*/);
    if (rest === '') return challenges;
    const scheme = TOKEN.exec(rest)?.[0];
    if (!scheme) return undefined;
    rest = rest.slice(scheme.length);
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    if (rest === '' || /^[ \t]*,/.test(rest)) continue;
    if (!/^[ \t]/.test(rest)) return undefined;
    skip(WHITESPACE);
    const token68 = TOKEN68.exec(rest)?.[0];
    if (token68 && /^[ \t]*(?:,|$)/.test(rest.slice(token68.length)) && !isParameterStart(rest)) {
      challenge.token68 = token68;
      rest = rest.slice(token68.length);
      continue;
    }
    // auth-params, separated by commas, until something that is not one (the next challenge's scheme).
    while (isParameterStart(rest)) {
      const name = TOKEN.exec(rest)![0];
      rest = rest.slice(name.length);
      skip(WHITESPACE);
      rest = rest.slice(1);
      skip(WHITESPACE);
      let value: string;
      if (rest.startsWith('"')) {
        const quoted = readQuoted(rest);
        if (quoted === undefined) return undefined;
        value = quoted.value;
        rest = rest.slice(quoted.length);
      } else {
        const token = TOKEN.exec(rest)?.[0];
        if (token === undefined) return undefined;
        value = token;
        rest = rest.slice(token.length);
      }
      const key = name.toLowerCase();
      if (!Object.hasOwn(challenge.params, key)) challenge.params[key] = value;
      skip(WHITESPACE);
      if (rest === '') return challenges;
      if (!rest.startsWith(',')) return undefined;
      skip(/^[ \t,]*/);
    }
  }
}

/** `name =`: a parameter, not the scheme of the next challenge nor a token68. */
function isParameterStart(text: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=(?!=*[ \t]*(?:,|$))/.test(text);
}

/** A quoted-string at the start of `text`: its value (escapes undone) and how many characters it took. */
function readQuoted(text: string): { value: string; length: number } | undefined {
  let value = '';
  for (let index = 1; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\') {
      index++;
      if (index >= text.length) return undefined;
      value += text[index];
    } else if (char === '"') return { value, length: index + 1 };
    else value += char;
  }
  return undefined;
}

/** The Bearer (or DPoP) challenge of an answer's headers, if it has one. */
export function bearerChallenge(headers: Record<string, string>): BearerChallenge | undefined {
  const header = headers['www-authenticate'];
  if (header === undefined) return undefined;
  const challenge = parseChallenges(header)?.find(({ scheme }) => scheme === 'bearer' || scheme === 'dpop');
  if (!challenge) return undefined;
  const { params } = challenge;
  const result: BearerChallenge = { scheme: challenge.scheme === 'dpop' ? 'DPoP' : 'Bearer' };
  if (params.realm !== undefined) result.realm = params.realm;
  if (params.error !== undefined) result.error = params.error;
  if (params.error_description !== undefined) result.errorDescription = params.error_description;
  if (params.error_uri !== undefined) result.errorUri = params.error_uri;
  if (params.scope !== undefined) result.scope = params.scope;
  if (params.resource_metadata !== undefined) result.resourceMetadata = params.resource_metadata;
  return result;
}

/** RFC 9728 §2: the members this tool reads; the rest is kept as served. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  bearer_methods_supported?: string[];
  resource_name?: string;
  [member: string]: unknown;
}

/** A resource's identifier for a URL it serves: the URL without query and fragment (RFC 9728 §1.2, RFC 8707 §2). */
export function resourceIdentifier(url: URL): string {
  const identifier = new URL(url.href);
  identifier.search = '';
  identifier.hash = '';
  return identifier.href;
}

/** At most this many well-known URLs are tried for one resource: a long path does not make a long walk. */
const MAX_WELL_KNOWN_TRIES = 6;

/**
 * Where a resource's metadata may be (RFC 9728 §3.1): the well-known segment inserted between the host and the path,
 * then the same for each parent path up to the host's root (an API publishes the metadata of /api, and is called at
 * /api/orders/42), nearest first.
 */
export function wellKnownMetadataUrls(url: URL): URL[] {
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const urls: URL[] = [];
  for (let count = segments.length; count >= 0 && urls.length < MAX_WELL_KNOWN_TRIES - 1; count--) {
    const path = segments
      .slice(0, count)
      .map((segment) => `/${segment}`)
      .join('');
    urls.push(new URL(`/.well-known/oauth-protected-resource${path}`, url.origin));
  }
  const root = new URL('/.well-known/oauth-protected-resource', url.origin);
  if (urls.at(-1)?.href !== root.href) urls.push(root);
  return urls;
}

/**
 * Whether metadata naming `resource` may speak for `target`: the same origin, and the resource's path is the target's
 * path or a parent of it at a segment boundary. RFC 9728 §3.3 asks for the identical URL; real APIs name their root,
 * and draft-ietf-oauth-rfc9728bis (as the MCP clients) accepts a same-origin path prefix. Never another origin: that
 * is how a hostile API would borrow another resource's sign-in (RFC 9728 §7.3).
 */
export function resourceMatches(resource: string, target: URL): boolean {
  let named: URL;
  try {
    named = new URL(resource);
  } catch {
    return false;
  }
  if (named.hash || named.search || named.origin !== target.origin || named.username || named.password) return false;
  const base = segments(named.pathname.replace(/\/$/, ''));
  if (base?.length === 0) return true;
  // Compared as the API reads them, decoded: /api/..%2fevil is /evil to a server that decodes before it routes, so a
  // segment that decodes to a slash, a backslash or a dot segment is under no resource.
  const path = segments(target.pathname);
  if (base === undefined || path === undefined || path.length < base.length) return false;
  if (path.some((segment) => /[/\\]/.test(segment) || segment === '.' || segment === '..')) return false;
  return base.every((segment, index) => path[index] === segment);
}

/** A URL path's segments, decoded; undefined when one is not valid percent-encoding. */
function segments(pathname: string): string[] | undefined {
  try {
    return pathname === '' || pathname === '/' ? [] : pathname.slice(1).split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

export interface ResourceDeps {
  documents(): Promise<DocumentCache>;
  insecure: boolean;
}

export interface DiscoveredResource {
  metadata: ProtectedResourceMetadata;
  /** The URL the metadata came from. */
  url: string;
  source: 'challenge' | 'well-known';
}

/**
 * The metadata of the resource at `target`: from the URL a challenge gave, else from the well-known URLs. Its
 * `resource` must name the target (see resourceMatches; from a well-known URL, exactly the identifier the URL was made
 * from), or nothing in it is used: a resource's metadata that names another one is the server's error (exit 5).
 */
export async function discoverResource(
  target: URL,
  deps: ResourceDeps,
  options: {
    metadataUrl?: string;
    /** Ask the API again rather than use a cached document: after a 401, what the cache holds may be what failed. */
    fresh?: boolean;
  } = {},
): Promise<DiscoveredResource> {
  assertSecureUrl(target, deps.insecure, 'resource');
  const documents = await deps.documents();
  if (options.metadataUrl !== undefined) {
    const url = serverUrl(
      options.metadataUrl,
      'resource_metadata',
      deps.insecure,
      `the challenge of ${redactUrl(target.href)}`,
    );
    const metadata = await refusedUncached(documents, url, async () => {
      const found = parseMetadata(await fetchJson(documents, url, options.fresh === true), url.href);
      if (!resourceMatches(found.resource, target)) throw mismatch(found.resource, target, url.href);
      return found;
    });
    return { metadata, url: url.href, source: 'challenge' };
  }
  const tried: string[] = [];
  for (const url of wellKnownMetadataUrls(target)) {
    tried.push(url.href);
    const response = await documents.get(url.href, 'protected resource metadata', {
      forceRefresh: options.fresh === true,
    });
    if (response.status === 404) continue;
    const metadata = await refusedUncached(documents, url, async () => {
      const found = parseMetadata(parseJsonResponse(response, 'protected resource metadata'), url.href);
      const expected = identifierOfWellKnown(url);
      if (!sameIdentifier(found.resource, expected)) throw mismatch(found.resource, target, url.href, expected);
      return found;
    });
    return { metadata, url: url.href, source: 'well-known' };
  }
  throw new CliError(
    'DISCOVERY_FAILED',
    `No protected resource metadata for ${redactUrl(target.href)}: ${tried.join(' and ')} answered 404.`,
    {
      reason: 'no protected resource metadata',
      endpoint: 'protected resource metadata',
      status: 404,
      hint: 'The API does not publish RFC 9728 metadata: pass --issuer (and --resource) to sign in for it yourself.',
      details: { reason: 'HTTP_STATUS', tried },
    },
  );
}

/** The resource identifier a well-known URL was made from (RFC 9728 §3.1, undone). */
function identifierOfWellKnown(url: URL): string {
  return `${url.origin}${url.pathname.slice('/.well-known/oauth-protected-resource'.length) || '/'}`;
}

/** RFC 9728 §3.3 wants them identical; "https://api.example" and "https://api.example/" are one URL. */
function sameIdentifier(resource: string, expected: string): boolean {
  try {
    return new URL(resource).href === new URL(expected).href && !resource.includes('#');
  } catch {
    return false;
  }
}

/** A document this run refused is not served from the cache to the next run: a fixed API is asked again. */
async function refusedUncached<T>(documents: DocumentCache, url: URL, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    await documents.forget(url.href);
    throw error;
  }
}

async function fetchJson(documents: DocumentCache, url: URL, fresh: boolean): Promise<unknown> {
  return parseJsonResponse(
    await documents.get(url.href, 'protected resource metadata', { forceRefresh: fresh }),
    'protected resource metadata',
  );
}

/** The metadata as RFC 9728 §2 types it; a member of the wrong type is the server's error, named. */
export function parseMetadata(value: unknown, url: string): ProtectedResourceMetadata {
  const fail = (what: string) =>
    new CliError('METADATA_INVALID', `The protected resource metadata at ${redactUrl(url)} ${what}.`, {
      hint: 'The API’s metadata has to be fixed there; "oauth check --resource <url>" lists every problem in it.',
    });
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw fail(`is not a JSON object (${describeJsonType(value)})`);
  const metadata = value as Record<string, unknown>;
  if (typeof metadata.resource !== 'string' || metadata.resource === '')
    throw fail(`has no resource string (resource is ${describeJsonType(metadata.resource, { showValue: true })})`);
  for (const member of ['authorization_servers', 'scopes_supported', 'bearer_methods_supported']) {
    const list = metadata[member];
    if (list !== undefined && (!Array.isArray(list) || !list.every((item) => typeof item === 'string')))
      throw fail(`has a ${member} that is not a list of strings (${describeJsonType(list)})`);
  }
  return metadata as ProtectedResourceMetadata;
}

function mismatch(resource: string, target: URL, url: string, expected?: string): CliError {
  const named = JSON.stringify(redactText(resource.slice(0, 200)));
  const wanted = expected
    ? `, not ${JSON.stringify(expected)}`
    : ` for ${redactUrl(target.href)} (another origin, or not a parent path)`;
  return new CliError(
    'METADATA_INVALID',
    `The protected resource metadata at ${redactUrl(url)} names resource ${named}${wanted}; RFC 9728 §3.3 says such metadata must not be used.`,
    {
      reason: 'resource mismatch',
      endpoint: 'protected resource metadata',
      hint: 'The API’s metadata names another resource: fix its "resource", or sign in yourself with --issuer and --resource.',
      details: { reason: 'RESOURCE_MISMATCH', resource: redactText(resource.slice(0, 200)), url: redactUrl(url) },
    },
  );
}

/**
 * The metadata of a resource not called yet: at its well-known URLs, else where the challenge to a request without a
 * token points (RFC 9728 §5: a resource may publish it either way).
 */
export async function locateResource(
  target: URL,
  deps: ResourceDeps & { http(): Promise<HttpClient> },
): Promise<DiscoveredResource> {
  try {
    return await discoverResource(target, deps);
  } catch (error) {
    if (!isCliError(error) || error.code !== 'DISCOVERY_FAILED') throw error;
    const response = await (await deps.http()).request({ url: target, purpose: 'resource' });
    const metadataUrl = bearerChallenge(response.headers)?.resourceMetadata;
    if (metadataUrl === undefined) throw error;
    return discoverResource(target, deps, { metadataUrl });
  }
}
