// From settings to a ready protocol client: server metadata, client authentication, our transport.
import type { AuthorizationServer } from 'oauth4webapi';
import type { Context } from '../context.js';
import { chooseAuthMethod, clientAuthentication, requireClientCredential, type AuthMethod } from '../oauth/client.js';
import type { Protocol } from '../oauth/grants.js';
import { resolveServer } from '../oauth/server.js';
import { protocolOptions } from '../oauth/transport.js';
import { sameIssuer, type Session } from '../session.js';
import { clientSecret, requireSetting, serverSettings, type ClientFlags } from './common.js';

export interface Connection {
  as: AuthorizationServer;
  protocol: Protocol;
  clientId: string;
  authMethod: AuthMethod;
  clientSecret: string | undefined;
  privateKeyFile: string | undefined;
}

export interface ConnectOptions {
  /** A stored session: its client secret serves only its own client at its own issuer. */
  session?: Session | undefined;
  /** A grant only a confidential client may use: without a credential, fail before any request. */
  confidentialGrant?: string;
}

export async function connect(ctx: Context, flags: ClientFlags, options: ConnectOptions = {}): Promise<Connection> {
  const server = serverSettings(ctx, flags);
  if (!server.issuer && !server.endpoints.token_endpoint) server.issuer = await requireSetting(ctx, 'issuer', undefined, 'Issuer URL');
  const clientId = await requireSetting(ctx, 'client_id', flags.clientId, 'Client id');
  const { session } = options;
  const ownSession = session !== undefined && session.client_id === clientId && (server.issuer === undefined || sameIssuer(server.issuer, session.issuer));
  const secret = await clientSecret(ctx, flags, ownSession ? session.client_secret : undefined);
  if (secret) ctx.knownSecrets.addBasic(clientId, secret);
  const privateKeyFile = ctx.setting('private_key', flags.privateKey);
  const authMethod = chooseAuthMethod(ctx.setting('auth_method', flags.authMethod), secret !== undefined, privateKeyFile !== undefined);
  if (options.confidentialGrant) requireClientCredential(authMethod, options.confidentialGrant);
  const auth = await clientAuthentication({ clientId, authMethod, clientSecret: secret, privateKeyFile });
  const as = await resolveServer(server, { documents: () => ctx.documents(), insecure: ctx.insecure, signal: ctx.io.signal });
  const http = await ctx.http();
  return {
    as,
    protocol: { as, client: { client_id: clientId }, auth, options: protocolOptions(http, as, ctx.insecure, ctx.io.signal) },
    clientId,
    authMethod,
    clientSecret: secret,
    privateKeyFile,
  };
}

/**
 * At the server that issued a session's tokens, as the client the settings name (flag > OAUTH_* > profile), else as
 * the session's own client. Whether the session may be used by that client was decided when it was read.
 */
export function connectForSession(ctx: Context, flags: ClientFlags, session: Session): Promise<Connection> {
  return connect(ctx, { ...flags, issuer: session.issuer, clientId: ctx.setting('client_id', flags.clientId) ?? session.client_id }, { session });
}
