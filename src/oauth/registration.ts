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
}

export const registrationKey = (profile: string) => `registration:${profile}`;

export interface RegistrationDeps {
  http(): Promise<HttpClient>;
  /** --insecure: plain http to hosts that are not loopback. */
  insecure: boolean;
  signal?: AbortSignal | undefined;
  /** The run's secret registry. */
  secrets: { add(secret: string): unknown };
}

export interface Registered {
  stored: StoredRegistration;
  /** The server's answer as it came (its secrets are redacted by whoever prints it). */
  response: Record<string, unknown>;
  /** What the run should say but does not stop it: a management URI refused by the URL policy. */
  warnings: string[];
}

const PURPOSE = 'registration endpoint';
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
      ? 'The server wants an initial access token for registrations: set OAUTH_INITIAL_ACCESS_TOKEN (or --initial-access-token).'
      : 'The server refused the initial access token: check OAUTH_INITIAL_ACCESS_TOKEN (or --initial-access-token).',
  );
  const record = response as Record<string, unknown>;
  registerSecrets(record, deps);
  const warnings: string[] = [];
  const stored = storedFrom(as.issuer, record, deps.insecure, warnings);
  return { stored, response: record, warnings };
}

/** Reads the client's registration back (RFC 7592 §2.1); a rotated registration access token comes back in it. */
export async function readRegistration(
  stored: StoredRegistration,
  deps: RegistrationDeps,
): Promise<{ stored: StoredRegistration; response: Record<string, unknown> }> {
  const answer = await manage(stored, 'GET', deps);
  if (answer.status !== 200) throw refusal(answer, 'Reading the registration');
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
  const updated = storedFrom(stored.issuer, record, deps.insecure, []);
  // A server that leaves out what did not change (the secret, the URI) keeps what was stored.
  return {
    stored: {
      ...stored,
      ...Object.fromEntries(Object.entries(updated).filter(([, member]) => member !== undefined)),
    },
    response: record,
  };
}

/** Deletes the client at the server (RFC 7592 §2.3): 204, or a 404/401 for a client the server no longer knows. */
export async function deleteRegistration(stored: StoredRegistration, deps: RegistrationDeps): Promise<void> {
  const answer = await manage(stored, 'DELETE', deps);
  if (answer.status === 204 || answer.status === 200) return;
  throw refusal(answer, 'Deleting the registration');
}

async function manage(stored: StoredRegistration, method: 'GET' | 'DELETE', deps: RegistrationDeps) {
  const { registration_client_uri: uri, registration_access_token: token } = stored;
  if (!uri || !token) {
    throw new CliError(
      'USAGE',
      `The server gave no ${uri ? 'registration access token' : 'registration_client_uri'} for client ${stored.client_id}: it cannot be read or deleted through client management (RFC 7592).`,
      { hint: 'Manage this client in the server’s own console.' },
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
function refusal(answer: Awaited<ReturnType<HttpClient['request']>>, doing: string): CliError {
  const error = statusError(answer, MANAGEMENT);
  if (answer.status !== 401 && answer.status !== 403) return error;
  return new CliError('TOKEN_REJECTED', `${doing} failed: ${error.reason}.`, {
    ...error.facts,
    hint: 'The registration access token is no longer accepted (revoked, or the client was deleted at the server); register again with "oauth register".',
  });
}

function protocolError(doing: string, reason: string): CliError {
  return new CliError('PROTOCOL_ERROR', `${doing} failed: ${reason}.`, { reason });
}

async function step<T>(doing: string, run: () => Promise<T>, unauthorizedHint: string): Promise<T> {
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
    const hint = error.oauthError ? REGISTRATION_HINTS[error.oauthError] : undefined;
    if (!hint) throw error;
    throw new CliError(error.code, error.message, {
      ...error.facts,
      hint,
      ...(error.details ? { details: error.details } : {}),
    });
  }
}

/** RFC 7591 §3.2.2's error codes, with what to change. */
const REGISTRATION_HINTS: Record<string, string> = {
  invalid_redirect_uri:
    'Check --redirect-uri: a native client uses http://127.0.0.1/<path> (any port), a web client an https URI.',
  invalid_client_metadata:
    'Check --grant-type, --auth-method and --scope against what the server supports ("oauth discover").',
  invalid_software_statement: 'This server wants a software statement, which oauth does not send.',
  unapproved_software_statement: 'This server wants a software statement, which oauth does not send.',
};

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
  insecure: boolean,
  warnings: string[],
): StoredRegistration {
  for (const member of ['client_id', 'client_secret', 'registration_access_token']) {
    const value = record[member];
    if (value === undefined && member !== 'client_id') continue;
    if (!isTokenText(value))
      throw protocolError(
        'The registration',
        `the server's ${member} is ${typeof value === 'string' ? 'not printable ASCII (RFC 6749 Appendix A)' : 'missing or not a string'}`,
      );
  }
  const stored: StoredRegistration = { version: 1, issuer, client_id: String(record.client_id) };
  if (typeof record.client_secret === 'string') stored.client_secret = record.client_secret;
  if (typeof record.client_secret_expires_at === 'number' && record.client_secret_expires_at > 0)
    stored.client_secret_expires_at = record.client_secret_expires_at;
  if (typeof record.registration_access_token === 'string')
    stored.registration_access_token = record.registration_access_token;
  if (record.registration_client_uri !== undefined) {
    try {
      stored.registration_client_uri = serverUrl(
        record.registration_client_uri,
        'registration_client_uri',
        insecure,
        'the registration response',
      ).href;
    } catch (error) {
      if (!isCliError(error)) throw error;
      delete stored.registration_access_token;
      warnings.push(
        `${error.message} The client was registered, but it cannot be read or deleted with "oauth register --show/--delete".`,
      );
    }
  }
  return stored;
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
  if (typeof entry.client_secret_expires_at === 'number')
    stored.client_secret_expires_at = entry.client_secret_expires_at;
  return stored;
}
