// The profile's session, fresh: the one way every command gets it (token, userinfo). Only the session of the issuer and
// client the settings name; refreshed at its own server, as its own client, under the profile's lock (see
// src/oauth/refresh.ts for the refresh itself).
import type { Connection } from '../../oauth/connect.js';
import {
  assertSessionCertificate,
  freshSession,
  withSessionLock,
  type FreshSession,
  type Session,
} from '../../oauth/session.js';
import { sessionLock } from './lock-wait.js';
import type { SecretStore } from '../../store/store.js';
import type { Context } from '../context.js';
import type { ClientFlags } from './client-flags.js';
import { idTokenDeps } from './id-token-deps.js';
import { sessionOwner } from './stored-session.js';
import type { DpopAlg } from '../../oauth/dpop.js';
import { newDpopKey } from './dpop.js';

export interface FreshProfileOptions {
  minTtlSeconds: number;
  force: boolean;
  /** Extra token-request parameters (resource, audience, --param). */
  parameters?: Record<string, string[]>;
  /** The connection to refresh through, when the command needs it afterwards too. */
  connect?: (session: Session) => Promise<Connection>;
  /** RFC 9449: a refresh of a session without a DPoP key binds the new tokens to a new key made with this alg. */
  dpopAlg?: DpopAlg | undefined;
}

/** Runs work under the profile's session lock. */
export function withProfileLock<T>(ctx: Context, profile: string, work: () => Promise<T>): Promise<T> {
  return withSessionLock(profile, sessionLock(ctx), work);
}

/** The profiles whose sessions may hold a token: every configured one, the default, and this run's. */
export function knownProfiles(ctx: Context): string[] {
  return [...new Set([ctx.profileName, 'default', ...Object.keys(ctx.config().profiles)])];
}

export async function freshProfileSession(
  ctx: Context,
  flags: ClientFlags,
  tokens: SecretStore,
  options: FreshProfileOptions,
): Promise<FreshSession> {
  const fresh = await freshSessionOf(ctx, flags, tokens, options);
  // A certificate-bound token (RFC 8705) presented over TLS with another certificate, or none, is refused: said
  // before it is.
  const bound = fresh.session.cert_thumbprint;
  const presented = bound ? (await ctx.clientCertificate())?.thumbprint : undefined;
  if (bound && presented !== bound)
    ctx.out.warn(
      `The session of profile "${ctx.profileName}" is bound to the client certificate whose x5t#S256 is ${bound}; this run presents ${presented ? `another one (${presented})` : 'none'}, so servers will refuse its tokens. Pass the same --cert and --key as at sign-in.`,
    );
  return fresh;
}

function freshSessionOf(
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
        const [{ connectForSession }, { refreshSession }] = await Promise.all([
          import('./connect.js'),
          import('../../oauth/refresh.js'),
        ]);
        const bindNow = options.dpopAlg !== undefined && !current.dpop_jwk;
        const connection = bindNow
          ? await connectForSession(ctx, flags, current, await newDpopKey(ctx, options.dpopAlg!))
          : await (options.connect ?? ((session: Session) => connectForSession(ctx, flags, session)))(current);
        assertSessionCertificate(current, connection.certThumbprint, ctx.profileName);
        return refreshSession(connection, current.refresh_token!, options.parameters ?? {}, {
          secrets: ctx.knownSecrets,
          idToken: idTokenDeps(ctx),
        });
      },
    },
    { minTtlSeconds: options.minTtlSeconds, force: options.force, owner: sessionOwner(ctx) },
  );
}
