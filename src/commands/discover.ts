// `oauth discover [issuer]`: the authorization server's metadata (OpenID Connect discovery, then RFC 8414).
import type { Context } from '../context.js';
import { Exit } from '../errors.js';
import { resolveServer } from '../oauth/server.js';
import { requireSetting } from './common.js';

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

export async function run(issuerArgument: string | undefined, ctx: Context): Promise<number> {
  const issuer = issuerArgument ?? (await requireSetting(ctx, 'issuer', undefined, 'Issuer URL'));
  const metadata = await resolveServer({ issuer, endpoints: {} }, { documents: () => ctx.documents(), insecure: ctx.insecure, signal: ctx.io.signal });
  if (ctx.out.json) {
    ctx.out.jsonResult(metadata);
    return Exit.ok;
  }
  const style = ctx.out.style;
  const lines = SHOWN.filter((name) => metadata[name] !== undefined).map((name) => {
    const value = metadata[name];
    return `${style.cyan(name.padEnd(46))} ${Array.isArray(value) ? value.join(' ') : String(value)}`;
  });
  const others = Object.keys(metadata).filter((name) => !SHOWN.includes(name));
  if (others.length) lines.push('', style.dim(`also: ${others.join(', ')} (see --json)`));
  ctx.out.result(lines.join('\n'));
  return Exit.ok;
}
