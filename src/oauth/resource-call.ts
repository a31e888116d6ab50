// Calling a protected API as a client should (`oauth curl`): the profile's token in the Authorization header only, never
// in the URL; no redirect followed (the token goes only where the user pointed); on a 401 the API's RFC 9728 metadata
// says which authorization server to sign in at and for which resource (RFC 8707), on an insufficient_scope challenge
// which scopes are missing (RFC 6750 §3.1); after a sign-in the call is made again, once.
// The flow decides; signing in, choosing among servers and the token itself are the caller's (injected).
import { CliError, isCliError } from '../errors.js';
import type { DocumentCache } from '../net/http-cache.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../net/http.js';
import { serverUrl } from '../net/url.js';
import { redactUrl } from '../redact.js';
import {
  type BearerChallenge,
  bearerChallenge,
  type DiscoveredResource,
  discoverResource,
  parseChallenges,
} from './resource.js';
import type { DpopNonces } from './dpop.js';
import { scopeList, scopeUnion } from './scope.js';
import { sameIssuer } from './session.js';

export interface ApiRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  maxBytes: number;
  /** Where an answer's body may go as it arrives (see HttpRequest.sink). */
  sink?: HttpRequest['sink'];
}

/** The profile's access token, as the call needs it. */
export interface AccessToken {
  value: string;
  /** The token_type the server gave ("Bearer"). */
  type: string;
  issuer: string;
  /** Granted scopes, space-separated. */
  scope?: string | undefined;
  /** The resource indicators the session was signed in for (kept in a step-up). */
  resource: string[];
  /** A DPoP token's proof for one request (RFC 9449 §7.1): with ath, and the origin's nonce when there is one. */
  proof?: ((request: { url: URL; method: string; nonce: string | undefined }) => Promise<string>) | undefined;
}

/** A sign-in the call needs; the caller performs it, or refuses with the command that would (exit 4). */
export interface SignInPlan {
  /** 'resource': the API's metadata named the server and resource; 'step-up': more scopes for the same session. */
  reason: 'resource' | 'step-up';
  issuer: string;
  resource: string[];
  /** Scopes to ask for on top of what the sign-in asks anyway. */
  scope?: string | undefined;
  /** Step-up: the scopes the API wants that the session lacks. */
  missingScopes?: string[];
  /** The API refused the profile's token (a 401 to a call that carried one): its challenge, if it gave one. */
  rejected?: { error?: string | undefined; errorDescription?: string | undefined };
}

export interface ResourceCallDeps {
  http(): Promise<HttpClient>;
  documents(): Promise<DocumentCache>;
  insecure: boolean;
  /** The profile's fresh token for this URL, or undefined when it has none (or only one for another resource). */
  token(): Promise<AccessToken | undefined>;
  /**
   * Signs in as planned and answers true; answers false to decline a step-up (the refusal then stands, exit 3), and
   * throws to decline a sign-in for the resource (it says the command that would, exit 4).
   */
  signIn(plan: SignInPlan): Promise<boolean>;
  /** One of several authorization servers, picked by someone (a prompt); undefined when no one can answer. */
  chooseServer(servers: readonly string[]): Promise<string | undefined>;
  /** What the flow does on the way (discovery, the server chosen), for the user's stderr. */
  note(text: string): void;
  /** The run's DPoP nonces by origin (RFC 9449 §9). */
  dpopNonces?: DpopNonces | undefined;
}

export interface CallOptions {
  /** Discover the resource's metadata before the first call (--discover). */
  discover: boolean;
  /** The server to sign in at (--issuer): it must be one the API's metadata lists. */
  issuer?: string | undefined;
  /** The profile's server: chosen when the API lists it. */
  profileIssuer?: string | undefined;
}

export type Outcome = 'ok' | 'refused' | 'redirect' | 'status';

export interface CallResult {
  response: HttpResponse;
  outcome: Outcome;
  challenge?: BearerChallenge;
  /** The scopes an insufficient_scope challenge asked for that the token does not have. */
  missingScopes?: string[];
  /** The metadata, when the call discovered it. */
  discovered?: DiscoveredResource;
}

export async function callResource(
  request: ApiRequest,
  options: CallOptions,
  deps: ResourceCallDeps,
): Promise<CallResult> {
  // A header the user gave is theirs to send: no profile token, no sign-in.
  if (Object.keys(request.headers).some((name) => name.toLowerCase() === 'authorization'))
    return result(await send(request, undefined, deps));

  let token = await deps.token();
  let discovered: DiscoveredResource | undefined;
  if (options.discover) {
    discovered = await discover(request.url, undefined, deps);
    if (!token) {
      await signInForResource(discovered, options, deps);
      token = await deps.token();
    }
  }
  const first = await send(request, token, deps);
  if (first.status !== 401 && first.status !== 403) return result(first, discovered);

  const challenge = bearerChallenge(first.headers);
  const missing = token && challenge ? missingScopes(challenge, token) : [];
  if (token && challenge?.error === 'insufficient_scope' && missing.length > 0) {
    const signedIn = await deps.signIn({
      reason: 'step-up',
      issuer: token.issuer,
      resource: token.resource,
      scope: scopeUnion(token.scope, challenge.scope),
      missingScopes: missing,
    });
    if (!signedIn) return result(first, discovered, missing);
    return retry(request, deps, discovered);
  }
  if (first.status !== 401) return result(first, discovered, missing);

  try {
    discovered = await discover(request.url, challenge?.resourceMetadata, deps);
  } catch (error) {
    // With a token the API rejected and no metadata to sign in by, the rejection is the answer (exit 3).
    if (token && isCliError(error) && error.code === 'DISCOVERY_FAILED') return result(first, undefined, missing);
    if (!token && isCliError(error) && error.code === 'DISCOVERY_FAILED') throw noMetadata(request.url, error);
    throw error;
  }
  const rejected = token ? { error: challenge?.error, errorDescription: challenge?.errorDescription } : undefined;
  await signInForResource(discovered, options, deps, challenge?.scope, rejected);
  return retry(request, deps, discovered);
}

/** The call again, once, with the token of the sign-in just made; its answer is the last word. */
async function retry(
  request: ApiRequest,
  deps: ResourceCallDeps,
  discovered: DiscoveredResource | undefined,
): Promise<CallResult> {
  const token = await deps.token();
  const response = await send(request, token, deps);
  const challenge = bearerChallenge(response.headers);
  const missing =
    token && challenge?.error === 'insufficient_scope' && response.status >= 400 ? missingScopes(challenge, token) : [];
  return result(response, discovered, missing);
}

/**
 * RFC 9449 §9: a resource that wants a nonce answers 401 with a DPoP use_dpop_nonce challenge and a DPoP-Nonce header;
 * the call is made again once with it. A second such answer is the API's answer (said as the refusal it is).
 */
async function send(request: ApiRequest, token: AccessToken | undefined, deps: ResourceCallDeps) {
  const first = await sendOnce(request, token, deps);
  if (!token?.proof || first.status !== 401 || !asksForNonce(first.headers)) return first;
  // A body that went to its sink is already out: such a call is not made again (a sink takes only a 2xx's body).
  if (first.streamed !== undefined) return first;
  if (!deps.dpopNonces?.remember(request.url, first.headers['dpop-nonce'])) return first;
  return sendOnce(request, token, deps);
}

function asksForNonce(headers: Record<string, string>): boolean {
  const header = headers['www-authenticate'];
  const challenges = header === undefined ? undefined : parseChallenges(header);
  return (
    headers['dpop-nonce'] !== undefined &&
    (challenges ?? []).some(({ scheme, params }) => scheme === 'dpop' && params.error === 'use_dpop_nonce')
  );
}

async function sendOnce(request: ApiRequest, token: AccessToken | undefined, deps: ResourceCallDeps) {
  const http = await deps.http();
  const proof = token?.proof
    ? await token.proof({ url: request.url, method: request.method, nonce: deps.dpopNonces?.get(request.url) })
    : undefined;
  return http.request({
    url: request.url,
    method: request.method,
    headers: token
      ? {
          ...request.headers,
          authorization: `${scheme(token.type)} ${token.value}`,
          ...(proof ? { dpop: proof } : {}),
        }
      : request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    purpose: 'API',
    maxBytes: request.maxBytes,
    userData: true,
    ...(request.sink ? { sink: request.sink } : {}),
  });
}

/** RFC 6750 spells the scheme "Bearer"; a server's "bearer" token_type is the same scheme. */
function scheme(type: string): string {
  return /^bearer$/i.test(type) ? 'Bearer' : type;
}

function result(response: HttpResponse, discovered?: DiscoveredResource, missing: string[] = []): CallResult {
  const status = response.status;
  // A 304 is the answer to a conditional request (-H If-None-Match), not a failure: curl --fail too fails only from
  // 400. Only a 3xx with a Location points elsewhere; one without (300, 305) is a status like any other.
  const outcome: Outcome =
    (status >= 200 && status < 300) || status === 304
      ? 'ok'
      : status === 401 || status === 403
        ? 'refused'
        : status >= 300 && status < 400 && response.headers.location !== undefined
          ? 'redirect'
          : 'status';
  const challenge = outcome === 'refused' ? bearerChallenge(response.headers) : undefined;
  return {
    response,
    outcome,
    ...(challenge ? { challenge } : {}),
    ...(missing.length ? { missingScopes: missing } : {}),
    ...(discovered ? { discovered } : {}),
  };
}

async function discover(
  url: URL,
  metadataUrl: string | undefined,
  deps: ResourceCallDeps,
): Promise<DiscoveredResource> {
  const discovered = await discoverResource(
    url,
    { documents: deps.documents, insecure: deps.insecure },
    // Only a refusal (or --discover) brings us here: the cached metadata may be what sent us to the wrong server.
    { ...(metadataUrl !== undefined ? { metadataUrl } : {}), fresh: true },
  );
  deps.note(`The API's metadata (${redactUrl(discovered.url)}) names resource ${discovered.metadata.resource}.`);
  return discovered;
}

/**
 * Signs in at the server the metadata lists, for its resource, asking for the scopes the challenge named, else those
 * the metadata says the resource supports (as the MCP authorization spec chooses).
 */
async function signInForResource(
  discovered: DiscoveredResource,
  options: CallOptions,
  deps: ResourceCallDeps,
  challengeScope?: string,
  rejected?: SignInPlan['rejected'],
): Promise<void> {
  const issuer = await chooseServer(discovered, options, deps);
  const scope = challengeScope ?? discovered.metadata.scopes_supported?.join(' ');
  await deps.signIn({
    reason: 'resource',
    issuer,
    resource: [discovered.metadata.resource],
    ...(scope ? { scope } : {}),
    ...(rejected ? { rejected } : {}),
  });
}

/**
 * The authorization server to sign in at, of those the API lists: --issuer (which must be one of them), else the
 * profile's, else the only one, else whichever the user picks.
 */
export async function chooseServer(
  discovered: DiscoveredResource,
  options: CallOptions,
  deps: Pick<ResourceCallDeps, 'chooseServer' | 'insecure'>,
): Promise<string> {
  const listed = discovered.metadata.authorization_servers ?? [];
  const where = `the protected resource metadata at ${redactUrl(discovered.url)}`;
  if (listed.length === 0) {
    throw new CliError(
      'METADATA_INVALID',
      `The protected resource metadata at ${redactUrl(discovered.url)} lists no authorization server.`,
      {
        hint: 'The API has to list its authorization_servers (RFC 9728 §2); until then sign in yourself: oauth login --issuer <url> --resource <uri>.',
      },
    );
  }
  const find = (issuer: string | undefined) =>
    issuer === undefined ? undefined : listed.find((server) => sameIssuer(server, issuer));
  let chosen: string | undefined;
  if (options.issuer !== undefined) {
    chosen = find(options.issuer);
    if (chosen === undefined) {
      throw new CliError('USAGE', `--issuer ${options.issuer} is not an authorization server of this API.`, {
        hint: `It lists: ${listed.join(', ')}.`,
      });
    }
  } else {
    chosen = find(options.profileIssuer) ?? (listed.length === 1 ? listed[0] : await deps.chooseServer(listed));
  }
  if (chosen === undefined) {
    throw new CliError(
      'NOT_LOGGED_IN',
      // Whether or not the profile has a session: it is none of these servers', or the API would not ask.
      `The API needs a sign-in at one of the ${listed.length} authorization servers it accepts tokens from.`,
      {
        hint: `Pick one with --issuer: ${listed.join(', ')}.`,
      },
    );
  }
  // A server the API names is a URL from outside: the one URL policy applies before anything is sent there.
  serverUrl(chosen, 'authorization_servers', deps.insecure, where);
  return chosen;
}

function noMetadata(url: URL, cause: CliError): CliError {
  return new CliError(
    'NOT_LOGGED_IN',
    `Not signed in, and ${redactUrl(url.href)} publishes no protected resource metadata (RFC 9728) to say where to sign in.`,
    {
      cause,
      hint: 'Sign in for it yourself: oauth login --issuer <url> --resource <uri of the API>.',
    },
  );
}

/** RFC 6750 §3: the scopes the challenge names that the token was not granted. */
export function missingScopes(challenge: BearerChallenge, token: AccessToken): string[] {
  const granted = new Set(scopeList(token.scope));
  return scopeList(challenge.scope).filter((scope) => !granted.has(scope));
}
