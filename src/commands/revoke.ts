// `oauth revoke [token]`: RFC 7009. Without a token, the profile's refresh token (or access token) is revoked and the
// local tokens are forgotten, since they no longer work. A revoked token is dropped from every local cache.
import type { Context } from '../context.js';
import { CliError, Exit } from '../errors.js';
import { revoke } from '../oauth/grants.js';
import { stub } from '../redact.js';
import { forgetRevokedToken, sessionKey } from '../session.js';
import { store, type ClientFlags } from './common.js';
import { connect, connectForSession } from './connection.js';
import { sessionIfOwned, storedSession, tokenArgument } from './stored-token.js';

export interface RevokeFlags extends ClientFlags {
  tokenTypeHint?: string;
}

export async function run(argument: string | undefined, flags: RevokeFlags, ctx: Context): Promise<number> {
  const hint = typeHint(flags.tokenTypeHint);
  const given = await tokenArgument(ctx, argument);
  const tokens = await store(ctx);
  const session = given ? undefined : await storedSession(ctx, tokens, flags);
  const token = given ?? session!.refresh_token ?? session!.access_token;
  const kind = given ? hint : session!.refresh_token ? 'refresh_token' : 'access_token';
  // A token given to a profile's client is revoked with what the sign-in stored for it (a confidential client's secret).
  const connection = await (session ? connectForSession(ctx, flags, session) : connect(ctx, flags, { session: await sessionIfOwned(ctx, tokens, flags) }));
  await revoke(connection.protocol, token, kind);
  const dropped = session ? [] : await forgetRevokedToken(tokens, ctx.profileName, token);
  if (session) {
    await tokens.delete(sessionKey(ctx.profileName));
    dropped.push(`the local tokens of profile ${ctx.profileName}`);
  }
  if (ctx.out.json) {
    ctx.out.jsonResult({ revoked: true, token: stub(token), ...(kind ? { token_type_hint: kind } : {}), local_tokens_deleted: session !== undefined, dropped_locally: dropped });
  } else {
    ctx.out.result(`Revoked ${kind ? kind.replace('_', ' ') : 'token'} ${stub(token)} at ${connection.as.issuer}.${dropped.length ? ` Dropped ${dropped.join(' and ')}.` : ''}`);
  }
  return Exit.ok;
}

export function typeHint(value: string | undefined): 'access_token' | 'refresh_token' | undefined {
  if (value === undefined) return undefined;
  if (value === 'access_token' || value === 'refresh_token') return value;
  throw new CliError('USAGE', `--token-type-hint must be access_token or refresh_token, not "${value}".`);
}
