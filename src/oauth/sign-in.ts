// Signing in: authorization code + PKCE through a loopback callback (RFC 8252), or the device flow (RFC 8628); the ID
// token fully validated; the session saved. The browser, the clock, the store and what the user is shown come in as
// deps: the command decides how they look, this decides what happens.
import type { TokenEndpointResponse } from 'oauth4webapi';
import { CliError } from '../errors.js';
import { formatDuration } from '../jwt/time.js';
import { serverUrl } from '../net/url.js';
import { MAX_TIMER_MS } from '../settings/duration.js';
import { idTokenIssuer, type Connection } from './connect.js';
import type { PrivateKey } from 'oauth4webapi';
import type { AuthorizationDetails } from './authorization-details.js';
import {
  authorizationUrl,
  buildAuthorizationRequest,
  type JwtResponseMode,
  signRequestObject,
  validateCallback,
  validateJwtCallback,
} from './authorize.js';
import {
  deviceAuthorization,
  deviceCodeLifetimeSeconds,
  exchangeCode,
  pollDeviceToken,
  pushAuthorizationRequest,
} from './grants.js';
import { type IdTokenDeps, verifyIdToken } from './id-token.js';
import { type Session, sessionFromResponse } from './session.js';

/** Where the loopback callback listens (RFC 8252 §7.3). */
export interface LoopbackChoice {
  host: '127.0.0.1' | '[::1]' | 'localhost';
  port: number;
  path: string;
}

export type SignInMethod =
  | {
      kind: 'browser';
      loopback: LoopbackChoice;
      timeoutMs: number;
      /** Open the browser at the authorization URL (else only show it). */
      openBrowser: boolean;
      /** RFC 9126: push the request first; the browser gets only client_id and request_uri. */
      push?: boolean;
      /** RFC 9101: sign the request as a request object with this key. */
      requestObjectKey?: PrivateKey | undefined;
      /** JARM: the response comes back as a signed JWT, verified before its code is used. */
      responseMode?: JwtResponseMode | undefined;
    }
  | { kind: 'device' };

export interface SignInRequest {
  connection: Connection;
  scope: string;
  /** Extra authorization request parameters (resource, audience, --param). */
  parameters: Record<string, string[]>;
  method: SignInMethod;
  /** Endpoints given for this sign-in instead of discovered: kept with the session, its tokens go only there. */
  endpoints: Record<string, string>;
  /** RFC 9396 details asked for (also in `parameters`): the session keeps them when the server does not say. */
  authorizationDetails?: AuthorizationDetails | undefined;
}

/** What the user is shown while signing in; the command decides how it looks. */
export interface SignInPrompts {
  authorizationUrl(url: string): void;
  browserFailed(message: string): void;
  deviceCode(code: { verificationUri: string; userCode: string; verificationUriComplete: string | undefined }): void;
  /** A long wait, until stop(). */
  waiting(message: string): { stop(): void };
  /** A word from the device flow's polling (the server slowed it down), said once. */
  notice(message: string): void;
  /** A callback the loopback server refused, for traces. */
  refusedCallback(reason: string): void;
}

export interface SignInDeps {
  /** Milliseconds since the epoch. */
  now(): number;
  insecure: boolean;
  signal?: AbortSignal | undefined;
  openBrowser(url: string): Promise<void>;
  /** The run's secret registry: the code, the verifier and every token are added the moment they are known. */
  secrets: { add(secret: string): unknown };
  /** Redacts what the browser's page says of a failure, as the terminal's output is. */
  redact(text: string): string;
  idToken: IdTokenDeps;
  /** Stores the session (under the profile's lock): the sign-in counts, and the browser says so, only once it is. */
  save(session: Session): Promise<void>;
  prompts: SignInPrompts;
}

export async function signIn(request: SignInRequest, deps: SignInDeps): Promise<Session> {
  const complete = (response: TokenEndpointResponse) => completeSignIn(request, deps, response);
  return request.method.kind === 'device'
    ? complete(await deviceSignIn(request, deps))
    : browserSignIn(request, request.method, deps, complete);
}

/** The scope asked for when none is given: OpenID Connect's sign-in with a refresh token, where the server offers it. */
export function defaultScope(as: Connection['as']): string {
  const supported = as.scopes_supported;
  const oidc = supported
    ? supported.includes('openid')
    : as.userinfo_endpoint !== undefined || as.id_token_signing_alg_values_supported !== undefined;
  const wanted = oidc ? ['openid', 'offline_access'] : [];
  return wanted.filter((scope) => !supported || supported.includes(scope)).join(' ');
}

/** Everything that must hold before the sign-in counts (and the browser is told so): the ID token, the store. */
async function completeSignIn(
  request: SignInRequest,
  deps: SignInDeps,
  response: TokenEndpointResponse,
): Promise<Session> {
  const { connection } = request;
  if (response.id_token) deps.secrets.add(response.id_token);
  const subject = response.id_token
    ? (await verifyIdToken(response.id_token, idTokenIssuer(connection), deps.idToken)).sub
    : undefined;
  const session = sessionFromResponse(response, {
    issuer: connection.as.issuer,
    clientId: connection.clientId,
    requestedScope: request.scope,
    nowSeconds: Math.floor(deps.now() / 1000),
    subject: typeof subject === 'string' ? subject : undefined,
    clientSecret: connection.clientSecret,
    endpoints: request.endpoints,
    dpopJwk: connection.dpop?.jwk,
    certThumbprint: connection.certThumbprint,
    authorizationDetails: request.authorizationDetails,
  });
  for (const secret of [session.access_token, session.refresh_token, session.id_token, session.client_secret])
    if (secret) deps.secrets.add(secret);
  await deps.save(session);
  return session;
}

async function browserSignIn<T>(
  request: SignInRequest,
  method: Extract<SignInMethod, { kind: 'browser' }>,
  deps: SignInDeps,
  complete: (response: TokenEndpointResponse) => Promise<T>,
): Promise<T> {
  const { connection, scope, parameters } = request;
  const { as } = connection;
  if (!as.authorization_endpoint) {
    throw new CliError('USAGE', `${as.issuer} has no authorization endpoint.`, {
      hint: 'Pass --authorization-endpoint, or use --device.',
    });
  }
  const { startCallbackServer } = await import('../net/loopback.js');
  // The state is made before the server starts, so the server can check it; the URL needs the server's port.
  const { generateRandomState } = await import('oauth4webapi');
  const state = generateRandomState();
  const server = await startCallbackServer({
    ...method.loopback,
    expectedState: state,
    timeoutMs: method.timeoutMs,
    signal: deps.signal,
    jwtResponse: method.responseMode !== undefined,
    formPost: method.responseMode === 'form_post.jwt',
    onRefused: (reason) => deps.prompts.refusedCallback(reason),
  });
  try {
    const authorization = await buildAuthorizationRequest(connection.clientId, {
      redirectUri: server.redirectUri,
      scope,
      parameters,
      state,
      responseMode: method.responseMode,
    });
    deps.secrets.add(authorization.codeVerifier);
    let sent = authorization.parameters;
    if (method.requestObjectKey) sent = await signRequestObject(as, connection.clientId, sent, method.requestObjectKey);
    if (method.push) {
      // Pushed before anything is opened: a refused or malformed answer ends here, with no browser involved.
      const pushed = await pushAuthorizationRequest(connection.protocol, sent);
      sent = new URLSearchParams({ client_id: connection.clientId, request_uri: pushed.request_uri });
    }
    const url = authorizationUrl(as, sent);
    deps.prompts.authorizationUrl(url.href);
    if (method.openBrowser) {
      await deps
        .openBrowser(url.href)
        .catch((error: Error) => deps.prompts.browserFailed(`${error.message}; open the URL above yourself.`));
    }
    const waiting = deps.prompts.waiting(
      `Waiting for the browser to come back to ${server.redirectUri} (Ctrl-C to cancel)…`,
    );
    let callback: URLSearchParams;
    try {
      callback = await server.callback;
    } finally {
      waiting.stop();
    }
    // A JARM response JWT carries the code: it is as secret as the code itself.
    for (const name of ['code', 'response']) {
      const value = callback.get(name);
      if (value) deps.secrets.add(value);
    }
    try {
      const validated = method.responseMode
        ? await validateJwtCallback(as, connection.protocol.client, callback, state, connection.protocol.options)
        : validateCallback(as, connection.protocol.client, callback, state);
      const code = validated.get('code');
      if (code) deps.secrets.add(code);
      const response = await exchangeCode(
        connection.protocol,
        validated,
        server.redirectUri,
        authorization.codeVerifier,
        authorization.nonce,
        resourceOnly(parameters),
      );
      const completed = await complete(response);
      server.respond({ ok: true });
      return completed;
    } catch (error) {
      // The browser page is printed output too: redacted like the terminal's.
      const message = error instanceof CliError ? deps.redact(error.message) : 'oauth stopped on an internal error.';
      server.respond({ ok: false, message });
      throw error;
    }
  } finally {
    await server.close();
  }
}

/** RFC 8707 §2.2: the resource goes to the token endpoint too; other extra parameters belong to the authorization request. */
function resourceOnly(parameters: Record<string, string[]>): Record<string, string[]> {
  return parameters.resource ? { resource: parameters.resource } : {};
}

async function deviceSignIn(request: SignInRequest, deps: SignInDeps): Promise<TokenEndpointResponse> {
  const { connection, scope, parameters } = request;
  const device = await deviceAuthorization(connection.protocol, {
    ...parameters,
    ...(scope ? { scope: [scope] } : {}),
  });
  deps.secrets.add(device.device_code);
  // The user is told to open these: they pass the URL policy like any endpoint (a user_code is shown, so it is printable text).
  const from = 'the device authorization response';
  const verificationUri = serverUrl(device.verification_uri, 'verification_uri', deps.insecure, from).href;
  const complete =
    device.verification_uri_complete === undefined
      ? undefined
      : serverUrl(device.verification_uri_complete, 'verification_uri_complete', deps.insecure, from).href;
  deps.prompts.deviceCode({ verificationUri, userCode: String(device.user_code), verificationUriComplete: complete });
  const waiting = deps.prompts.waiting(
    `Waiting for the sign-in to be completed (code expires in ${formatDuration(deviceCodeLifetimeSeconds(device))}; Ctrl-C to cancel)…`,
  );
  try {
    return await pollDeviceToken(connection.protocol, device, {
      now: deps.now,
      sleep: (ms, signal) => sleep(ms, signal),
      signal: deps.signal,
      notice: (message) => deps.prompts.notice(message),
    });
  } finally {
    waiting.stop();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CliError('CANCELLED', 'Cancelled.'));
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CliError('CANCELLED', 'Cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
