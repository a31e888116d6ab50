// oauth4webapi speaks fetch; every byte still goes through src/http.ts (timeouts, caps, no redirects, traces).
import * as oauth from 'oauth4webapi';
import type { HttpClient, HttpMethod, HttpResponse } from '../net/http.js';
import { notJsonError, parseJsonResponse, statusError } from '../net/http-response.js';
import { isLoopbackHost } from '../net/url.js';
import { ENDPOINT_SETTINGS, endpointLabel } from './endpoints.js';
import { TOKEN_REJECTED_HINT } from './errors.js';
import { type DpopNonces, isUsableNonce } from './dpop.js';

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** A fetch for oauth4webapi's customFetch option; `purpose` names the endpoint in messages and traces. */
export function fetchThrough(http: HttpClient, purpose: (url: string) => string, nonces?: DpopNonces) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const what = purpose(url);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const method = httpMethod(init.method);
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const response = await http.request({
      url,
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      purpose: what,
    });
    // Redirects are never followed on OAuth endpoints, and a 5xx is no OAuth answer: say so in our words, with the
    // Location or a snippet, instead of letting the protocol library call the response "not conform".
    if ((response.status >= 300 && response.status < 400) || response.status >= 500) parseJsonResponse(response, what);
    const answerHeaders = { ...response.headers };
    // RFC 9449 §8: a nonce is sent back in every later proof; one that no proof can carry (control characters, a
    // megabyte) is dropped here, so the protocol library never caches it and the retry goes without it.
    const nonce = answerHeaders['dpop-nonce'];
    if (nonce !== undefined && !(nonces?.remember(url, nonce) ?? isUsableNonce(nonce)))
      delete answerHeaders['dpop-nonce'];
    // A challenge beside a success is no refusal: only an error status carries one (RFC 6750 §3).
    if (response.status < 400) delete answerHeaders['www-authenticate'];
    // A success labelled as something other than JSON: JSON is read as the JSON it is (servers mislabel it as
    // text/plain); anything else is said with its status and what it was, not as a complaint about a content-type.
    const type = answerHeaders['content-type'] ?? '';
    if (
      response.status >= 200 &&
      response.status < 300 &&
      response.body.length > 0 &&
      !/json|jwt/i.test(type) &&
      what !== 'revocation endpoint'
    ) {
      if (!isJsonObject(response.body)) throw notJsonError(response, what);
      answerHeaders['content-type'] = 'application/json';
    }
    if (response.status >= 400) {
      // A 4xx is an OAuth error only with an "error" member (RFC 6749 §5.2, RFC 6750 §3) or a challenge; a bare
      // status (an empty 403, an HTML page) keeps its status in the message instead of a complaint about the
      // content-type. An error object served as text/plain is still read as the error it is.
      // A resource endpoint (userinfo) has no OAuth error body to parse: whatever it says, its status is the answer.
      const challenged = response.status === 401 && answerHeaders['www-authenticate'] !== undefined;
      const resource = RESOURCE_ENDPOINTS.has(what);
      const oauthError = isOAuthError(response.body);
      if (!challenged && (resource || !oauthError)) throw rejection(response, what, resource);
      if (oauthError) {
        answerHeaders['content-type'] = 'application/json';
        // At the authorization server's own endpoints the body's error is the answer (invalid_grant is not
        // invalid_client); a challenge beside it (servers add Bearer or Basic ones) would hide it from the protocol library.
        if (!resource) delete answerHeaders['www-authenticate'];
      }
    }
    return new Response(NULL_BODY_STATUSES.has(response.status) ? null : new Uint8Array(response.body), {
      status: response.status,
      headers: answerHeaders,
    });
  };
}

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'HEAD', 'DELETE'];

/** The protocol library only sends GET and POST; anything else would be a request this tool never meant to make. */
function httpMethod(method: string | undefined): HttpMethod {
  const upper = (method ?? 'GET').toUpperCase();
  const known = METHODS.find((name) => name === upper);
  if (!known) throw new TypeError(`Unexpected HTTP method ${upper}`);
  return known;
}

function isJsonObject(body: Buffer): boolean {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

function isOAuthError(body: Buffer): boolean {
  try {
    const value = JSON.parse(body.toString('utf8')) as { error?: unknown } | null;
    return value !== null && typeof value === 'object' && typeof value.error === 'string';
  } catch {
    return false;
  }
}

const RESOURCE_ENDPOINTS = new Set(['userinfo endpoint']);

/** 401/403 from a resource endpoint means the access token was refused, with or without a body: exit 4. */
function rejection(response: HttpResponse, purpose: string, resource: boolean) {
  if (!resource || (response.status !== 401 && response.status !== 403)) return statusError(response, purpose);
  return statusError(response, purpose, 'TOKEN_REJECTED', TOKEN_REJECTED_HINT);
}

export interface ProtocolOptions {
  [oauth.customFetch]: ReturnType<typeof fetchThrough>;
  [oauth.allowInsecureRequests]?: boolean;
  signal?: AbortSignal;
  /** RFC 9449: every request the protocol library makes with these options carries a proof signed by this handle. */
  DPoP?: oauth.DPoPHandle;
}

/** Options for every oauth4webapi request against this server: our transport, http only where it is allowed. */
export function protocolOptions(
  http: HttpClient,
  as: oauth.AuthorizationServer,
  insecure: boolean,
  signal?: AbortSignal,
  dpop?: { handle: oauth.DPoPHandle; nonces: DpopNonces },
): ProtocolOptions {
  // The authorization endpoint is the browser's: no request of ours goes there.
  const names = ENDPOINT_SETTINGS.filter((name) => name !== 'authorization_endpoint').map(
    (name) => [name, endpointLabel(name)] as const,
  );
  // RFC 8705 §5: an endpoint's mutual-TLS alias is the same endpoint, named the same in messages and traces.
  const aliases: Partial<Record<string, unknown>> = as.mtls_endpoint_aliases ?? {};
  const labelled: ReadonlyArray<readonly [string, string]> = [
    ...names,
    ['pushed_authorization_request_endpoint', 'pushed authorization request endpoint'],
  ];
  const purpose = (url: string) =>
    labelled.find(([member]) => as[member] === url || aliases[member] === url)?.[1] ?? 'authorization server';
  const endpoints = names
    .flatMap(([member]) => [as[member], aliases[member]])
    .filter((value): value is string => typeof value === 'string');
  const allLoopback = [as.issuer, ...endpoints].every((value) => {
    try {
      return isLoopbackHost(new URL(value).hostname);
    } catch {
      return false;
    }
  });
  return {
    [oauth.customFetch]: fetchThrough(http, purpose, dpop?.nonces),
    ...(insecure || allLoopback ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(signal ? { signal } : {}),
    ...(dpop ? { DPoP: dpop.handle } : {}),
  };
}
