// The profile's stored session for a command, and whose it is: only the session of the issuer and client the run's
// settings name (flag > OAUTH_* > profile).
import {
  ownedSession,
  ownerMismatch,
  parseSession,
  profileWhere,
  sessionKey,
  type Session,
  type SessionOwner,
} from '../../oauth/session.js';
import type { SecretStore } from '../../store/store.js';
import type { Context } from '../context.js';
import { registerDpopKey } from '../../oauth/dpop.js';

/** Whom the run's settings (flag > OAUTH_* > profile) say a stored session must belong to. */
export function sessionOwner(ctx: Context): SessionOwner {
  return { issuer: ctx.settings.issuer, clientId: ctx.settings.clientId };
}

/**
 * The profile's session for a command that was given no token. A resource server may introspect the profile's token
 * as itself (clientMayDiffer); the issuer must always be the session's.
 */
export async function storedSession(
  ctx: Context,
  tokens: SecretStore,
  options: { clientMayDiffer?: boolean } = {},
): Promise<Session> {
  const session = await ownedSession(tokens, ctx.profileName, sessionOwner(ctx), {
    ...options,
    tokenMayBeGiven: true,
  });
  rememberSecrets(ctx, session);
  return session;
}

/**
 * The profile's session when it belongs to the same issuer and client as this run, else undefined: where a command
 * given a token may still use what the sign-in stored (the client secret).
 */
export async function sessionIfOwned(ctx: Context, tokens: SecretStore): Promise<Session | undefined> {
  const session = parseSession(await tokens.get(sessionKey(ctx.profileName)), profileWhere(ctx.profileName, tokens));
  if (!session || ownerMismatch(session, sessionOwner(ctx))) return undefined;
  rememberSecrets(ctx, session);
  return session;
}

/** Every secret a session holds, so traces and messages redact it wherever it appears. */
export function rememberSecrets(ctx: Context, session: Session): void {
  for (const secret of [session.access_token, session.refresh_token, session.id_token, session.client_secret])
    if (secret) ctx.knownSecrets.add(secret);
  if (session.dpop_jwk) registerDpopKey(session.dpop_jwk, ctx.knownSecrets);
}
