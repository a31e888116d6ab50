// Authorization server metadata: OpenID Connect discovery first, then RFC 8414, through oauth4webapi (which builds the
// well-known URLs and insists the document's issuer is the one we asked for, RFC 8414 §3.3).
import * as oauth from 'oauth4webapi';
import { CliError, Exit, isCliError } from '../errors.js';
import { parseJsonResponse } from '../net/http-response.js';
import { assertSecureUrl, isLoopbackHost } from '../net/url.js';
import { checkMetadata } from './metadata.js';
import type { CachedResponse, DocumentCache } from '../net/http-cache.js';

export interface Discovery {
  metadata: oauth.AuthorizationServer;
  /** The URL the document came from. */
  url: string;
  fromCache: boolean;
}

interface DiscoveryDeps {
  cache: DocumentCache;
  insecure: boolean;
  signal?: AbortSignal | undefined;
}

/** The metadata, its issuer checked against the one asked for. */
export async function discover(issuer: URL, deps: DiscoveryDeps): Promise<Discovery> {
  // The user's issuer goes through the URL policy before any request, whichever command asks (exit 2, with the hint).
  assertSecureUrl(issuer, deps.insecure, 'issuer');
  let fetched: CachedResponse | undefined;
  try {
    const { response, last } = await fetchDocument(issuer, deps);
    fetched = last;
    const metadata = checkMetadata(
      await oauth.processDiscoveryResponse(issuer, response),
      deps.insecure,
      `the discovery document at ${last.url}`,
    );
    return { metadata, url: last.url, fromCache: last.fromCache };
  } catch (error) {
    // A document this run refused must not be served from the cache to the next one (fixed servers are asked again).
    if (fetched) await deps.cache.forget(fetched.url);
    throw explain(error, issuer);
  }
}

/** The metadata document as served, unchecked: for `oauth check`, which reports a wrong issuer as a finding. */
export async function fetchMetadata(
  issuer: URL,
  deps: DiscoveryDeps,
): Promise<{ metadata: Record<string, unknown>; url: string }> {
  try {
    const { last, value } = await fetchDocument(issuer, deps);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new CliError('DISCOVERY_FAILED', `The discovery document at ${last.url} is not a JSON object.`);
    }
    return { metadata: value as Record<string, unknown>, url: last.url };
  } catch (error) {
    throw explain(error, issuer);
  }
}

async function fetchDocument(
  issuer: URL,
  deps: DiscoveryDeps,
): Promise<{ response: Response; last: CachedResponse; value: unknown }> {
  const tried: string[] = [];
  let last: CachedResponse | undefined;
  const customFetch = async (url: string): Promise<Response> => {
    tried.push(url);
    last = await deps.cache.get(url, 'discovery document');
    // A stand-in Response for oauth4webapi; 1xx/204/304 statuses may not carry a body.
    const body = [101, 204, 205, 304].includes(last.status) ? null : new Uint8Array(last.body);
    return new Response(body, { status: last.status, headers: last.headers });
  };
  const options = {
    [oauth.customFetch]: customFetch,
    [oauth.allowInsecureRequests]: deps.insecure || isLoopbackHost(issuer.hostname),
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  let response = await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oidc' });
  if (response.status === 404) response = await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' });
  if (last!.status === 404) {
    throw new CliError(
      'DISCOVERY_FAILED',
      `No discovery document for ${issuer.href}: ${tried.join(' and ')} both answered 404.`,
      {
        hint: 'Check the issuer URL: it must be exactly the server’s, path and trailing slash included.',
        details: { reason: 'HTTP_STATUS', tried },
      },
    );
  }
  // Redirects, error statuses and HTML are explained here, before oauth4webapi sees the response.
  const value = parseJsonResponse(last!, 'discovery document');
  return { response, last: last!, value };
}

function explain(error: unknown, issuer: URL): CliError {
  if (isCliError(error)) {
    // Only the server's failures are the discovery's; the user's own settings (a proxy variable, a CA file) say so.
    if (error.exitCode !== Exit.remote || ['DISCOVERY_FAILED', 'METADATA_INVALID'].includes(error.code)) return error;
    return new CliError('DISCOVERY_FAILED', error.message, {
      ...error.facts,
      hint: error.hint,
      cause: error,
      details: { reason: error.code },
    });
  }
  if (error instanceof oauth.OperationProcessingError) {
    if (error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      const body = (error.cause as { body?: { issuer?: unknown } } | undefined)?.body;
      return new CliError(
        'DISCOVERY_FAILED',
        `The discovery document names issuer ${JSON.stringify(body?.issuer)}, not the requested ${JSON.stringify(issuer.href)}; RFC 8414 §3.3 requires them to be identical.`,
        {
          hint: 'Use the issuer exactly as the server states it, or fix the server’s configuration.',
          details: { reason: 'ISSUER_MISMATCH' },
        },
      );
    }
    return new CliError(
      'DISCOVERY_FAILED',
      `The discovery document for ${issuer.href} is not usable: ${error.message}.`,
      {
        details: { reason: error.code },
      },
    );
  }
  if (error instanceof TypeError && (error as { code?: string }).code === oauth.HTTP_REQUEST_FORBIDDEN) {
    return new CliError(
      'INSECURE_URL',
      `Refusing plain http for the issuer ${issuer.href}: only loopback hosts may use http.`,
      {
        hint: 'Use https, or pass --insecure if you really mean an unencrypted connection.',
      },
    );
  }
  throw error;
}
