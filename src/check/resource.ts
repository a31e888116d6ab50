// `oauth check --resource`: a protected resource's 401 challenge (RFC 6750 §3, RFC 9728 §5.1) and its RFC 9728
// metadata — that it names this resource, takes tokens only in the header, and that its authorization servers answer
// and (where they list their resources, RFC 9728 §4) list it. The challenge and the metadata are read by
// oauth/resource.ts, the one reader of both.
import { isCliError } from '../errors.js';
import type { HttpClient } from '../net/http.js';
import { isSecureUrl } from '../net/url.js';
import {
  bearerChallenge,
  type BearerChallenge,
  type DiscoveredResource,
  parseChallenges,
  type ProtectedResourceMetadata,
} from '../oauth/resource.js';
import { finding, type Finding } from './catalog.js';
import { checkScopes } from './scopes.js';

export interface ResourceCheckDeps {
  http: HttpClient;
  /** The resource's metadata, from the challenge's URL when there is one, else the well-known URLs. */
  discover(target: URL, metadataUrl: string | undefined): Promise<DiscoveredResource>;
  /** An authorization server's RFC 8414 / OpenID metadata. */
  fetchServerMetadata(issuer: string): Promise<Record<string, unknown>>;
  /** The user said --insecure: plain http to any host may be fetched. */
  insecure: boolean;
}

export interface ResourceCheckReport {
  url: string;
  status: number;
  challenge: BearerChallenge | null;
  metadataUrl?: string;
  metadata?: ProtectedResourceMetadata;
  findings: Finding[];
}

/** Each listed authorization server costs a discovery: a metadata listing hundreds is not asked about each. */
export const MAX_AUTHORIZATION_SERVERS = 5;

export async function checkResource(target: URL, deps: ResourceCheckDeps): Promise<ResourceCheckReport> {
  const findings: Finding[] = [];
  const url = target.href;
  const response = await deps.http.request({
    url: target,
    purpose: 'resource',
    headers: { accept: 'application/json' },
  });
  const header = response.headers['www-authenticate'];
  const challenge = bearerChallenge(response.headers) ?? null;
  const evidence = { request: `GET ${url} (no token)`, status: response.status, 'www-authenticate': header ?? null };
  if (response.status >= 200 && response.status < 300) {
    findings.push(
      finding('resource-unprotected', url, `HTTP ${response.status} to a request without any token.`, evidence),
    );
  } else if (response.status !== 401) {
    findings.push(
      finding(
        'resource-not-401',
        url,
        `HTTP ${response.status} to a request without any token (expected 401 with a Bearer challenge).`,
        evidence,
      ),
    );
  }
  if (header !== undefined && parseChallenges(header) === undefined) {
    findings.push(
      finding(
        'resource-challenge-malformed',
        url,
        'The WWW-Authenticate header does not parse as challenges.',
        evidence,
      ),
    );
  } else if (response.status === 401 && !challenge) {
    findings.push(
      finding(
        'resource-challenge-missing',
        url,
        header === undefined
          ? 'HTTP 401 without WWW-Authenticate.'
          : 'HTTP 401 whose WWW-Authenticate has no Bearer challenge.',
        evidence,
      ),
    );
  }
  if (challenge?.error !== undefined)
    findings.push(
      finding(
        'resource-challenge-error-without-token',
        url,
        `The challenge says error="${challenge.error}" to a request that carried no token.`,
        evidence,
      ),
    );
  if (challenge && challenge.resourceMetadata === undefined)
    findings.push(
      finding(
        'resource-challenge-no-metadata',
        url,
        'The Bearer challenge has no resource_metadata parameter.',
        evidence,
      ),
    );

  const report: ResourceCheckReport = { url, status: response.status, challenge, findings };
  let discovered: DiscoveredResource;
  try {
    discovered = await deps.discover(target, challenge?.resourceMetadata);
  } catch (error) {
    const found = metadataFailure(error, url, challenge?.resourceMetadata);
    if (!found) throw error;
    findings.push(found);
    return report;
  }
  const metadata = discovered.metadata;
  report.metadataUrl = discovered.url;
  report.metadata = metadata;
  findings.push(...(await checkMetadata(metadata, target, deps)));
  return report;
}

/** What a failure to read the metadata means, as a finding; undefined for a failure to reach the server at all. */
function metadataFailure(error: unknown, url: string, fromChallenge: string | undefined): Finding | undefined {
  if (!isCliError(error)) return undefined;
  if (error.details?.reason === 'RESOURCE_MISMATCH')
    return finding('resource-metadata-mismatch', url, error.message, {
      resource: error.details.resource,
      ...(error.details.url ? { metadata: error.details.url } : {}),
    });
  if (error.code === 'DISCOVERY_FAILED')
    return finding(
      'resource-metadata-missing',
      url,
      `No protected resource metadata: ${fromChallenge ? 'the challenge names none that answers, and ' : ''}every well-known URL answered 404.`,
      { tried: error.details?.tried ?? null },
    );
  // The URL itself is wrong (a scheme, host or form the URL policy refuses) or sends elsewhere: no document was read,
  // so the fix is the URL, not the document.
  if (
    error.code === 'HTTP_REDIRECT' ||
    (error.code === 'METADATA_INVALID' && error.details?.member === 'resource_metadata')
  )
    return finding('resource-metadata-url-invalid', fromChallenge ?? url, error.message, { code: error.code });
  if (error.code === 'METADATA_INVALID' || error.code === 'HTTP_STATUS' || error.code === 'PROTOCOL_ERROR')
    return finding('resource-metadata-invalid', fromChallenge ?? url, error.message);
  return undefined;
}

const mayFetch = (value: string, insecure: boolean): boolean => {
  try {
    return isSecureUrl(new URL(value), insecure);
  } catch {
    return false;
  }
};

/** https, or http to a loopback host: what the policy allows without --insecure. */
const isHttpsOrLoopback = (value: string): boolean => mayFetch(value, false);

/** Why a URL that is not https was (or was not) fetched: --insecure is named only when it would change that. */
function notHttpsWhy(value: string, fetched: boolean, insecure: boolean): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    return 'is not a URL, so it was not fetched';
  }
  if (protocol !== 'http:') return 'is not an http(s) URL, so it was not fetched (no other kind ever is)';
  if (fetched) return 'is not https';
  return insecure
    ? 'is not https, so it was not fetched'
    : 'is not https, so it was not fetched (--insecure fetches plain http from hosts that are not loopback)';
}

const sameUrl = (a: string, b: string): boolean => {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
};

async function checkMetadata(
  metadata: ProtectedResourceMetadata,
  target: URL,
  deps: ResourceCheckDeps,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const resource = metadata.resource;
  for (const value of [target.href, resource])
    if (!isHttpsOrLoopback(value))
      findings.push(finding('resource-not-https', value, `${value} is not https.`, { member: 'resource' }));
  const methods = metadata.bearer_methods_supported ?? [];
  if (methods.includes('query'))
    findings.push(
      finding('resource-bearer-methods-query', resource, `bearer_methods_supported is ${JSON.stringify(methods)}.`, {
        bearer_methods_supported: methods,
      }),
    );
  const scopes = metadata.scopes_supported ?? [];
  if (scopes.length > 0) findings.push(...checkScopes(scopes.join(' '), undefined));

  const servers = metadata.authorization_servers ?? [];
  if (servers.length === 0)
    findings.push(
      finding('resource-no-authorization-servers', resource, 'The metadata names no authorization server.'),
    );
  const offered = new Set<string>();
  let anyScopeList = false;
  for (const issuer of servers.slice(0, MAX_AUTHORIZATION_SERVERS)) {
    // A URL the resource handed over follows the URL policy: one it does not allow is a finding and is not fetched.
    const fetchable = mayFetch(issuer, deps.insecure);
    if (!isHttpsOrLoopback(issuer))
      findings.push(
        finding(
          'resource-not-https',
          issuer,
          `The authorization server ${issuer} ${notHttpsWhy(issuer, fetchable, deps.insecure)}.`,
          { member: 'authorization_servers' },
        ),
      );
    if (!fetchable) continue;
    let server: Record<string, unknown>;
    try {
      server = await deps.fetchServerMetadata(issuer);
    } catch (error) {
      if (!isCliError(error)) throw error;
      findings.push(
        finding(
          'resource-authorization-server-unreachable',
          issuer,
          `The authorization server ${issuer} has no usable metadata: ${error.message}`,
          { code: error.code },
        ),
      );
      continue;
    }
    const listed = server.protected_resources;
    if (Array.isArray(listed) && !listed.some((item) => typeof item === 'string' && sameUrl(item, resource)))
      findings.push(
        finding(
          'resource-not-listed-by-authorization-server',
          issuer,
          `The authorization server ${issuer} lists protected_resources without ${resource}.`,
          { protected_resources: listed.slice(0, 20) },
        ),
      );
    if (Array.isArray(server.scopes_supported)) {
      anyScopeList = true;
      for (const scope of server.scopes_supported) if (typeof scope === 'string') offered.add(scope);
    }
  }
  if (anyScopeList)
    for (const scope of scopes.filter((one) => !offered.has(one)))
      findings.push(
        finding(
          'resource-scope-not-offered',
          scope,
          `The resource lists scope ${JSON.stringify(scope)}, which none of its authorization servers offers.`,
        ),
      );
  return findings;
}
