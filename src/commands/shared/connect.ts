// The run's settings for connecting as a client (flag > OAUTH_* > profile, prompting for what is missing on a
// terminal), handed to the connect flow with the run's network, secrets and secret reader.
import { ENDPOINT_SETTINGS, type EndpointSetting } from '../../oauth/server.js';
import {
  assertSessionEndpoints as assertEndpoints,
  connect as connectFlow,
  type ConnectDeps,
  type ConnectOptions,
  type ConnectSettings,
  type Connection,
  type RunSetting,
  type Setting,
} from '../../oauth/connect.js';
import type { Session } from '../../oauth/session.js';
import { envSetting } from '../../settings/config.js';
import type { Context } from '../context.js';
import type { ClientFlags } from './client-flags.js';
import { clientSecret } from './client-secret.js';
import { requireSetting } from './prompt.js';

export type { Connection };

export async function connect(ctx: Context, flags: ClientFlags, options: ConnectOptions = {}): Promise<Connection> {
  const endpoints = endpointSettings(ctx, flags);
  let issuer = ctx.setting('issuer', flags.issuer);
  if (!issuer && !endpoints.token_endpoint) issuer = await requireSetting(ctx, 'issuer', undefined, 'Issuer URL');
  const clientId = await requireSetting(ctx, 'client_id', flags.clientId, 'Client id');
  const settings: ConnectSettings = {
    profile: ctx.profileName,
    issuer,
    endpoints,
    clientId,
    secretGiven: explicitSecretGiven(ctx, flags),
    privateKey: runSetting(ctx, 'private_key', flags.privateKey),
    authMethod: runSetting(ctx, 'auth_method', flags.authMethod),
    savedAuthMethod: ctx.profile()?.auth_method as string | undefined,
  };
  return connectFlow(settings, connectDeps(ctx, flags), options);
}

/**
 * At the server that issued a session's tokens, as the client the settings name (flag > OAUTH_* > profile), else as
 * the session's own client. Whether the session may be used by that client was decided when it was read.
 */
export function connectForSession(ctx: Context, flags: ClientFlags, session: Session): Promise<Connection> {
  return connect(
    ctx,
    { ...flags, issuer: session.issuer, clientId: ctx.setting('client_id', flags.clientId) ?? session.client_id },
    { session, sendsSessionTokens: true },
  );
}

/** A session's tokens go only to the endpoints it was signed in with (see the flow's assertSessionEndpoints). */
export function assertSessionEndpoints(ctx: Context, flags: ClientFlags, session: Session): Promise<void> {
  return assertEndpoints({ profile: ctx.profileName, endpoints: endpointSettings(ctx, flags) }, session, {
    documents: () => ctx.documents(),
    insecure: ctx.insecure,
    signal: ctx.io.signal,
  });
}

function connectDeps(ctx: Context, flags: ClientFlags): ConnectDeps {
  return {
    documents: () => ctx.documents(),
    http: () => ctx.http(),
    insecure: ctx.insecure,
    signal: ctx.io.signal,
    clientSecret: (stored) => clientSecret(ctx, flags, stored),
    secrets: ctx.knownSecrets,
  };
}

const ENDPOINT_FLAGS: Record<EndpointSetting, keyof ClientFlags> = {
  authorization_endpoint: 'authorizationEndpoint',
  token_endpoint: 'tokenEndpoint',
  device_authorization_endpoint: 'deviceAuthorizationEndpoint',
  revocation_endpoint: 'revocationEndpoint',
  introspection_endpoint: 'introspectionEndpoint',
  userinfo_endpoint: 'userinfoEndpoint',
  jwks_uri: 'jwksUri',
};

function endpointSettings(ctx: Context, flags: ClientFlags): Partial<Record<EndpointSetting, Setting>> {
  const endpoints: Partial<Record<EndpointSetting, Setting>> = {};
  for (const name of ENDPOINT_SETTINGS) {
    const flag = flags[ENDPOINT_FLAGS[name]] as string | undefined;
    const value = ctx.setting(name, flag);
    if (value !== undefined) endpoints[name] = { value, origin: ctx.settingOrigin(name, flag) };
  }
  return endpoints;
}

function runSetting(ctx: Context, name: string, flag: string | undefined): RunSetting | undefined {
  const value = ctx.setting(name, flag);
  if (value === undefined) return undefined;
  const origin = ctx.settingOrigin(name, flag);
  return { value, origin, fromRun: !origin.includes(' in profile ') };
}

function explicitSecretGiven(ctx: Context, flags: ClientFlags): boolean {
  return Boolean(
    flags.clientSecretStdin ||
      flags.clientSecretFile ||
      flags.clientSecret ||
      envSetting(ctx.io.env, 'OAUTH_CLIENT_SECRET'),
  );
}
