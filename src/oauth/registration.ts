// Dynamic client registration (RFC 7591) and client management (RFC 7592): register a client at the server's
// registration endpoint, then read it back or delete it at its registration_client_uri with the registration access
// token. Every secret received is registered the moment it arrives; whatever a server hands us is checked before use.
import * as oauth from 'oauth4webapi';
import { CliError, isCliError } from '../errors.js';
import type { HttpClient } from '../net/http.js';
import { statusError } from '../net/http-response.js';
import { isLoopbackHost, serverUrl } from '../net/url.js';
import { isTokenText } from '../redact.js';
import { explainProtocolError } from './errors.js';
import { profileCommand } from './session.js';
import { fetchThrough } from './transport.js';

/** What a registration asks for (RFC 7591 §2; application_type from OpenID Connect Registration). */
export type ClientMetadata = {
  client_name?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: string;
  application_type?: 'native' | 'web';
  scope?: string;
};

/** A registered client as the secret store keeps it under registrationKey(profile). */
export interface StoredRegistration {
  version: 1;
  issuer: string;
  client_id: string;
  client_secret?: string;
  /** Seconds since the epoch; 0 or absent: it does not expire (RFC 7591 §3.2.1). */
  client_secret_expires_at?: number;
  registration_access_token?: string;
  registration_client_uri?: string;
  /** Why the server's registration_client_uri was refused: the client then has no management through oauth. */
  management_refused?: string;
}

export const registrationKey = (profile: string) => `registration:${profile}`;

export interface RegistrationDeps {
  http(): Promise<HttpClient>;
  /** --insecure: plain http to hosts that are not loopback. */
  insecure: boolean;
  signal?: AbortSignal | undefined;
  /** The run's secret registry. */
  secrets: { add(secret: string): unknown };
  /** The profile the run used: the commands a hint names carry it. */
  profile?: string | undefined;
  /** How this command takes what a refusal's hint names (login has no --initial-access-token or --grant-type). */
  wording?: { initialAccessToken: string; metadata: string };
}

/** What `oauth register` says; `login --register` says less. */
const REGISTER_WORDING = {
  initialAccessToken: 'OAUTH_INITIAL_ACCESS_TOKEN (or --initial-access-token)',
  metadata: 'Check --grant-type, --auth-method and --scope against what the server supports ("oauth discover").',
};

export interface Registered {
  stored: StoredRegistration;
  /** The server's answer as it came (its secrets are redacted by whoever prints it). */
  response: Record<string, unknown>;
  /** What the run should say but does not stop it: a management URI refused by the URL policy. */
  warnings: string[];
}

const PURPOSE = 'registration endpoint';
/** The longest client id accepted from a server (RFC 7591 has no bound; real ones are UUIDs or URLs well under it). */
export const MAX_CLIENT_ID_LENGTH = 1024;
const MANAGEMENT = 'client configuration endpoint';

/** The public native client a CLI registers for itself (RFC 8252): PKCE, loopback redirect on any port. */
export function nativeClientMetadata(redirectUri: string, scope?: string): ClientMetadata {
  return {
    client_name: 'oauth CLI',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    ...(scope ? { scope } : {}),
  };
}

/** Registers a client (RFC 7591 §3). */
export async function registerClient(
  as: oauth.AuthorizationServer,
  metadata: ClientMetadata,
  initialAccessToken: string | undefined,
  deps: RegistrationDeps,
): Promise<Registered> {
  const endpoint = as.registration_endpoint;
  if (typeof endpoint !== 'string' || !endpoint) {
    throw new CliError('USAGE', `The authorization server ${as.issuer} does not advertise a registration endpoint.`, {
      hint: 'Give it with --registration-endpoint <url> if the server has one; otherwise register the client by hand and pass --client-id.',
    });
  }
  const endpointUrl = serverUrl(endpoint, 'registration_endpoint', deps.insecure, 'the server metadata');
  const wording = deps.wording ?? REGISTER_WORDING;
  if (initialAccessToken) deps.secrets.add(initialAccessToken);
  const http = await deps.http();
  const response = await step(
    'The registration',
    async () => {
      const answer = await oauth.dynamicClientRegistrationRequest(
        { ...as, registration_endpoint: endpointUrl.href },
        metadata,
        {
          [oauth.customFetch]: fetchThrough(http, () => PURPOSE),
          ...(insecureAllowed(endpointUrl, deps.insecure) ? { [oauth.allowInsecureRequests]: true } : {}),
          ...(initialAccessToken ? { initialAccessToken } : {}),
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
      );
      return oauth.processDynamicClientRegistrationResponse(answer);
    },
    initialAccessToken === undefined
      ? `The server wants an initial access token for registrations: set ${wording.initialAccessToken}.`
      : `The server refused the initial access token: check ${wording.initialAccessToken}.`,
    registrationHints(metadata, wording.metadata),
  );
  const record = response as Record<string, unknown>;
  registerSecrets(record, deps);
  const warnings: string[] = [];
  const stored = storedFrom(as.issuer, record, endpointUrl.origin, deps.insecure, warnings, deps.profile);
  return { stored, response: record, warnings };
}

/** Reads the client's registration back (RFC 7592 §2.1); a rotated registration access token comes back in it. */
export async function readRegistration(
  stored: StoredRegistration,
  deps: RegistrationDeps,
): Promise<{ stored: StoredRegistration; response: Record<string, unknown>; warnings: string[] }> {
  const answer = await manage(stored, 'GET', deps);
  if (answer.status !== 200) throw refusal(answer, 'Reading the registration', deps.profile);
  let value: unknown;
  try {
    value = JSON.parse(answer.body.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw protocolError('Reading the registration', `the ${MANAGEMENT} answered something that is not a JSON object`);
  const record = value as Record<string, unknown>;
  registerSecrets(record, deps);
  if (record.client_id !== stored.client_id) {
    throw protocolError(
      'Reading the registration',
      `the ${MANAGEMENT} answered for another client_id than the one registered (${stored.client_id})`,
    );
  }
  const warnings: string[] = [];
  // The token goes on to where it went so far: a read answer cannot move it to another origin (or a refused URL).
  const current = stored.registration_client_uri ? new URL(stored.registration_client_uri).origin : undefined;
  const updated = storedFrom(
    stored.issuer,
    record,
    current,
    deps.insecure,
    warnings,
    deps.profile,
    'keep',
    'Reading the registration',
  );
  // A server that leaves out what did not change (the secret, the URI) keeps what was stored.
  return {
    stored: {
      ...stored,
      ...Object.fromEntries(Object.entries(updated).filter(([, member]) => member !== undefined)),
    },
    response: record,
    warnings,
  };
}

/**
 * Deletes the client at the server (RFC 7592 §2.3): 'deleted' on 204 (or 200), 'gone' on a 404 — the server no longer
 * knows the client, so there is nothing left to delete and the caller may forget it.
 */
export async function deleteRegistration(
  stored: StoredRegistration,
  deps: RegistrationDeps,
): Promise<'deleted' | 'gone'> {
  const answer = await manage(stored, 'DELETE', deps);
  if (answer.status === 204 || answer.status === 200) return 'deleted';
  if (answer.status === 404) return 'gone';
  throw refusal(answer, 'Deleting the registration', deps.profile);
}

/** What to do about a client oauth cannot manage (any more): RFC 7592 offers no other way than its token. */
export function unmanagedHint(profile = 'default'): string {
  return `Delete it in the server’s console if it should go; then "${profileCommand('oauth register --forget', profile)}" drops it here, or "${profileCommand('oauth register --replace', profile)}" registers a new client over it.`;
}

async function manage(stored: StoredRegistration, method: 'GET' | 'DELETE', deps: RegistrationDeps) {
  const { registration_client_uri: uri, registration_access_token: token } = stored;
  if (!uri || !token) {
    const why = stored.management_refused
      ? `Its registration_client_uri was refused at registration (${stored.management_refused.replace(/\.$/, '')})`
      : `The server gave no ${uri ? 'registration access token' : 'registration_client_uri'} for it`;
    throw new CliError(
      'USAGE',
      `Client ${stored.client_id} cannot be read or deleted through client management (RFC 7592): ${why}.`,
      { hint: unmanagedHint(deps.profile) },
    );
  }
  deps.secrets.add(token);
  // Checked again at each use: the store may hold what an older version accepted, or have been edited.
  const url = serverUrl(uri, 'registration_client_uri', deps.insecure, 'the stored registration');
  const http = await deps.http();
  return http.request({
    url,
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    purpose: MANAGEMENT,
  });
}

/** RFC 7592 §2: 401 is a token the server does not accept (exit 4); anything else is the server's failure. */
function refusal(
  answer: Awaited<ReturnType<HttpClient['request']>>,
  doing: string,
  profile: string | undefined,
): CliError {
  const error = statusError(answer, MANAGEMENT);
  if (answer.status !== 401 && answer.status !== 403) return error;
  return new CliError('TOKEN_REJECTED', `${doing} failed: ${error.reason}.`, {
    ...error.facts,
    hint: `The registration access token is no longer accepted (revoked, or the client was deleted at the server). ${unmanagedHint(profile)}`,
  });
}

function protocolError(doing: string, reason: string): CliError {
  return new CliError('PROTOCOL_ERROR', `${doing} failed: ${reason}.`, { reason });
}

async function step<T>(
  doing: string,
  run: () => Promise<T>,
  unauthorizedHint: string,
  hints: Record<string, string>,
): Promise<T> {
  try {
    return await run();
  } catch (caught) {
    const error = explainProtocolError(caught, doing);
    if (!isCliError(error)) throw error;
    if (error.status === 401 || error.status === 403)
      throw new CliError('TOKEN_REJECTED', `${doing} failed: ${error.reason ?? 'the server refused it'}.`, {
        ...error.facts,
        hint: unauthorizedHint,
      });
    const hint = error.oauthError ? hints[error.oauthError] : undefined;
    if (!hint) throw error;
    throw new CliError(error.code, error.message, {
      ...error.facts,
      hint,
      ...(error.details ? { details: error.details } : {}),
    });
  }
}

/** RFC 7591 §3.2.2's error codes, with what to change: the redirect URIs as sent (the run may have chosen them). */
function registrationHints(metadata: ClientMetadata, metadataHint: string): Record<string, string> {
  const sent = metadata.redirect_uris?.length ? ` (oauth sent ${metadata.redirect_uris.join(', ')})` : '';
  return {
    invalid_redirect_uri: `The server refused the redirect URI${sent}: give another with --redirect-uri; a native client uses http://127.0.0.1/<path> (any port), a web client an https URI.`,
    invalid_client_metadata: metadataHint,
    invalid_software_statement: 'This server wants a software statement, which oauth does not send.',
    unapproved_software_statement: 'This server wants a software statement, which oauth does not send.',
  };
}

function insecureAllowed(url: URL, insecure: boolean): boolean {
  return insecure || isLoopbackHost(url.hostname);
}

function registerSecrets(record: Record<string, unknown>, deps: RegistrationDeps): void {
  for (const member of ['client_secret', 'registration_access_token'])
    if (typeof record[member] === 'string' && record[member]) deps.secrets.add(record[member]);
}

/**
 * What is kept of an answer: a client id and secrets that are printable ASCII (RFC 6749 A.1, A.2: VSCHAR), and a
 * management URI that passes the URL policy. A refused URI leaves the client without management, which the run says.
 */
function storedFrom(
  issuer: string,
  record: Record<string, unknown>,
  managementOrigin: string | undefined,
  insecure: boolean,
  warnings: string[],
  profile = 'default',
  refused: 'drop' | 'keep' = 'drop',
  doing = 'The registration',
): StoredRegistration {
  for (const member of ['client_id', 'client_secret', 'registration_access_token']) {
    const value = record[member];
    if (value === undefined && member !== 'client_id') continue;
    if (!isTokenText(value))
      throw protocolError(
        doing,
        `the server's ${member} is ${typeof value === 'string' ? 'not printable ASCII (RFC 6749 Appendix A)' : 'missing or not a string'}`,
      );
  }
  // RFC 7591 sets no length; a client id is sent in every request and printed in every summary, so a server's
  // 200 KB one is its error, not a client to save.
  if (String(record.client_id).length > MAX_CLIENT_ID_LENGTH)
    throw protocolError(
      doing,
      `the server's client_id is ${String(record.client_id).length} characters long, more than the ${MAX_CLIENT_ID_LENGTH} oauth accepts`,
    );
  const stored: StoredRegistration = { version: 1, issuer, client_id: String(record.client_id) };
  if (typeof record.client_secret === 'string') stored.client_secret = record.client_secret;
  if (typeof record.client_secret_expires_at === 'number' && record.client_secret_expires_at > 0)
    stored.client_secret_expires_at = record.client_secret_expires_at;
  if (typeof record.registration_access_token === 'string')
    stored.registration_access_token = record.registration_access_token;
  if (record.registration_client_uri !== undefined) {
    try {
      stored.registration_client_uri = managementUri(record.registration_client_uri, managementOrigin, insecure);
    } catch (error) {
      if (!isCliError(error)) throw error;
      if (refused === 'keep') {
        warnings.push(`${error.message} The client configuration endpoint stored before is kept.`);
      } else {
        delete stored.registration_access_token;
        stored.management_refused = error.message;
        warnings.push(
          `${error.message} The client was registered, but it cannot be read or deleted with "${profileCommand('oauth register --show', profile)}" or "${profileCommand('oauth register --delete', profile)}".`,
        );
      }
    }
  }
  return stored;
}

/**
 * A registration_client_uri the registration access token may be sent to: it passes the URL policy, and it is on the
 * origin the token was given by (RFC 7592 §1 puts it on the same server; a token sent elsewhere is a token given away).
 */
function managementUri(value: unknown, origin: string | undefined, insecure: boolean): string {
  const url = serverUrl(value, 'registration_client_uri', insecure, 'the registration response');
  if (origin !== undefined && url.origin !== origin)
    throw new CliError(
      'PROTOCOL_ERROR',
      `The registration response's registration_client_uri is on ${url.origin}, another origin than ${origin}: the registration access token is not sent there.`,
    );
  return url.href;
}

/** A stored registration as the store holds it, or undefined when there is none or it is not one. */
export function parseStoredRegistration(text: string | undefined): StoredRegistration | undefined {
  let value: unknown;
  try {
    value = text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined; // not JSON: treated as absent, and overwritten by the next registration
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  if (entry.version !== 1 || typeof entry.client_id !== 'string' || typeof entry.issuer !== 'string') return undefined;
  const stored: StoredRegistration = { version: 1, issuer: entry.issuer, client_id: entry.client_id };
  if (typeof entry.client_secret === 'string') stored.client_secret = entry.client_secret;
  if (typeof entry.registration_access_token === 'string')
    stored.registration_access_token = entry.registration_access_token;
  if (typeof entry.registration_client_uri === 'string') stored.registration_client_uri = entry.registration_client_uri;
  if (typeof entry.management_refused === 'string') stored.management_refused = entry.management_refused;
  if (typeof entry.client_secret_expires_at === 'number')
    stored.client_secret_expires_at = entry.client_secret_expires_at;
  return stored;
}
