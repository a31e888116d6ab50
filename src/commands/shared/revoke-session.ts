// Revoking a session's tokens at the server that issued them (RFC 7009), best effort: what `oauth logout` does, and
// what `oauth curl` does to the session a sign-in for another server replaced.
import { asCliError, isCliError, saidAfter } from '../../errors.js';
import { atTime } from '../../jwt/time.js';
import { revoke } from '../../oauth/grants.js';
import { forgetRevokedToken, type Session } from '../../oauth/session.js';
import type { Profile } from '../../settings/config.js';
import { resolveSettings } from '../../settings/settings.js';
import type { SecretStore } from '../../store/store.js';
import type { Context } from '../context.js';
import type { ClientFlags } from './client-flags.js';
import { connectForSession } from './connect.js';
import { knownProfiles } from './fresh-session.js';
import { sessionLock } from './lock-wait.js';

export interface Revocation {
  /** The token kinds revoked: refresh_token, access_token. */
  revoked: string[];
  /** Why nothing (or not all) could be revoked, in words. */
  failure: string | undefined;
  note: string | undefined;
}

/** Revokes the refresh token first (it usually ends the whole grant, RFC 7009 §2.1), then the access token. */
export async function revokeSession(ctx: Context, flags: ClientFlags, session: Session): Promise<Revocation> {
  const revoked: string[] = [];
  let failure: string | undefined;
  let note: string | undefined;
  try {
    const connection = await connectForSession(ctx, flags, session);
    if (connection.as.revocation_endpoint) {
      if (session.refresh_token) {
        await revoke(connection.protocol, session.refresh_token, 'refresh_token');
        revoked.push('refresh_token');
      }
      try {
        await revoke(connection.protocol, session.access_token, 'access_token');
        revoked.push('access_token');
      } catch (error) {
        // RFC 7009 §2.2.1: a server may not revoke some token types (oidc-provider: JWT access tokens).
        if (!(isCliError(error) && error.oauthError === 'unsupported_token_type')) throw error;
        note = `the server cannot revoke its access tokens (unsupported_token_type); the last one stays valid until it expires${session.expires_at ? ` ${atTime(session.expires_at, ctx.now() / 1000)}` : ''}`;
      }
    } else {
      failure = `${connection.as.issuer} has no revocation endpoint; the tokens stay valid there until they expire.`;
    }
  } catch (error) {
    failure = saidAfter('could not revoke at the server', asCliError(error));
  }
  return { revoked, failure, note };
}

/** A revoked token leaves every cache and profile that still holds it (each under its own lock). */
export async function forgetRevoked(
  ctx: Context,
  tokens: SecretStore,
  session: Session,
  revoked: readonly string[],
): Promise<void> {
  for (const name of revoked)
    await forgetRevokedToken(
      tokens,
      knownProfiles(ctx),
      name === 'refresh_token' ? session.refresh_token! : session.access_token,
      sessionLock(ctx),
    );
}

/** The settings that say who the client is and where: this run's belong to the new server, never the old one. */
const IDENTITY =
  /^OAUTH_(ISSUER|CLIENT_ID|CLIENT_SECRET|AUTH_METHOD|PRIVATE_KEY|SCOPE|AUDIENCE|RESOURCE|REDIRECT_URI|.*_ENDPOINT)$/;

/**
 * The session a sign-in replaced, revoked at its own server as the client the profile named before: the run's client
 * settings (flags, OAUTH_*) are the new server's, and its secret is never sent to another server.
 */
export function revokeReplacedSession(ctx: Context, session: Session, before: Profile | undefined) {
  const env = Object.fromEntries(Object.entries(ctx.io.env).filter(([name]) => !IDENTITY.test(name)));
  const settings = resolveSettings({
    flags: { timeout: ctx.options.timeout, caFile: ctx.options.caFile },
    env,
    profileName: ctx.profileName,
    profile: () => before,
    withoutUrlCredentials: ctx.withoutUrlCredentials,
  });
  const asBefore: Context = { ...ctx, io: { ...ctx.io, env }, settings, profile: () => before };
  return revokeSession(asBefore, {}, session);
}
