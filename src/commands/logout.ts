// `oauth logout`: revoke at the server (when it can), then forget the tokens locally. The profile's settings stay.
import type { Context } from '../context.js';
import { Exit, asCliError, isCliError } from '../errors.js';
import { atTime } from '../jwt/time.js';
import { revoke } from '../oauth/grants.js';
import { forgetRevokedToken, ownerMismatch, parseSession, profileWhere, sessionKey } from '../session.js';
import { store, type ClientFlags } from './common.js';
import { connectForSession } from './connection.js';
import { rememberSecrets, sessionOwner } from './stored-token.js';

export async function run(flags: ClientFlags, ctx: Context): Promise<number> {
  const tokens = await store(ctx);
  const key = sessionKey(ctx.profileName);
  const session = parseSession(await tokens.get(key), profileWhere(ctx.profileName, tokens));
  // Tokens of another issuer or client than the one named are not this logout's to revoke or delete.
  const mismatch = session ? ownerMismatch(session, sessionOwner(ctx, flags)) : undefined;
  if (!session || mismatch) {
    const note = mismatch ? `${mismatch}; they were left as they are` : undefined;
    if (ctx.out.json) ctx.out.jsonResult({ profile: ctx.profileName, signed_in: false, revoked: [], deleted: false, ...(note ? { note } : {}) });
    else ctx.out.result(`Not signed in${ctx.profileName === 'default' ? '' : ` with profile "${ctx.profileName}"`}${mismatch ? ' for that server and client' : ''}; nothing to do.${note ? ` (${note.charAt(0).toUpperCase()}${note.slice(1)}.)` : ''}`);
    return Exit.ok;
  }
  rememberSecrets(ctx, session);
  const revoked: string[] = [];
  let failure: string | undefined;
  let note: string | undefined;
  try {
    const connection = await connectForSession(ctx, flags, session);
    if (connection.as.revocation_endpoint) {
      // The refresh token first: revoking it usually ends the whole grant (RFC 7009 §2.1).
      if (session.refresh_token) {
        await revoke(connection.protocol, session.refresh_token, 'refresh_token');
        revoked.push('refresh_token');
      }
      try {
        await revoke(connection.protocol, session.access_token, 'access_token');
        revoked.push('access_token');
      } catch (error) {
        // RFC 7009 §2.2.1: a server may not revoke some token types (oidc-provider: JWT access tokens).
        if (!(isCliError(error) && error.details?.error === 'unsupported_token_type')) throw error;
        note = `the server cannot revoke its access tokens (unsupported_token_type); the last one stays valid until it expires${session.expires_at ? ` ${atTime(session.expires_at, ctx.now() / 1000)}` : ''}`;
      }
    } else {
      failure = `${connection.as.issuer} has no revocation endpoint; the tokens stay valid there until they expire`;
    }
  } catch (error) {
    failure = `could not revoke at the server: ${asCliError(error).message.replace(/\.$/, '')}`;
  }
  await tokens.delete(key);
  for (const name of revoked) await forgetRevokedToken(tokens, ctx.profileName, name === 'refresh_token' ? session.refresh_token! : session.access_token);
  if (failure) ctx.out.warn(`${failure}.`);
  if (note) ctx.out.info(`note: ${note}.`);
  if (ctx.out.json) ctx.out.jsonResult({ profile: ctx.profileName, signed_in: false, revoked, deleted: true, ...(failure ? { warning: failure } : {}), ...(note ? { note } : {}) });
  else ctx.out.result(`Signed out of ${session.issuer} (profile ${ctx.profileName}): ${revoked.length ? `revoked the ${revoked.map((name) => name.replace('_', ' ')).join(' and ')} and ` : ''}deleted the local tokens.`);
  return Exit.ok;
}
