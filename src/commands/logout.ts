// `oauth logout`: revoke at the server (when it can), then forget the tokens locally. The profile's settings stay.
import type { Context } from './context.js';
import { Exit, isCliError, sentence } from '../errors.js';
import { ownerMismatch, parseSession, profileWhere, sessionKey, type Session } from '../oauth/session.js';
import { defineCommand } from './define.js';
import { CLIENT_FLAGS } from './shared/client-flags.js';
import { assertSessionEndpoints } from './shared/connect.js';
import type { ClientFlags } from './shared/client-flags.js';
import { withProfileLock } from './shared/fresh-session.js';
import { forgetRevoked, revokeSession } from './shared/revoke-session.js';
import { store } from './shared/store.js';
import { rememberSecrets, sessionOwner } from './shared/stored-session.js';

type Outcome =
  | { kind: 'none'; mismatch: string | undefined }
  | { kind: 'corrupt'; problem: string }
  | { kind: 'done'; session: Session; revoked: string[]; failure: string | undefined; note: string | undefined };

export const command = defineCommand({
  name: 'logout',
  flags: CLIENT_FLAGS,
  examples: ['oauth logout', 'oauth logout --profile staging'],
  run: (_args, flags, ctx) => run(flags, ctx),
});

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
    const mismatch = session ? ownerMismatch(session, sessionOwner(ctx)) : undefined;
    if (!session || mismatch) return { kind: 'none', mismatch };
    rememberSecrets(ctx, session);
    // An endpoint the session was not signed in with is refused before anything is revoked or deleted.
    await assertSessionEndpoints(ctx, session);
    const { revoked, failure, note } = await revokeSession(ctx, flags, session);
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
  await forgetRevoked(ctx, tokens, session, revoked);
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
