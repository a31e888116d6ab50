// The authorization server's metadata: discovered, or assembled from explicit endpoints for servers without discovery.
import type { AuthorizationServer } from 'oauth4webapi';
import { CliError } from '../errors.js';
import type { DocumentCache } from '../net/http-cache.js';
import { assertSecureUrl, parseUrl } from '../net/url.js';
import { discover } from './discovery.js';
import type { EndpointSetting } from './endpoints.js';

export { ENDPOINT_SETTINGS, type EndpointSetting } from './endpoints.js';

export interface ServerSettings {
  issuer: string | undefined;
  endpoints: Partial<Record<EndpointSetting, string>>;
}

export async function resolveServer(
  settings: ServerSettings,
  deps: { documents: () => Promise<DocumentCache>; insecure: boolean; signal?: AbortSignal },
): Promise<AuthorizationServer> {
  const explicit = Object.entries(settings.endpoints).filter(([, value]) => value);
  for (const [name, value] of explicit)
    assertSecureUrl(parseUrl(value!, name.replace(/_/g, ' ')), deps.insecure, name.replace(/_/g, ' '));
  if (settings.endpoints.token_endpoint) {
    // No discovery: the server is what the flags say it is.
    const issuer = settings.issuer ?? new URL(settings.endpoints.token_endpoint).origin;
    return { issuer, ...Object.fromEntries(explicit) } as AuthorizationServer;
  }
  if (!settings.issuer) {
    throw new CliError('USAGE', 'No issuer given.', {
      hint: 'Pass --issuer <url> (or set OAUTH_ISSUER, or a profile), or give the endpoints with --token-endpoint and friends.',
    });
  }
  const issuerUrl = parseUrl(settings.issuer, 'issuer');
  assertSecureUrl(issuerUrl, deps.insecure, 'issuer');
  const { metadata } = await discover(issuerUrl, {
    cache: await deps.documents(),
    insecure: deps.insecure,
    signal: deps.signal,
  });
  // Explicit endpoints override discovered ones (e.g. an introspection endpoint the metadata does not list).
  return { ...metadata, ...Object.fromEntries(explicit) } as AuthorizationServer;
}

export function requireEndpoint(as: AuthorizationServer, name: EndpointSetting, flag: string): string {
  const value = as[name];
  if (typeof value === 'string' && value) return value;
  const endpoint = name.replace(/_/g, ' ');
  throw new CliError(
    'USAGE',
    `The authorization server ${as.issuer} does not advertise ${/^[aeiou]/.test(endpoint) ? 'an' : 'a'} ${endpoint}.`,
    {
      hint: `Give it with --${flag} <url> if the server has one.`,
    },
  );
}
