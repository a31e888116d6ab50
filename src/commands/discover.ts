// `oauth discover [issuer]`: the authorization server's metadata (OpenID Connect discovery, then RFC 8414); with
// --resource, an API's protected resource metadata (RFC 9728) first, then its authorization server's.
import type { Context } from './context.js';
import { CliError, Exit } from '../errors.js';
import { resolveServer } from '../oauth/server.js';
import { argument, defineCommand, option } from './define.js';
import { requireSetting } from './shared/prompt.js';
import { rememberProfileSecrets } from './shared/store.js';
import { parseUrl, serverUrl } from '../net/url.js';

const SHOWN = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'device_authorization_endpoint',
  'userinfo_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'jwks_uri',
  'scopes_supported',
  'grant_types_supported',
  'response_types_supported',
  'code_challenge_methods_supported',
  'token_endpoint_auth_methods_supported',
  'id_token_signing_alg_values_supported',
  'authorization_response_iss_parameter_supported',
];

export const command = defineCommand({
  name: 'discover',
  args: { issuer: argument('[issuer]', "the issuer URL (default: the profile's)") },
  flags: {
    issuer: option('--issuer <url>', 'the issuer URL, as for every other command (env OAUTH_ISSUER)'),
    resource: option(
      '--resource <url>',
      "an API's URL: its protected resource metadata (RFC 9728), then its authorization server's metadata",
    ),
  },
  examples: [
    'oauth discover https://id.example.com',
    'oauth discover --issuer https://id.example.com',
    'oauth discover --json | jq .grant_types_supported',
    'oauth discover --resource https://api.example.com/orders',
  ],
  run: ({ issuer }, flags, ctx) => run(issuer, flags, ctx),
});

async function run(
  issuerArgument: string | undefined,
  flags: { issuer?: string; resource?: string },
  ctx: Context,
): Promise<number> {
  if (flags.resource !== undefined) return runForResource(flags.resource, issuerArgument ?? flags.issuer, ctx);
  if (issuerArgument !== undefined && flags.issuer !== undefined && issuerArgument !== flags.issuer) {
    throw new CliError('USAGE', 'Give the issuer once: as the argument or with --issuer, not two different ones.');
  }
  const issuer = await requireSetting(ctx, 'issuer', issuerArgument ?? flags.issuer, 'Issuer URL');
  await rememberProfileSecrets(ctx);
  const metadata = await resolveServer(
    { issuer, endpoints: {} },
    { documents: () => ctx.documents(), insecure: ctx.insecure, signal: ctx.io.signal },
  );
  if (ctx.out.json) {
    ctx.out.jsonResult(metadata);
    return Exit.ok;
  }
  ctx.out.result(table(ctx, metadata, SHOWN));
  return Exit.ok;
}

/** The members worth a line each, then the names of the rest. */
function table(ctx: Context, metadata: Record<string, unknown>, shownFirst: readonly string[]): string[] {
  const style = ctx.out.style;
  const lines = shownFirst
    .filter((name) => metadata[name] !== undefined)
    .map((name) => `${style.cyan(name.padEnd(46))} ${shown(metadata[name])}`);
  const others = Object.keys(metadata).filter((name) => !shownFirst.includes(name));
  if (others.length) lines.push('', style.dim(`also: ${others.join(', ')} (see --json)`));
  return lines;
}

const RESOURCE_SHOWN = [
  'resource',
  'resource_name',
  'authorization_servers',
  'scopes_supported',
  'bearer_methods_supported',
  'resource_signing_alg_values_supported',
  'resource_documentation',
  'jwks_uri',
  'dpop_bound_access_tokens_required',
];

/**
 * The API's metadata, then the metadata of its authorization server: --issuer's when it is one the API lists, else
 * the first it lists.
 */
async function runForResource(resourceUrl: string, issuer: string | undefined, ctx: Context): Promise<number> {
  const { locateResource } = await import('../oauth/resource.js');
  const target = parseUrl(resourceUrl, '--resource');
  await rememberProfileSecrets(ctx);
  const found = await locateResource(target, {
    documents: () => ctx.documents(),
    http: () => ctx.http(),
    insecure: ctx.insecure,
  });
  const listed = found.metadata.authorization_servers ?? [];
  if (issuer !== undefined && listed.length > 0 && !listed.includes(issuer))
    throw new CliError(
      'USAGE',
      `--issuer ${issuer} is not one of the authorization servers ${found.metadata.resource} lists: ${listed.join(', ')}.`,
      { hint: 'Leave out --issuer to see the first one the API lists, or name one of those.' },
    );
  const chosen = issuer ?? listed[0];
  // An issuer the API names is the API's word: outside the URL policy, it is the API's error (exit 5), not the user's.
  if (issuer === undefined && chosen !== undefined)
    serverUrl(chosen, 'authorization_servers[0]', ctx.insecure, `the protected resource metadata at ${found.url}`);
  const metadata = chosen
    ? await resolveServer(
        { issuer: chosen, endpoints: {} },
        { documents: () => ctx.documents(), insecure: ctx.insecure, signal: ctx.io.signal },
      )
    : undefined;
  if (ctx.out.json) {
    ctx.out.jsonResult({
      resource_metadata_url: found.url,
      resource_metadata: found.metadata,
      ...(metadata ? { authorization_server: metadata } : {}),
    });
    return Exit.ok;
  }
  const style = ctx.out.style;
  const lines = [
    style.bold(`Protected resource (RFC 9728, from ${found.url})`),
    ...table(ctx, found.metadata, RESOURCE_SHOWN),
  ];
  if (metadata)
    lines.push(
      '',
      style.bold(
        `Authorization server ${metadata.issuer}${listed.length > 1 ? ` (the API lists ${listed.length}: --issuer picks one)` : ''}`,
      ),
      ...table(ctx, metadata, SHOWN),
    );
  ctx.out.result(lines);
  if (!metadata) ctx.out.warn(`${found.metadata.resource} names no authorization server (authorization_servers).`);
  return Exit.ok;
}

/** A list as "a, b, c", each item quoted when it has a space or a comma in it: "code id_token" is one response type. */
function shown(value: unknown): string {
  if (!Array.isArray(value)) return typeof value === 'string' ? value : JSON.stringify(value);
  return value
    .map((item) => (typeof item === 'string' && item !== '' && !/[\s,"]/.test(item) ? item : JSON.stringify(item)))
    .join(', ');
}
