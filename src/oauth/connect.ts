// Connect as a client: from resolved settings to a ready protocol client — the server's metadata, how the client
// authenticates, our transport. Whatever a run reads from the user (a secret on stdin, a prompt) comes in through deps.
import type { AuthorizationServer } from 'oauth4webapi';
import { CliError } from '../errors.js';
import type { HttpClient } from '../net/http.js';
import type { DocumentCache } from '../net/http-cache.js';
import {
  type AuthMethod,
  chooseAuthMethod,
  clientAuthentication,
  loadPrivateKey,
  requireClientCredential,
} from './client.js';
import type { Protocol } from './grants.js';
import type { IdTokenIssuer } from './id-token.js';
import { ENDPOINT_SETTINGS, type EndpointSetting, resolveServer } from './server.js';
import { loginCommand, type Session, sameIssuer } from './session.js';
import { protocolOptions } from './transport.js';
import { type DpopKey, DpopNonces, dpopHandle, importDpopKey } from './dpop.js';

export interface Connection {
  as: AuthorizationServer;
  protocol: Protocol;
  clientId: string;
  authMethod: AuthMethod;
  clientSecret: string | undefined;
  privateKeyFile: string | undefined;
  /** RFC 7638 thumbprint of the private_key_jwt key: the key itself, not where its file is. */
  keyThumbprint: string | undefined;
  /** The DPoP key every request at the server proves possession of (RFC 9449), when the session is bound to one. */
  dpop?: DpopKey | undefined;
  /** RFC 8705 x5t#S256 of the client certificate the run presents, if any. */
  certThumbprint: string | undefined;
}

/** A setting's value and where it came from, in words for messages: "--token-endpoint", "OAUTH_ISSUER", "profile dev". */
export interface Setting {
  value: string;
  origin: string;
}

/** A setting that the run may have been given (a flag, OAUTH_*) or that the profile holds. */
export interface RunSetting extends Setting {
  /** Given to this run (a flag or OAUTH_*), not read from the profile. */
  fromRun: boolean;
}

export interface ConnectSettings {
  /** The profile the run works on, for messages. */
  profile: string;
  issuer: string | undefined;
  endpoints: Partial<Record<EndpointSetting, Setting>>;
  clientId: string;
  /** A client secret came with this run: a flag, a file, stdin or OAUTH_CLIENT_SECRET. */
  secretGiven: boolean;
  privateKey: RunSetting | undefined;
  authMethod: RunSetting | undefined;
  /** The auth method the profile's sign-in saved. */
  savedAuthMethod: string | undefined;
}

export interface NetworkDeps {
  documents(): Promise<DocumentCache>;
  http(): Promise<HttpClient>;
  /** --insecure: plain http to hosts that are not loopback. */
  insecure: boolean;
  signal?: AbortSignal | undefined;
  /** The run's client certificate for mutual TLS (RFC 8705), already checked; undefined without one. */
  clientCertificate?: () => Promise<{ thumbprint: string } | undefined>;
}

export interface ConnectDeps extends NetworkDeps {
  /** The run's client secret: the one it was given, else `stored` (a session's own); registered as a secret. */
  clientSecret(stored: string | undefined): Promise<string | undefined>;
  /** The run's secret registry: the client's Basic credentials are redacted in every spelling. */
  secrets: { addBasic(clientId: string, secret: string): unknown; add(secret: string): unknown };
  /** The run's DPoP nonces by origin, shared with calls to resources. */
  dpopNonces?: DpopNonces | undefined;
  /** A word for the user (said once): a server ignored DPoP. */
  warn?: ((message: string) => void) | undefined;
}

export interface ConnectOptions {
  /** A stored session: its client secret serves only its own client at its own issuer. */
  session?: Session | undefined;
  /** A grant only a confidential client may use: without a credential, fail before any request. */
  confidentialGrant?: string;
  /** The session's tokens will be sent: only to the endpoints it was signed in with. */
  sendsSessionTokens?: boolean;
  /** A new DPoP key for a new session (login --dpop, a service token); a stored session brings its own. */
  dpop?: DpopKey | undefined;
  /**
   * The private key signs something else (a request object, RFC 9101): with an explicit --auth-method other than
   * private_key_jwt it is no credential for the token endpoint, so it does not conflict with that method.
   */
  keySignsRequests?: boolean;
}

export async function connect(
  settings: ConnectSettings,
  deps: ConnectDeps,
  options: ConnectOptions = {},
): Promise<Connection> {
  const { clientId } = settings;
  const { session } = options;
  const ownSession =
    session !== undefined &&
    session.client_id === clientId &&
    (settings.issuer === undefined || sameIssuer(settings.issuer, session.issuer));
  const secret = await deps.clientSecret(ownSession ? session.client_secret : undefined);
  const lendsStoredSecret =
    ownSession && secret !== undefined && secret === session.client_secret && !settings.secretGiven;
  if (session && (options.sendsSessionTokens || lendsStoredSecret))
    await assertSessionEndpoints(settings, session, deps);
  if (secret) deps.secrets.addBasic(clientId, secret);
  const { authMethod: method } = settings;
  const key =
    options.keySignsRequests && method?.fromRun && method.value !== 'private_key_jwt' ? undefined : settings.privateKey;
  const authMethod = chooseAuthMethod({
    explicit: method?.fromRun ? { value: method.value, origin: method.origin } : undefined,
    saved: settings.savedAuthMethod,
    hasSecret: secret !== undefined,
    secretGiven: settings.secretGiven,
    hasKey: key !== undefined,
    keyGiven: key?.fromRun === true,
  });
  // Only the credential of the chosen method is used (and saved by a sign-in).
  const privateKeyFile = authMethod === 'private_key_jwt' ? key?.value : undefined;
  const usedSecret = authMethod === 'client_secret_basic' || authMethod === 'client_secret_post' ? secret : undefined;
  if (options.confidentialGrant) requireClientCredential(authMethod, options.confidentialGrant);
  const privateKey = privateKeyFile ? await loadPrivateKey(privateKeyFile, key!.origin) : undefined;
  const certificate = await deps.clientCertificate?.();
  const auth = await clientAuthentication({
    clientId,
    authMethod,
    clientSecret: usedSecret,
    privateKeyFile,
    privateKey,
    hasCertificate: certificate !== undefined,
  });
  const as = await resolveServer(serverSettings(settings), deps);
  const http = await deps.http();
  // A DPoP-bound session keeps its key: the refresh token is bound to it too (RFC 9449 §5), so a refresh proves it.
  const dpop =
    options.dpop ?? (ownSession && session.dpop_jwk ? await importDpopKey(session.dpop_jwk, deps.secrets) : undefined);
  const nonces = deps.dpopNonces ?? new DpopNonces();
  // RFC 8705 §5: with a certificate, the server's mtls_endpoint_aliases are where it reads it; each alias passed the
  // URL policy with the rest of the metadata.
  const mtls = certificate !== undefined && as.mtls_endpoint_aliases !== undefined;
  return {
    as,
    protocol: {
      as,
      // The method rides along for the wording of a refusal: oauth4webapi authenticates with `auth` alone.
      client: {
        client_id: clientId,
        token_endpoint_auth_method: authMethod,
        ...(mtls ? { use_mtls_endpoint_aliases: true } : {}),
      },
      auth,
      options: protocolOptions(
        http,
        as,
        deps.insecure,
        deps.signal,
        dpop ? { handle: dpopHandle(dpop, nonces), nonces } : undefined,
      ),
      ...(deps.warn ? { warn: deps.warn } : {}),
    },
    clientId,
    authMethod,
    clientSecret: usedSecret,
    privateKeyFile,
    keyThumbprint: privateKey?.thumbprint,
    dpop,
    certThumbprint: certificate?.thumbprint,
  };
}

/** What the ID token of a sign-in or a refresh through this connection is checked against. */
export function idTokenIssuer(connection: Connection): IdTokenIssuer {
  return {
    issuer: connection.as.issuer,
    jwksUri: connection.as.jwks_uri,
    clientId: connection.clientId,
    clientSecret: connection.clientSecret,
  };
}

function serverSettings(settings: Pick<ConnectSettings, 'issuer' | 'endpoints'>) {
  const endpoints: Partial<Record<EndpointSetting, string>> = {};
  for (const name of ENDPOINT_SETTINGS) {
    const value = settings.endpoints[name]?.value;
    if (value !== undefined) endpoints[name] = value;
  }
  return { issuer: settings.issuer, endpoints };
}

/**
 * A stored session's tokens (and the secret its sign-in stored) go only to the endpoints it was signed in with: those
 * its issuer's discovery document names, or those the sign-in was given, kept with the session itself. An endpoint
 * from a flag, OAUTH_* or the config file that is neither would receive the refresh token (and hand back a token we
 * would store as the issuer's), so it is refused before any request that carries a token. The config file is no
 * witness: it may have been edited, or come from somewhere else (OAUTH_CONFIG), after the sign-in.
 */
export async function assertSessionEndpoints(
  settings: Pick<ConnectSettings, 'endpoints' | 'profile'>,
  session: Session,
  deps: Pick<NetworkDeps, 'documents' | 'insecure' | 'signal'>,
): Promise<void> {
  const unconfirmed: Array<{ name: EndpointSetting } & Setting> = [];
  for (const name of ENDPOINT_SETTINGS) {
    const setting = settings.endpoints[name];
    if (setting === undefined || setting.value === session.endpoints?.[name]) continue;
    unconfirmed.push({ name, ...setting });
  }
  if (unconfirmed.length === 0) return;
  // Only the issuer's own document is asked (no token goes there); when it cannot be read, nothing is confirmed.
  let discovered: Record<string, unknown> = {};
  try {
    discovered = (await resolveServer({ issuer: session.issuer, endpoints: {} }, deps)) as unknown as Record<
      string,
      unknown
    >;
  } catch {
    discovered = {};
  }
  const refused = unconfirmed.find(({ name, value }) => discovered[name] !== value);
  if (!refused) return;
  const { profile } = settings;
  const words = refused.name.replace(/_/g, ' ').replace(/^jwks uri$/, 'JWKS URI');
  const flagName = `--${refused.name.replace(/_/g, '-')}`;
  const known = (discovered[refused.name] as string | undefined) ?? session.endpoints?.[refused.name];
  const login = loginCommand(profile, {
    issuer: session.issuer,
    clientId: session.client_id,
    flags: [`${flagName} ${refused.value}`],
  });
  throw new CliError(
    'USAGE',
    `${refused.origin} ${refused.value} is not the ${words} the stored session${profile === 'default' ? '' : ` of profile "${profile}"`} was signed in with${known ? ` (${known})` : ''}; its tokens go only to ${session.issuer}'s own endpoints, so nothing was sent.`,
    {
      hint: `${refused.origin.startsWith('--') ? `Drop ${flagName}` : refused.origin.startsWith('OAUTH_') ? `Unset ${refused.origin}` : `Remove it from the config file`}, or sign in again with that endpoint: ${login}`,
      details: { setting: refused.name, origin: refused.origin },
    },
  );
}
