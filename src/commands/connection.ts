// From settings to a ready protocol client: server metadata, client authentication, our transport.
import type { AuthorizationServer } from 'oauth4webapi';
import type { Context } from './context.js';
import {
  chooseAuthMethod,
  clientAuthentication,
  loadPrivateKey,
  requireClientCredential,
  type AuthMethod,
} from '../oauth/client.js';
import type { Protocol } from '../oauth/grants.js';
import { ENDPOINT_SETTINGS, resolveServer, type EndpointSetting } from '../oauth/server.js';
import { envSetting } from '../settings/config.js';
import { CliError } from '../errors.js';
import { protocolOptions } from '../oauth/transport.js';
import { loginCommand, sameIssuer, type Session } from '../oauth/session.js';
import { clientSecret, requireSetting, serverSettings, type ClientFlags } from './common.js';

export interface Connection {
  as: AuthorizationServer;
  protocol: Protocol;
  clientId: string;
  authMethod: AuthMethod;
  clientSecret: string | undefined;
  privateKeyFile: string | undefined;
  /** RFC 7638 thumbprint of the private_key_jwt key: the key itself, not where its file is. */
  keyThumbprint: string | undefined;
}

export interface ConnectOptions {
  /** A stored session: its client secret serves only its own client at its own issuer. */
  session?: Session | undefined;
  /** A grant only a confidential client may use: without a credential, fail before any request. */
  confidentialGrant?: string;
  /** The session's tokens will be sent: only to the endpoints it was signed in with. */
  sendsSessionTokens?: boolean;
}

export async function connect(ctx: Context, flags: ClientFlags, options: ConnectOptions = {}): Promise<Connection> {
  const server = serverSettings(ctx, flags);
  if (!server.issuer && !server.endpoints.token_endpoint)
    server.issuer = await requireSetting(ctx, 'issuer', undefined, 'Issuer URL');
  const clientId = await requireSetting(ctx, 'client_id', flags.clientId, 'Client id');
  const { session } = options;
  const ownSession =
    session !== undefined &&
    session.client_id === clientId &&
    (server.issuer === undefined || sameIssuer(server.issuer, session.issuer));
  const secret = await clientSecret(ctx, flags, ownSession ? session.client_secret : undefined);
  const lendsStoredSecret =
    ownSession && secret !== undefined && secret === session.client_secret && !explicitSecretGiven(ctx, flags);
  if (session && (options.sendsSessionTokens || lendsStoredSecret)) await assertSessionEndpoints(ctx, flags, session);
  if (secret) ctx.knownSecrets.addBasic(clientId, secret);
  const keyFile = ctx.setting('private_key', flags.privateKey);
  const fromRun = (name: string, flag: string | undefined) =>
    ctx.setting(name, flag) !== undefined && !ctx.settingOrigin(name, flag).includes(' in profile ');
  const method = ctx.setting('auth_method', flags.authMethod);
  const authMethod = chooseAuthMethod({
    explicit:
      method !== undefined && fromRun('auth_method', flags.authMethod)
        ? { value: method, origin: ctx.settingOrigin('auth_method', flags.authMethod) }
        : undefined,
    saved: ctx.profile()?.auth_method as string | undefined,
    hasSecret: secret !== undefined,
    secretGiven: explicitSecretGiven(ctx, flags),
    hasKey: keyFile !== undefined,
    keyGiven: fromRun('private_key', flags.privateKey),
  });
  // Only the credential of the chosen method is used (and saved by a sign-in).
  const privateKeyFile = authMethod === 'private_key_jwt' ? keyFile : undefined;
  const usedSecret = authMethod === 'client_secret_basic' || authMethod === 'client_secret_post' ? secret : undefined;
  if (options.confidentialGrant) requireClientCredential(authMethod, options.confidentialGrant);
  const privateKey = privateKeyFile
    ? await loadPrivateKey(privateKeyFile, ctx.settingOrigin('private_key', flags.privateKey))
    : undefined;
  const auth = await clientAuthentication({
    clientId,
    authMethod,
    clientSecret: usedSecret,
    privateKeyFile,
    privateKey,
  });
  const as = await resolveServer(server, {
    documents: () => ctx.documents(),
    insecure: ctx.insecure,
    signal: ctx.io.signal,
  });
  const http = await ctx.http();
  return {
    as,
    protocol: {
      as,
      client: { client_id: clientId },
      auth,
      options: protocolOptions(http, as, ctx.insecure, ctx.io.signal),
    },
    clientId,
    authMethod,
    clientSecret: usedSecret,
    privateKeyFile,
    keyThumbprint: privateKey?.thumbprint,
  };
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

function explicitSecretGiven(ctx: Context, flags: ClientFlags): boolean {
  return Boolean(
    flags.clientSecretStdin ||
      flags.clientSecretFile ||
      flags.clientSecret ||
      envSetting(ctx.io.env, 'OAUTH_CLIENT_SECRET'),
  );
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

/**
 * A stored session's tokens (and the secret its sign-in stored) go only to the endpoints it was signed in with: those
 * its issuer's discovery document names, or those the sign-in was given, kept with the session itself. An endpoint
 * from a flag, OAUTH_* or the config file that is neither would receive the refresh token (and hand back a token we
 * would store as the issuer's), so it is refused before any request that carries a token. The config file is no
 * witness: it may have been edited, or come from somewhere else (OAUTH_CONFIG), after the sign-in.
 */
export async function assertSessionEndpoints(ctx: Context, flags: ClientFlags, session: Session): Promise<void> {
  const unconfirmed: Array<{ name: EndpointSetting; value: string; origin: string }> = [];
  for (const name of ENDPOINT_SETTINGS) {
    const flag = flags[ENDPOINT_FLAGS[name]] as string | undefined;
    const value = ctx.setting(name, flag);
    if (value === undefined || value === session.endpoints?.[name]) continue;
    unconfirmed.push({ name, value, origin: ctx.settingOrigin(name, flag) });
  }
  if (unconfirmed.length === 0) return;
  // Only the issuer's own document is asked (no token goes there); when it cannot be read, nothing is confirmed.
  let discovered: Record<string, unknown> = {};
  try {
    discovered = (await resolveServer(
      { issuer: session.issuer, endpoints: {} },
      { documents: () => ctx.documents(), insecure: ctx.insecure, signal: ctx.io.signal },
    )) as unknown as Record<string, unknown>;
  } catch {
    discovered = {};
  }
  const refused = unconfirmed.find(({ name, value }) => discovered[name] !== value);
  if (!refused) return;
  const words = refused.name.replace(/_/g, ' ').replace(/^jwks uri$/, 'JWKS URI');
  const flagName = `--${refused.name.replace(/_/g, '-')}`;
  const known = (discovered[refused.name] as string | undefined) ?? session.endpoints?.[refused.name];
  const login = loginCommand(ctx.profileName, {
    issuer: session.issuer,
    clientId: session.client_id,
    flags: [`${flagName} ${refused.value}`],
  });
  throw new CliError(
    'USAGE',
    `${refused.origin} ${refused.value} is not the ${words} the stored session${ctx.profileName === 'default' ? '' : ` of profile "${ctx.profileName}"`} was signed in with${known ? ` (${known})` : ''}; its tokens go only to ${session.issuer}'s own endpoints, so nothing was sent.`,
    {
      hint: `${refused.origin.startsWith('--') ? `Drop ${flagName}` : refused.origin.startsWith('OAUTH_') ? `Unset ${refused.origin}` : `Remove it from the config file`}, or sign in again with that endpoint: ${login}`,
      details: { setting: refused.name, origin: refused.origin },
    },
  );
}
