// The audit: which rules apply to what was given, and the probes when asked. I/O comes in through deps.
import type { HttpClient } from '../net/http.js';
import { decodeToken } from '../jwt/decode.js';
import { CliError } from '../errors.js';
import { finding, type Finding } from './catalog.js';
import { checkClient, type ClientContext, isPublicClient, type ClientUnderTest } from './client.js';
import { checkClientDocument, checkClientIdUrl } from './client-document.js';
import { checkJwks } from './jwks.js';
import { checkMetadata } from './metadata.js';
import { type DpopProbeToken, probeDpopBinding } from './dpop-probe.js';
import { runProbes } from './probe.js';
import { checkRedirectUris } from './redirect-uris.js';
import { checkScopes } from './scopes.js';
import { checkAccessToken, checkOpaqueToken } from './token.js';

export interface AuditInput {
  issuer?: string | undefined;
  client?: ClientUnderTest | undefined;
  /** The client id is a URL: the client ID metadata document fetched there, or why it could not be. */
  clientDocument?: { url: string; document: unknown; error?: string } | undefined;
  scope?: string | undefined;
  /** Access tokens to look at (given with --token, or fetched with client credentials). */
  tokens: string[];
  maxTokenLifetimeSeconds: number;
  probe: boolean;
  /** The run binds its tokens with DPoP (a profile's dpop setting or --dpop). */
  dpop?: boolean | undefined;
  /** With probe: the DPoP-bound token the binding probe presents wrongly, or why there is none (how to get one). */
  dpopProbe?: DpopProbeToken | { skipped: string } | undefined;
}

export interface AuditDeps {
  fetchMetadata(issuer: string): Promise<Record<string, unknown>>;
  fetchJwks(url: string): Promise<unknown>;
  http(): Promise<HttpClient>;
  /** For the DPoP probe's proofs, and its other key's secrets. */
  nowSeconds: () => number;
  secrets: { add(secret: string): unknown };
}

export async function audit(input: AuditInput, deps: AuditDeps): Promise<Finding[]> {
  const findings: Finding[] = [];
  const metadata = input.issuer ? await deps.fetchMetadata(input.issuer) : undefined;
  if (metadata && input.issuer) {
    findings.push(
      ...checkMetadata(
        metadata,
        sameIssuer(String(metadata.issuer), input.issuer) ? String(metadata.issuer) : input.issuer,
      ),
    );
    if (typeof metadata.jwks_uri === 'string') {
      try {
        findings.push(...checkJwks(await deps.fetchJwks(metadata.jwks_uri), `the JWKS at ${metadata.jwks_uri}`));
      } catch (error) {
        findings.push(
          finding(
            'jwks-unavailable',
            metadata.jwks_uri,
            `The JWKS at ${metadata.jwks_uri} could not be used: ${(error as Error).message}`,
          ),
        );
      }
    }
  }
  if (input.clientDocument) {
    const { url, document, error } = input.clientDocument;
    findings.push(...checkClientIdUrl(url), ...checkClientDocument(url, document, error));
  }
  const client = input.client;
  if (client) {
    findings.push(...checkRedirectUris(client.redirect_uris));
    const pkceMethods = metadata
      ? ((metadata.code_challenge_methods_supported as string[] | undefined) ?? null)
      : undefined;
    findings.push(...checkClient(client, pkceMethods, clientContext(metadata, input.dpop === true)));
  }
  if (input.scope !== undefined) {
    const supported = Array.isArray(metadata?.scopes_supported) ? (metadata.scopes_supported as string[]) : undefined;
    findings.push(...checkScopes(input.scope, supported));
  }
  for (const token of input.tokens) {
    const opaque = checkOpaqueToken(token);
    if (opaque.length > 0) {
      findings.push(...opaque);
      continue;
    }
    const decoded = decodeToken(token);
    if (decoded.kind !== 'jws')
      throw new CliError(
        'TOKEN_ENCRYPTED',
        'The token to check is encrypted (JWE); only signed JWT access tokens can be checked.',
      );
    findings.push(
      ...checkAccessToken(decoded, {
        requestedScopes: input.scope?.split(/\s+/).filter(Boolean),
        maxLifetimeSeconds: input.maxTokenLifetimeSeconds,
      }),
    );
  }
  if (input.probe) {
    if (!metadata || !client?.client_id) {
      throw new CliError(
        'USAGE',
        '--probe needs the issuer and a client: --issuer, --client-id and --redirect-uri (or --client-file).',
      );
    }
    findings.push(
      ...(await runProbes(
        {
          authorizationEndpoint: metadata.authorization_endpoint as string | undefined,
          tokenEndpoint: metadata.token_endpoint as string | undefined,
          clientId: client.client_id,
          redirectUris: client.redirect_uris.filter((uri) =>
            checkRedirectUris([uri]).every((found) => found.severity !== 'error'),
          ),
          isPublic: isPublicClient(client),
          scope: input.scope,
          clientSecret: client.client_secret,
        },
        await deps.http(),
      )),
    );
    if (input.dpopProbe) findings.push(...(await dpopProbe(input.dpopProbe, metadata, deps)));
  }
  return findings;
}

async function dpopProbe(
  given: DpopProbeToken | { skipped: string },
  metadata: Record<string, unknown>,
  deps: AuditDeps,
): Promise<Finding[]> {
  const endpoint = metadata.userinfo_endpoint;
  const subject = typeof endpoint === 'string' ? endpoint : String(metadata.issuer);
  if ('skipped' in given) return [finding('probe-dpop-skipped', subject, given.skipped)];
  if (typeof endpoint !== 'string')
    return [
      finding(
        'probe-dpop-skipped',
        subject,
        'The server names no userinfo_endpoint, where the DPoP probe presents its token.',
      ),
    ];
  return probeDpopBinding(
    {
      userinfoEndpoint: endpoint,
      token: given,
      nowSeconds: deps.nowSeconds,
      secrets: deps.secrets,
    },
    await deps.http(),
  );
}

/** What the metadata offers a client; members of the wrong type offer nothing (server-metadata-type reports them). */
function clientContext(metadata: Record<string, unknown> | undefined, usesDpop: boolean): ClientContext {
  const list = (value: unknown) =>
    Array.isArray(value) && value.every((item): item is string => typeof item === 'string') ? value : undefined;
  const dpopAlgs = list(metadata?.dpop_signing_alg_values_supported);
  const authMethods = list(metadata?.token_endpoint_auth_methods_supported);
  return {
    serverOffersDpop: dpopAlgs !== undefined && dpopAlgs.length > 0,
    ...(authMethods ? { serverAuthMethods: authMethods } : {}),
    usesDpop,
  };
}

/** Issuers compare as URLs (so https://a and https://a/ are one); anything else must be identical (RFC 8414 §3.3). */
function sameIssuer(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

export function summarize(findings: Finding[]) {
  const count = (severity: string) => findings.filter((item) => item.severity === severity).length;
  return { error: count('error'), warn: count('warn'), info: count('info'), total: findings.length };
}

/** The findings counted, and whether they fail the run: any error, or any warning with --fail-on warn. */
export function verdict(findings: Finding[], failOn: string) {
  const summary = summarize(findings);
  return { summary, failed: summary.error > 0 || (failOn === 'warn' && summary.warn > 0) };
}
