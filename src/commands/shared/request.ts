// What a token or authorization request asks for beyond the client: scope, RFC 8707 resources, audiences, --param.
import { CliError } from '../../errors.js';
import type { Context } from '../context.js';
import type { RequestFlags } from './client-flags.js';

export function requestParameters(
  ctx: Context,
  flags: RequestFlags,
): { scope: string | undefined; parameters: Record<string, string[]>; resource: string[]; audience: string[] } {
  const resource = ctx.settings.resource?.value ?? [];
  const audience = ctx.settings.audience?.value ?? [];
  const parameters: Record<string, string[]> = {};
  for (const pair of flags.param ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError('USAGE', `--param needs name=value, not "${pair}".`);
    (parameters[pair.slice(0, at)] ??= []).push(pair.slice(at + 1));
  }
  if (resource.length) parameters.resource = resource;
  if (audience.length) parameters.audience = audience;
  return { scope: ctx.settings.scope?.value, parameters, resource, audience };
}
