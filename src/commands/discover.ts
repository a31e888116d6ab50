// `oauth discover [issuer]`: the authorization server's metadata (OpenID Connect discovery, then RFC 8414).
import type { Context } from './context.js';
import { CliError, Exit } from '../errors.js';
import { resolveServer } from '../oauth/server.js';
import { argument, defineCommand, option } from './define.js';
import { requireSetting } from './shared/prompt.js';
import { rememberProfileSecrets } from './shared/store.js';

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
  flags: { issuer: option('--issuer <url>', 'the issuer URL, as for every other command (env OAUTH_ISSUER)') },
  examples: [
    'oauth discover https://id.example.com',
    'oauth discover --issuer https://id.example.com',
    'oauth discover --json | jq .grant_types_supported',
  ],
  run: ({ issuer }, flags, ctx) => run(issuer, flags, ctx),
});

async function run(issuerArgument: string | undefined, flags: { issuer?: string }, ctx: Context): Promise<number> {
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
  const style = ctx.out.style;
  const lines = SHOWN.filter((name) => metadata[name] !== undefined).map(
    (name) => `${style.cyan(name.padEnd(46))} ${shown(metadata[name])}`,
  );
  const others = Object.keys(metadata).filter((name) => !SHOWN.includes(name));
  if (others.length) lines.push('', style.dim(`also: ${others.join(', ')} (see --json)`));
  ctx.out.result(lines);
  return Exit.ok;
}

/** A list as "a, b, c", each item quoted when it has a space or a comma in it: "code id_token" is one response type. */
function shown(value: unknown): string {
  if (!Array.isArray(value)) return typeof value === 'string' ? value : JSON.stringify(value);
  return value
    .map((item) => (typeof item === 'string' && item !== '' && !/[\s,"]/.test(item) ? item : JSON.stringify(item)))
    .join(', ');
}
