// The profile's session, fresh: the one way every command gets it (token, userinfo). Only the session of the issuer and
// client the settings name; refreshed at its own server, as its own client, under the profile's lock; an ID token the
// refresh returns is validated as at login before anything is saved.
import type { Context } from './context.js';
import { CliError, isCliError } from '../errors.js';
import { rotatedRefreshToken, withRotatedRefreshToken } from '../oauth/rotation.js';
import { stateDir } from '../settings/paths.js';
import {
  freshSession,
  withSessionLock,
  type FreshSession,
  type Refreshed,
  type Session,
  type SessionLockDeps,
} from '../oauth/session.js';
import type { SecretStore } from '../store/store.js';
import type { ClientFlags } from './common.js';
import type { Connection } from './shared/connect.js';
import { flowDeps } from './shared/flow-deps.js';
import { sessionOwner } from './stored-token.js';

export interface FreshProfileOptions {
  minTtlSeconds: number;
  force: boolean;
  /** Extra token-request parameters (resource, audience, --param). */
  parameters?: Record<string, string[]>;
  /** The connection to refresh through, when the command needs it afterwards too. */
  connect?: (session: Session) => Promise<Connection>;
}

/** How this run waits for a profile's session lock (refresh, sign-in, logout and revoke all take it). */
export function sessionLock(ctx: Context): SessionLockDeps {
  return {
    stateDir: stateDir(ctx.io.env),
    signal: ctx.io.signal,
    // The owner may need discovery, the token request and the key set, each up to --timeout: wait that long for it.
    lockWaitMs: () => 30_000 + 4 * ctx.timeoutMs(),
    onLockWait: (pid) => {
      if (ctx.out.verbosity > 0)
        ctx.out.trace(
          `waiting for another oauth process${pid ? ` (pid ${pid})` : ''} that is changing this profile's tokens`,
        );
    },
  };
}

/** Runs work under the profile's session lock. */
export function withProfileLock<T>(ctx: Context, profile: string, work: () => Promise<T>): Promise<T> {
  return withSessionLock(profile, sessionLock(ctx), work);
}

/** The profiles whose sessions may hold a token: every configured one, the default, and this run's. */
export function knownProfiles(ctx: Context): string[] {
  return [...new Set([ctx.profileName, 'default', ...Object.keys(ctx.config().profiles)])];
}

export function freshProfileSession(
  ctx: Context,
  flags: ClientFlags,
  tokens: SecretStore,
  options: FreshProfileOptions,
): Promise<FreshSession> {
  return freshSession(
    ctx.profileName,
    {
      store: tokens,
      ...sessionLock(ctx),
      ...(ctx.io.shield ? { shield: ctx.io.shield } : {}),
      nowSeconds: () => Math.floor(ctx.now() / 1000),
      refresh: async (current) => {
        // The protocol stack loads only when a refresh is due: a fresh token from the store needs none of it.
        const [{ connectForSession }, { idTokenIssuer }, { refresh }, { verifyIdToken }] = await Promise.all([
          import('./shared/connect.js'),
          import('../oauth/connect.js'),
          import('../oauth/grants.js'),
          import('../oauth/id-token.js'),
        ]);
        const connection = await (options.connect ?? ((session: Session) => connectForSession(ctx, flags, session)))(
          current,
        );
        ctx.knownSecrets.add(current.refresh_token!);
        let rotated: string | undefined;
        try {
          const response = await refresh(connection.protocol, current.refresh_token!, options.parameters ?? {});
          rotated = response.refresh_token;
          for (const secret of [response.access_token, response.refresh_token, response.id_token])
            if (typeof secret === 'string' && secret) ctx.knownSecrets.add(secret);
          const refreshed: Refreshed = { response };
          if (response.id_token) {
            ctx.knownSecrets.add(response.id_token);
            refreshed.idTokenClaims = await verifyIdToken(response.id_token, idTokenIssuer(connection), flowDeps(ctx));
          }
          return refreshed;
        } catch (error) {
          // An ID token refused on the way in (iss, aud, exp, nbf, signature): nothing was saved; say so, and what to do.
          if (!isCliError(error) || error.code !== 'ID_TOKEN_INVALID') throw withRotatedRefreshToken(error, rotated);
          throw withRotatedRefreshToken(
            new CliError(
              error.code,
              `The ID token from the refresh was refused: ${error.message.replace(/^The refresh failed: /, '').replace(/\.$/, '')}. The stored tokens were left as they were (only a new refresh token, if the server sent one, was kept).`,
              {
                hint: 'If the server or the account really changed, sign in again with "oauth login".',
                ...(error.details ? { details: error.details } : {}),
              },
            ),
            rotated ?? rotatedRefreshToken(error),
          );
        }
      },
    },
    { minTtlSeconds: options.minTtlSeconds, force: options.force, owner: sessionOwner(ctx, flags) },
  );
}
