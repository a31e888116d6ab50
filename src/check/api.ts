// `oauth check --api`: does an API really validate tokens? A valid token must pass, then one request per token the
// API must refuse (each broken in exactly one way); every one it accepts is a finding. Only the given URL is asked,
// one request per case, in sequence; the HTTP client bounds each one and never follows a redirect.
import type { JWK } from 'jose';
import type { HttpClient, HttpResponse } from '../net/http.js';
import { CliError, isCliError } from '../errors.js';
import { bearerChallenge, parseChallenges, wellKnownMetadataUrls } from '../oauth/resource.js';
import { type Attacker, type Defect, mint, type MintClaims, type Minted, TENANT_CLAIMS } from '../serve/mint.js';
import { finding, type Finding, type RuleId } from './catalog.js';

export interface ApiCheckInput {
  url: string;
  method: 'GET' | 'POST' | 'HEAD';
  issuer: string;
  audience: string;
  /** Where the issuer and audience came from, in words ("from --issuer", "the default"): the inconclusive hint says it. */
  from?: { issuer: string; audience: string } | undefined;
  /** The scope the route requires: the valid token carries it, the missing-scope case lacks it. */
  scope?: string | undefined;
  clientId: string;
  /** Claims the valid token carries (--claim); a tenant claim among them adds the other-tenant case. */
  claims: Record<string, unknown>;
}

export interface ApiCheckDeps {
  http: HttpClient;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The issuer's private signing key (the local server's). */
  key: JWK;
  attacker: Attacker;
  /** Registers a token as a secret the moment it exists, so nothing printed shows it. */
  remember(token: string): void;
  /** Waits this long (a 429 or 503 with Retry-After); absent: never waits. */
  wait?(ms: number): Promise<void>;
  /** The longest Retry-After honoured, once per request (the run's timeout): a longer one leaves the case undecided. */
  maxRetryWaitMs?: number;
  /** The paths of the attacker's key host that were requested so far (absent: no key host runs). */
  fetchedFromKeyHost?: () => string[];
}

type Transport = 'header' | 'query';

interface Case {
  name: string;
  defect?: Defect;
  transport?: Transport;
  rule: RuleId;
}

const CASES: Case[] = [
  { name: 'expired', defect: 'expired', rule: 'api-accepts-expired' },
  { name: 'not-yet-valid', defect: 'not-yet-valid', rule: 'api-accepts-not-yet-valid' },
  { name: 'missing-exp', defect: 'missing-exp', rule: 'api-accepts-no-expiry' },
  { name: 'wrong-issuer', defect: 'wrong-issuer', rule: 'api-accepts-wrong-issuer' },
  { name: 'issuer-prefix', defect: 'issuer-prefix', rule: 'api-accepts-issuer-prefix' },
  { name: 'wrong-audience', defect: 'wrong-audience', rule: 'api-accepts-wrong-audience' },
  { name: 'missing-aud', defect: 'missing-aud', rule: 'api-accepts-no-audience' },
  { name: 'alg-none', defect: 'alg-none', rule: 'api-accepts-alg-none' },
  { name: 'hs256-with-public-key', defect: 'hs256-with-public-key', rule: 'api-accepts-hs256-public-key' },
  { name: 'known-kid-other-key', defect: 'known-kid-other-key', rule: 'api-accepts-forged-signature' },
  { name: 'jwk-header', defect: 'jwk-header', rule: 'api-trusts-jwk-header' },
  { name: 'jku-header', defect: 'jku-header', rule: 'api-trusts-jku-header' },
  { name: 'x5u-header', defect: 'x5u-header', rule: 'api-trusts-x5u-header' },
  { name: 'wrong-typ', defect: 'wrong-typ', rule: 'api-accepts-wrong-typ' },
  { name: 'id-token', defect: 'id-token', rule: 'api-accepts-id-token' },
  { name: 'missing-scope', defect: 'missing-scope', rule: 'api-accepts-missing-scope' },
  { name: 'other-tenant', defect: 'other-tenant', rule: 'api-accepts-other-tenant' },
  { name: 'query-string', transport: 'query', rule: 'api-accepts-query-token' },
  { name: 'dpop-bound', defect: 'dpop-bound', rule: 'api-accepts-dpop-without-proof' },
];

export interface CaseResult {
  name: string;
  /** null: no answer within the timeout, or the connection dropped. */
  status: number | null;
  accepted: boolean;
  /** Why the answer says nothing about the token (rate limit, unavailable, no answer): neither accepted nor refused. */
  undecided?: string;
  /** What the token was, in words (never the token). */
  reason: string;
}

export interface ApiCheckReport {
  url: string;
  /** The status of the request without a token and of the one with the valid token. */
  unauthenticated: { status: number; challenge: string | null };
  valid?: { status: number };
  cases: CaseResult[];
  skipped: Array<{ name: string; reason: string }>;
  /** Cases whose answer says nothing about the token, and why. */
  undecided: Array<{ name: string; why: string }>;
  findings: Finding[];
  /** Set when the API refused the valid token: no case was sent, and the run is inconclusive for this reason. */
  refusal?: CliError;
}

/**
 * Statuses that say nothing about the token — the API (or a gateway before it) is busy or down — so a case answered
 * with one is neither accepted nor refused.
 */
const NO_VERDICT: Readonly<Record<number, string>> = {
  408: 'request timeout',
  429: 'rate-limited',
  502: 'bad gateway',
  503: 'unavailable',
  504: 'gateway timeout',
};

/** Why an answer (undefined: none at all) decides nothing, or undefined when it decides. */
export function noVerdict(status: number | undefined): string | undefined {
  if (status === undefined) return 'no answer in time, or the connection dropped';
  const why = NO_VERDICT[status];
  return why ? `HTTP ${status}, ${why}` : undefined;
}

export async function checkApi(input: ApiCheckInput, deps: ApiCheckDeps): Promise<ApiCheckReport> {
  const findings: Finding[] = [];
  const send = async (token: string | undefined, transport: Transport = 'header') => {
    const response = await request(input, deps, token, transport);
    const waitMs = response.status === 429 || response.status === 503 ? retryAfterMs(response, deps.now()) : undefined;
    if (waitMs === undefined || !deps.wait || waitMs > (deps.maxRetryWaitMs ?? 0)) return response;
    await deps.wait(waitMs);
    return request(input, deps, token, transport);
  };

  const bare = await send(undefined);
  const unauthenticated = { status: bare.status, challenge: bare.headers['www-authenticate'] ?? null };
  if (isSuccess(bare.status)) {
    findings.push(
      finding(
        'api-unprotected',
        input.url,
        `${input.method} ${input.url} answered HTTP ${bare.status} without any token: the API does not require one here, so what it does with tokens tells nothing. No token was sent.`,
        { request: `${input.method} ${input.url} (no Authorization header)`, status: bare.status },
      ),
    );
    return { url: input.url, unauthenticated, cases: [], skipped: [], undecided: [], findings };
  }

  const claims: MintClaims = {
    issuer: input.issuer,
    subject: 'oauth-check',
    audience: input.audience,
    scope: input.scope ?? 'api:read',
    clientId: input.clientId,
    ttlSeconds: 300,
    typ: 'at+jwt',
    extra: input.claims,
  };
  const mintOne = async (defect: Defect | undefined): Promise<Minted> => {
    const minted = await mint(deps.key, claims, defect, Math.floor(deps.now() / 1000), deps.attacker);
    deps.remember(minted.token);
    return minted;
  };

  const valid = await mintOne(undefined);
  const validResponse = await send(valid.token);
  if (!isSuccess(validResponse.status))
    return {
      url: input.url,
      unauthenticated,
      valid: { status: validResponse.status },
      cases: [],
      skipped: [],
      undecided: [],
      findings: [],
      refusal: inconclusive(input, validResponse),
    };

  const skipped: ApiCheckReport['skipped'] = [];
  const undecided: ApiCheckReport['undecided'] = [];
  const cases: CaseResult[] = [];
  const serverErrors: string[] = [];
  const noChallenge: string[] = [];
  if (bare.status === 401 && !hasBearerChallenge(bare)) noChallenge.push('no token');
  else if (bare.status >= 500 && !noVerdict(bare.status)) serverErrors.push('no token');

  for (const item of CASES) {
    const reason = skipReason(item, input);
    if (reason) {
      skipped.push({ name: item.name, reason });
      continue;
    }
    const minted = item.transport === 'query' ? valid : await mintOne(item.defect);
    const described =
      item.transport === 'query'
        ? 'the valid token, sent as ?access_token= in the query string with no Authorization header'
        : minted.reason;
    const response = await answerOrSilence(() => send(minted.token, item.transport));
    const why = noVerdict(response?.status);
    if (why !== undefined) {
      cases.push({
        name: item.name,
        status: response?.status ?? null,
        accepted: false,
        undecided: why,
        reason: described,
      });
      undecided.push({ name: item.name, why });
      continue;
    }
    if (response === undefined) continue;
    const accepted = isSuccess(response.status);
    cases.push({ name: item.name, status: response.status, accepted, reason: described });
    if (accepted) {
      const found = finding(item.rule, input.url, `HTTP ${response.status} for a token it must refuse: ${described}.`, {
        request: `${input.method} ${input.url} (${item.transport === 'query' ? 'token in the query string' : 'Authorization: Bearer <token>'})`,
        status: response.status,
        token: tokenShape(minted.token),
      });
      findings.push(item.defect === 'dpop-bound' ? await dpopVerdict(found, input, deps, bare) : found);
    } else if (response.status >= 500) {
      serverErrors.push(item.name);
    } else if (response.status === 401 && !hasBearerChallenge(response)) {
      noChallenge.push(item.name);
    }
  }

  const fetched = deps.fetchedFromKeyHost?.() ?? [];
  for (const [member, url] of [
    ['jku', deps.attacker.jku],
    ['x5u', deps.attacker.x5u],
  ] as const) {
    const path = new URL(url).pathname;
    if (fetched.includes(path)) {
      findings.push(
        finding(
          'api-fetches-header-url',
          url,
          `The API fetched ${url}, the ${member} header of a token it was sent: it goes wherever a token tells it to.`,
          { header: member, url },
        ),
      );
    }
  }
  if (serverErrors.length > 0) {
    findings.push(
      finding(
        'api-refuses-with-server-error',
        input.url,
        `Refused, but with a server error (5xx), for: ${serverErrors.join(', ')}. It should be 401 with an RFC 6750 challenge.`,
        { cases: serverErrors },
      ),
    );
  }
  if (noChallenge.length > 0) {
    findings.push(
      finding(
        'api-401-without-challenge',
        input.url,
        `HTTP 401 without WWW-Authenticate: Bearer for: ${noChallenge.join(', ')}.`,
        { cases: noChallenge },
      ),
    );
  }
  return {
    url: input.url,
    unauthenticated,
    valid: { status: validResponse.status },
    cases,
    skipped,
    undecided,
    findings,
  };
}

/** A bad token that makes the API time out or drop the connection decides nothing; the valid token's is exit 5. */
async function answerOrSilence(send: () => Promise<HttpResponse>): Promise<HttpResponse | undefined> {
  try {
    return await send();
  } catch (error) {
    if (isCliError(error) && (error.code === 'HTTP_TIMEOUT' || error.code === 'HTTP_NETWORK')) return undefined;
    throw error;
  }
}

function skipReason(item: Case, input: ApiCheckInput): string | undefined {
  if (item.defect === 'missing-scope' && !input.scope)
    return 'no --scope given: the route\u2019s required scope is unknown';
  if (item.defect === 'other-tenant' && !TENANT_CLAIMS.some((name) => name in input.claims))
    return `no tenant claim given (--claim ${TENANT_CLAIMS[0]}=…; any of ${TENANT_CLAIMS.join(', ')})`;
  return undefined;
}

async function request(
  input: ApiCheckInput,
  deps: ApiCheckDeps,
  token: string | undefined,
  transport: Transport,
): Promise<HttpResponse> {
  const url = new URL(input.url);
  const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5' };
  if (token !== undefined && transport === 'query') url.searchParams.set('access_token', token);
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return deps.http.request({
    url,
    method: input.method,
    purpose: 'API',
    headers,
    // Only the status and headers decide a case: a big list endpoint (or a flawed API answering big bodies) is checked.
    oversize: 'truncate',
    ...(input.method === 'POST' ? { body: '' } : {}),
  });
}

/** Retry-After in milliseconds from now (RFC 9110 §10.2.3: seconds or an HTTP date); undefined when absent or bad. */
function retryAfterMs(response: HttpResponse, now: number): number | undefined {
  const value = response.headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/**
 * RFC 9449 §7.1: a resource that does not support DPoP may take a DPoP-bound token as a bearer token. Accepting one
 * without a proof is an error only for an API that says it does DPoP: a DPoP challenge to a request without a token,
 * or DPoP members in its RFC 9728 metadata at the well-known URL; otherwise a warning.
 */
async function dpopVerdict(found: Finding, input: ApiCheckInput, deps: ApiCheckDeps, bare: HttpResponse) {
  const challenged = parseChallenges(bare.headers['www-authenticate'] ?? '')?.some(({ scheme }) => scheme === 'dpop');
  const advertised = challenged ? 'its challenge uses the DPoP scheme' : await dpopMetadata(input, deps);
  if (advertised) return { ...found, message: `${found.message} The API advertises DPoP: ${advertised}.` };
  return {
    ...found,
    severity: 'warn' as const,
    message: `${found.message} The API does not advertise DPoP (no DPoP challenge, no DPoP members in RFC 9728 metadata), so it may be one that takes such tokens as bearer tokens (RFC 9449 §7.1).`,
  };
}

/** What the API's RFC 9728 metadata says about DPoP, in words, or undefined when it says nothing or is not there. */
async function dpopMetadata(input: ApiCheckInput, deps: ApiCheckDeps): Promise<string | undefined> {
  for (const url of wellKnownMetadataUrls(new URL(input.url))) {
    // Metadata that cannot be had (too big, refused, gone) advertises nothing; only a cancellation ends the run.
    const response = await deps.http
      .request({ url, method: 'GET', purpose: 'protected resource metadata', maxBytes: 64 * 1024 })
      .catch((error: unknown) => {
        if (isCliError(error) && error.code !== 'CANCELLED') return undefined;
        throw error;
      });
    if (!response || !isSuccess(response.status)) continue;
    let metadata: unknown;
    try {
      metadata = JSON.parse(response.body.toString('utf8'));
    } catch {
      return undefined;
    }
    if (metadata === null || typeof metadata !== 'object') return undefined;
    const { dpop_bound_access_tokens_required: required, dpop_signing_alg_values_supported: algs } = metadata as Record<
      string,
      unknown
    >;
    if (required === true) return `dpop_bound_access_tokens_required is true in ${url.href}`;
    if (Array.isArray(algs) && algs.length > 0) return `dpop_signing_alg_values_supported is in ${url.href}`;
    return undefined;
  }
  return undefined;
}

const hasBearerChallenge = (response: HttpResponse) => bearerChallenge(response.headers) !== undefined;

/** A token described by its header and the names (and a few telling values) of its claims: never the token. */
export function tokenShape(token: string): Record<string, unknown> {
  const [head = '', body = ''] = token.split('.');
  const parse = (part: string): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const header = parse(head);
  const payload = parse(body);
  const shownHeader: Record<string, unknown> = {};
  for (const name of ['alg', 'typ', 'kid', 'jku', 'x5u']) if (name in header) shownHeader[name] = header[name];
  if (header.jwk && typeof header.jwk === 'object') shownHeader.jwk = `{kty: ${String((header.jwk as JWK).kty)}, …}`;
  const shownClaims: Record<string, unknown> = {};
  for (const name of ['iss', 'aud', 'exp', 'nbf', 'scope', 'cnf', ...TENANT_CLAIMS])
    if (name in payload) shownClaims[name] = payload[name];
  return { header: shownHeader, claims: Object.keys(payload), values: shownClaims };
}

/** The API refused the valid token: nothing else it does means anything. Exit 5, with what it answered. */
function inconclusive(input: ApiCheckInput, response: HttpResponse): CliError {
  const challenge = response.headers['www-authenticate'];
  const snippet = response.body.subarray(0, 2048).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 300);
  const answer = [
    `HTTP ${response.status}`,
    challenge ? `WWW-Authenticate: ${challenge.slice(0, 300)}` : '',
    snippet ? `body: ${snippet}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const busy = noVerdict(response.status);
  const retryAfter = response.headers['retry-after'];
  // 404 and 405 are about the route, not the token: the issuer and audience hint would send the user the wrong way.
  const missing = response.status === 404 || response.status === 405;
  if (missing && !busy)
    return new CliError(
      'CHECK_INCONCLUSIVE',
      `Inconclusive: the API answered the valid token with ${answer}: ${response.status === 404 ? `there is no ${input.url}` : `${input.url} does not take ${input.method}`}, so no case was sent.`,
      {
        hint: `Check the URL and --method. For oauth serve: /api/orders takes GET and POST, and /lax-api/orders exists only while it runs with --lax-api.`,
        status: response.status,
        details: { status: response.status, 'www-authenticate': challenge?.slice(0, 300) ?? null, body: snippet },
      },
    );
  const hint = busy
    ? `The API is rate-limiting or unavailable (${busy}): its answer says nothing about the token. Run again later${retryAfter ? ` (it asked to wait: Retry-After ${retryAfter.slice(0, 40)})` : ''}, or against an instance that does not limit this client.`
    : response.status === 403
      ? 'The API knows the token but wants more: give the scope (--scope) or claims (--claim tid=…) the route requires.'
      : `The valid token carried iss ${input.issuer}${input.from ? ` (${input.from.issuer})` : ''} and aud ${input.audience}${input.from ? ` (${input.from.audience})` : ''}. Is the API configured to trust that issuer (its keys: ${input.issuer.replace(/\/+$/, '')}/jwks for oauth serve) and that audience? Give --issuer, --audience, --scope and --claim to match what it expects.`;
  return new CliError(
    'CHECK_INCONCLUSIVE',
    busy
      ? `Inconclusive: the API answered the valid token with ${answer}, which says nothing about tokens, so no case was sent.`
      : `Inconclusive: the API refused a valid token (${answer}), so its answers to bad tokens mean nothing.`,
    {
      hint,
      status: response.status,
      details: { status: response.status, 'www-authenticate': challenge?.slice(0, 300) ?? null, body: snippet },
    },
  );
}
