// `oauth logout`: revoke at the server (when it can), then forget the tokens locally. The profile's settings stay.
import type { Context } from './context.js';
import { Exit, asCliError, isCliError, saidAfter, sentence } from '../errors.js';
import { atTime } from '../jwt/time.js';
import { revoke } from '../oauth/grants.js';
import {
  forgetRevokedToken,
  ownerMismatch,
  parseSession,
  profileWhere,
  sessionKey,
  type Session,
} from '../oauth/session.js';
import { assertSessionEndpoints, connectForSession } from './shared/connect.js';
import type { ClientFlags } from './shared/client-flags.js';
import { knownProfiles, sessionLock, withProfileLock } from './shared/fresh-session.js';
import { store } from './shared/store.js';
import { rememberSecrets, sessionOwner } from './shared/stored-session.js';

type Outcome =
  | { kind: 'none'; mismatch: string | undefined }
  | { kind: 'corrupt'; problem: string }
  | { kind: 'done'; session: Session; revoked: string[]; failure: string | undefined; note: string | undefined };

export async function run(flags: ClientFlags, ctx: Context): Promise<number> {
  const tokens = await store(ctx);
  const key = sessionKey(ctx.profileName);
  const where = profileWhere(ctx.profileName, tokens);
  // Under the profile's session lock: a refresh in flight finishes first, and what it saved is what is revoked and
  // deleted here — it cannot bring the session back afterwards.
  const outcome = await withProfileLock(ctx, ctx.profileName, async (): Promise<Outcome> => {
    let session: Session | undefined;
    try {
      session = parseSession(await tokens.get(key), where);
    } catch (error) {
      // Nothing in a corrupt entry can be revoked, and nothing can use it: signing out means dropping it.
      if (!isCliError(error) || error.code !== 'STORE_CORRUPT') throw error;
      await tokens.delete(key);
      return { kind: 'corrupt', problem: error.reason ?? 'they cannot be read' };
    }
    // Tokens of another issuer or client than the one named are not this logout's to revoke or delete.
    const mismatch = session ? ownerMismatch(session, sessionOwner(ctx, flags)) : undefined;
    if (!session || mismatch) return { kind: 'none', mismatch };
    rememberSecrets(ctx, session);
    // An endpoint the session was not signed in with is refused before anything is revoked or deleted.
    await assertSessionEndpoints(ctx, flags, session);
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
          if (!(isCliError(error) && error.oauthError === 'unsupported_token_type')) throw error;
          note = `the server cannot revoke its access tokens (unsupported_token_type); the last one stays valid until it expires${session.expires_at ? ` ${atTime(session.expires_at, ctx.now() / 1000)}` : ''}`;
        }
      } else {
        failure = `${connection.as.issuer} has no revocation endpoint; the tokens stay valid there until they expire.`;
      }
    } catch (error) {
      failure = saidAfter('could not revoke at the server', asCliError(error));
    }
    await tokens.delete(key);
    return { kind: 'done', session, revoked, failure, note };
  });

  const profile = ctx.profileName === 'default' ? '' : ` with profile "${ctx.profileName}"`;
  if (outcome.kind === 'corrupt') {
    const what = `the stored tokens of ${where} are corrupt: ${outcome.problem}; deleted them (nothing could be revoked at the server)`;
    if (ctx.out.json)
      ctx.out.jsonResult({
        profile: ctx.profileName,
        signed_in: false,
        revoked: [],
        deleted: true,
        warning: sentence(what),
      });
    else ctx.out.result(`Signed out${profile}: ${what}.`);
    return Exit.ok;
  }
  if (outcome.kind === 'none') {
    const note = outcome.mismatch ? `${outcome.mismatch}; they were left as they are` : undefined;
    if (ctx.out.json)
      ctx.out.jsonResult({
        profile: ctx.profileName,
        signed_in: false,
        revoked: [],
        deleted: false,
        ...(note ? { note } : {}),
      });
    else
      ctx.out.result(
        `Not signed in${profile}${note ? ' for that server and client' : ''}; nothing to do.${note ? ` (${sentence(note)})` : ''}`,
      );
    return Exit.ok;
  }
  const { session, revoked, failure, note } = outcome;
  // A revoked token leaves every cache and profile that still holds it (each under its own lock, this one released).
  for (const name of revoked)
    await forgetRevokedToken(
      tokens,
      knownProfiles(ctx),
      name === 'refresh_token' ? session.refresh_token! : session.access_token,
      sessionLock(ctx),
    );
  if (failure) ctx.out.warn(failure);
  if (note) ctx.out.info(`note: ${note}.`);
  if (ctx.out.json)
    ctx.out.jsonResult({
      profile: ctx.profileName,
      signed_in: false,
      revoked,
      deleted: true,
      ...(failure ? { warning: failure } : {}),
      ...(note ? { note } : {}),
    });
  else
    ctx.out.result(
      `Signed out of ${session.issuer} (profile ${ctx.profileName}): ${revoked.length ? `revoked the ${revoked.map((name) => name.replace('_', ' ')).join(' and ')} and ` : ''}deleted the local tokens.`,
    );
  return Exit.ok;
}
