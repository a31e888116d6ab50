// The run's settings for connecting as a client (flag > OAUTH_* > profile, prompting for what is missing on a
// terminal), handed to the connect flow with the run's network, secrets and secret reader.
import {
  assertSessionEndpoints as assertEndpoints,
  connect as connectFlow,
  type ConnectDeps,
  type ConnectOptions,
  type ConnectSettings,
  type Connection,
  type RunSetting,
} from '../../oauth/connect.js';
import type { Session } from '../../oauth/session.js';
import { envSetting } from '../../settings/config.js';
import type { Setting } from '../../settings/settings.js';
import type { Context } from '../context.js';
import type { ClientFlags } from './client-flags.js';
import { clientSecret } from './client-secret.js';
import { requireSetting } from './prompt.js';
import { dpopNonces } from './dpop.js';
import type { DpopKey } from '../../oauth/dpop.js';

export type { Connection };

/** Whom to connect as when the run's settings do not say it: a stored session's issuer and client. */
interface Identity {
  issuer: string;
  clientId: string;
}

export async function connect(
  ctx: Context,
  flags: ClientFlags,
  options: ConnectOptions = {},
  as?: Identity,
): Promise<Connection> {
  const { endpoints } = ctx.settings;
  let issuer = as?.issuer ?? ctx.settings.issuer?.value;
  if (!issuer && !endpoints.token_endpoint) issuer = await requireSetting(ctx, 'issuer', undefined, 'Issuer URL');
  const clientId = await requireSetting(ctx, 'client_id', as?.clientId, 'Client id');
  const settings: ConnectSettings = {
    profile: ctx.profileName,
    issuer,
    endpoints,
    clientId,
    secretGiven: explicitSecretGiven(ctx, flags),
    privateKey: runSetting(ctx.settings.privateKey),
    authMethod: runSetting(ctx.settings.authMethod),
    // The profile's, as the settings read it: none when this run is at another issuer than the profile's.
    savedAuthMethod: ctx.settings.authMethod?.source === 'profile' ? ctx.settings.authMethod.value : undefined,
  };
  return connectFlow(settings, connectDeps(ctx, flags, clientId, issuer), options);
}

/**
 * At the server that issued a session's tokens, as the client the settings name (flag > OAUTH_* > profile), else as
 * the session's own client. Whether the session may be used by that client was decided when it was read.
 */
export function connectForSession(
  ctx: Context,
  flags: ClientFlags,
  session: Session,
  dpop?: DpopKey,
): Promise<Connection> {
  return connect(
    ctx,
    flags,
    { session, sendsSessionTokens: true, ...(dpop ? { dpop } : {}) },
    { issuer: session.issuer, clientId: ctx.settings.clientId?.value ?? session.client_id },
  );
}

/** A session's tokens go only to the endpoints it was signed in with (see the flow's assertSessionEndpoints). */
export function assertSessionEndpoints(ctx: Context, session: Session): Promise<void> {
  return assertEndpoints({ profile: ctx.profileName, endpoints: ctx.settings.endpoints }, session, {
    documents: () => ctx.documents(),
    insecure: ctx.insecure,
    signal: ctx.io.signal,
  });
}

function connectDeps(ctx: Context, flags: ClientFlags, clientId: string, issuer: string | undefined): ConnectDeps {
  return {
    documents: () => ctx.documents(),
    http: () => ctx.http(),
    clientCertificate: () => ctx.clientCertificate(),
    insecure: ctx.insecure,
    signal: ctx.io.signal,
    // Without a secret given or kept with a session, the one a registration of this client stored.
    clientSecret: async (stored) =>
      clientSecret(
        ctx,
        flags,
        stored ??
          (explicitSecretGiven(ctx, flags)
            ? undefined
            : await (await import('./registration.js')).registeredClientSecret(ctx, clientId, issuer)),
      ),
    secrets: ctx.knownSecrets,
    dpopNonces: dpopNonces(ctx),
    warn: (message) => ctx.out.warnOnce('dpop-ignored', message),
  };
}

/** A setting the connect flow weighs by where it came from: given to this run, or the profile's. */
function runSetting(setting: Setting | undefined): RunSetting | undefined {
  return setting && { value: setting.value, origin: setting.origin, fromRun: setting.source !== 'profile' };
}

function explicitSecretGiven(ctx: Context, flags: ClientFlags): boolean {
  return Boolean(
    flags.clientSecretStdin ||
      flags.clientSecretFile ||
      flags.clientSecret ||
      envSetting(ctx.io.env, 'OAUTH_CLIENT_SECRET'),
  );
}
