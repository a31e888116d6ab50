// The grants and token-endpoint neighbours, each a request/process pair from oauth4webapi plus our error wording.
import * as oauth from 'oauth4webapi';
import { CliError } from '../errors.js';
import { describeOAuthError, explainProtocolError, printable, type ExplainOptions } from './errors.js';
import { isTokenText } from '../redact.js';
import { withRotatedRefreshToken } from './rotation.js';
import { requireEndpoint } from './server.js';
import type { ProtocolOptions } from './transport.js';

export interface Protocol {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  options: ProtocolOptions;
}

async function step<T>(doing: string, run: () => Promise<T>, options: ExplainOptions = {}): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw explainProtocolError(error, doing, options);
  }
}

/**
 * RFC 6749 A.12–A.13, A.17: access and refresh tokens and the token type are printable ASCII (VSCHAR). A newline or an
 * escape sequence in one is no token but an attack on whoever prints it (`Authorization: Bearer …` with a second
 * header line), so such a response is refused when it arrives, for every grant.
 */
function printableTokens<T extends oauth.TokenEndpointResponse>(response: T, doing: string): T {
  for (const member of ['access_token', 'refresh_token', 'token_type', 'id_token'] as const) {
    const value = response[member];
    if (typeof value === 'string' && !isTokenText(value)) {
      const reason = `the server's ${member} holds characters a token cannot have (only printable ASCII is allowed, RFC 6749 Appendix A)`;
      throw new CliError('PROTOCOL_ERROR', `${doing} failed: ${reason}.`, { reason, details: { member } });
    }
  }
  return response;
}

/** Token responses carry ID tokens: a failed JWT check there is an invalid ID token (exit 3), not a server fault. */
const ID_TOKEN_STEP: ExplainOptions = { jwtFailure: 'ID_TOKEN_INVALID' };

function withParameters(p: Protocol, parameters: Record<string, string | string[]>) {
  const additionalParameters = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters))
    for (const item of [value].flat()) if (item) additionalParameters.append(name, item);
  return { ...p.options, additionalParameters };
}

export function exchangeCode(
  p: Protocol,
  callback: URLSearchParams,
  redirectUri: string,
  codeVerifier: string,
  expectedNonce: string | undefined,
  parameters: Record<string, string | string[]> = {},
): Promise<oauth.TokenEndpointResponse> {
  requireEndpoint(p.as, 'token_endpoint', 'token-endpoint');
  return step(
    'The code exchange',
    async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        p.as,
        p.client,
        p.auth,
        callback,
        redirectUri,
        codeVerifier,
        withParameters(p, parameters),
      );
      const tokens = await oauth.processAuthorizationCodeResponse(p.as, p.client, response, {
        expectedNonce: expectedNonce ?? oauth.expectNoNonce,
        requireIdToken: expectedNonce !== undefined,
      });
      return printableTokens(tokens, 'The code exchange');
    },
    ID_TOKEN_STEP,
  );
}

export function refresh(
  p: Protocol,
  refreshToken: string,
  parameters: Record<string, string | string[]> = {},
): Promise<oauth.TokenEndpointResponse> {
  requireEndpoint(p.as, 'token_endpoint', 'token-endpoint');
  let answered: unknown;
  return step(
    'The refresh',
    async () => {
      try {
        const response = await oauth.refreshTokenGrantRequest(
          p.as,
          p.client,
          p.auth,
          refreshToken,
          withParameters(p, parameters),
        );
        // Read aside: if the answer is refused, a refresh token it holds is still the one the server now expects.
        if (response.status === 200)
          answered = await response
            .clone()
            .json()
            .catch(() => undefined);
        return printableTokens(await oauth.processRefreshTokenResponse(p.as, p.client, response), 'The refresh');
      } catch (error) {
        throw refusedRefresh(error) ?? error;
      }
    },
    { ...ID_TOKEN_STEP, publicClient: p.client.token_endpoint_auth_method === 'none' },
  ).catch((error: unknown) => {
    throw withRotatedRefreshToken(error, (answered as { refresh_token?: unknown } | undefined)?.refresh_token);
  });
}

/**
 * RFC 6749 §5.2: a token endpoint refuses a refresh with 400 (invalid_grant) or 401; real servers also send an empty,
 * text or HTML body. Whatever the body, the refresh token was not accepted: REFRESH_TOKEN_REJECTED (exit 4, sign in
 * again). Only a refusal of the client's own credentials (invalid_client, or a 401 challenge) stays a client error:
 * signing in again would not help, and the refresh token may still be good. Undefined for anything else.
 */
function refusedRefresh(error: unknown): CliError | undefined {
  if (
    error instanceof oauth.ResponseBodyError &&
    (error.status === 400 || error.status === 401) &&
    error.error !== 'invalid_client'
  ) {
    const reason = `the server answered ${describeOAuthError(error.error, error.error_description)} (HTTP ${error.status})`;
    return new CliError('REFRESH_TOKEN_REJECTED', `The refresh failed: ${reason}.`, {
      reason,
      endpoint: 'token endpoint',
      status: error.status,
      oauthError: printable(error.error),
      details: {
        status: error.status,
        error: printable(error.error),
        ...(error.error_description ? { error_description: printable(error.error_description) } : {}),
      },
    });
  }
  // The transport reports a refusal without an OAuth error body by its status and what the body was.
  if (error instanceof CliError && error.code === 'HTTP_STATUS' && (error.status === 400 || error.status === 401)) {
    const reason = error.reason ?? `the token endpoint answered HTTP ${error.status}`;
    return new CliError('REFRESH_TOKEN_REJECTED', `The refresh failed: ${reason}.`, {
      ...error.facts,
      reason,
      ...(error.details ? { details: error.details } : {}),
    });
  }
  return undefined;
}

export function clientCredentials(
  p: Protocol,
  parameters: Record<string, string | string[]>,
): Promise<oauth.TokenEndpointResponse> {
  requireEndpoint(p.as, 'token_endpoint', 'token-endpoint');
  return step('The client credentials grant', async () => {
    const flat = withParameters(p, parameters).additionalParameters;
    const response = await oauth.clientCredentialsGrantRequest(p.as, p.client, p.auth, flat, p.options);
    return printableTokens(
      await oauth.processClientCredentialsResponse(p.as, p.client, response),
      'The client credentials grant',
    );
  });
}

export function deviceAuthorization(
  p: Protocol,
  parameters: Record<string, string | string[]>,
): Promise<oauth.DeviceAuthorizationResponse> {
  requireEndpoint(p.as, 'device_authorization_endpoint', 'device-authorization-endpoint');
  return step('The device authorization request', async () => {
    const flat = withParameters(p, parameters).additionalParameters;
    const response = await oauth.deviceAuthorizationRequest(p.as, p.client, p.auth, flat, p.options);
    return oauth.processDeviceAuthorizationResponse(p.as, p.client, response);
  });
}

/** The longest a pushed request is believed to live: a server saying more (or a week) is not answering RFC 9126 §2.2. */
const PAR_MAX_LIFETIME_SECONDS = 3600;

/**
 * RFC 9126: the authorization request pushed to the server with the client's authentication (and p.options, so DPoP
 * and mTLS come along); the browser then gets only client_id and the request_uri. The request_uri goes into a URL we
 * print and open, so it must be printable text, and its lifetime a sane number: anything else is refused here, before
 * a browser is opened.
 */
export function pushAuthorizationRequest(
  p: Protocol,
  parameters: URLSearchParams,
): Promise<oauth.PushedAuthorizationResponse> {
  if (typeof p.as.pushed_authorization_request_endpoint !== 'string')
    throw new CliError(
      'USAGE',
      `The authorization server ${p.as.issuer} does not advertise a pushed authorization request endpoint.`,
      {
        hint: 'Drop --par: this server takes the authorization request in the browser only.',
      },
    );
  const doing = 'The pushed authorization request';
  return step(doing, async () => {
    const response = await oauth.pushedAuthorizationRequest(p.as, p.client, p.auth, parameters, p.options);
    const pushed = await oauth.processPushedAuthorizationResponse(p.as, p.client, response);
    const problem = pushedProblem(pushed);
    if (problem) {
      const reason = `the server's answer ${problem} (RFC 9126 §2.2)`;
      throw new CliError('PROTOCOL_ERROR', `${doing} failed: ${reason}.`, { reason });
    }
    return pushed;
  });
}

function pushedProblem(pushed: oauth.PushedAuthorizationResponse): string | undefined {
  const uri: unknown = pushed.request_uri;
  if (typeof uri !== 'string' || uri === '') return 'has no request_uri';
  // URI characters only (RFC 3986): no space, no control character, nothing a terminal or a browser would act on.
  if (uri.length > 2048 || !/^[\x21-\x7e]+$/.test(uri))
    return 'has a request_uri that is not a URI (control characters, spaces or over 2048 characters)';
  const lifetime: unknown = pushed.expires_in;
  if (
    typeof lifetime !== 'number' ||
    !Number.isFinite(lifetime) ||
    lifetime <= 0 ||
    lifetime > PAR_MAX_LIFETIME_SECONDS
  )
    return `has expires_in ${JSON.stringify(lifetime) ?? 'missing'}, not a number of seconds from 1 to ${PAR_MAX_LIFETIME_SECONDS}`;
  return undefined;
}

export interface PollDeps {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Told when the server's pace is not followed as given (once per reason is enough for a reader). */
  notice?: (message: string) => void;
}

/** RFC 8628 §3.2: 5 s when the server names no interval; never faster either, so no server value makes a busy loop. */
export const DEVICE_MIN_INTERVAL_SECONDS = 5;
/** A server that asks for more is still polled this often: the code expires long before an hour-long interval ends. */
export const DEVICE_MAX_INTERVAL_SECONDS = 60;
/** The longest a device code is waited for, whatever `expires_in` says. */
const DEVICE_MAX_LIFETIME_SECONDS = 3600;

export function deviceCodeLifetimeSeconds(device: oauth.DeviceAuthorizationResponse): number {
  return Math.min(device.expires_in, DEVICE_MAX_LIFETIME_SECONDS);
}

/** RFC 8628 §3.4–3.5: poll at `interval` (5 s at least), slow down by 5 s when told, stop at expiry or denial. */
export async function pollDeviceToken(
  p: Protocol,
  device: oauth.DeviceAuthorizationResponse,
  deps: PollDeps,
): Promise<oauth.TokenEndpointResponse> {
  const paced = (seconds: unknown, asked: string): number => {
    if (typeof seconds !== 'number' || Number.isNaN(seconds)) return DEVICE_MIN_INTERVAL_SECONDS;
    if (seconds < DEVICE_MIN_INTERVAL_SECONDS) {
      deps.notice?.(
        `The server ${asked} ${seconds} s; polling every ${DEVICE_MIN_INTERVAL_SECONDS} s, the fastest oauth polls.`,
      );
      return DEVICE_MIN_INTERVAL_SECONDS;
    }
    if (seconds > DEVICE_MAX_INTERVAL_SECONDS) {
      deps.notice?.(
        `The server ${asked} ${seconds} s; polling every ${DEVICE_MAX_INTERVAL_SECONDS} s instead, so the sign-in is noticed before the code expires.`,
      );
      return DEVICE_MAX_INTERVAL_SECONDS;
    }
    return seconds;
  };
  let intervalSeconds = paced(device.interval, 'asked to be polled every');
  const deadline = deps.now() + deviceCodeLifetimeSeconds(device) * 1000;
  for (;;) {
    // No wait outlives the code: a 60 s interval for a code that expires in 12 s polls once, at 12 s.
    const remainingMs = deadline - deps.now();
    if (remainingMs <= 0) break;
    await deps.sleep(Math.min(intervalSeconds * 1000, remainingMs), deps.signal);
    if (deps.now() > deadline) break;
    try {
      const response = await oauth.deviceCodeGrantRequest(p.as, p.client, p.auth, device.device_code, p.options);
      return printableTokens(await oauth.processDeviceCodeResponse(p.as, p.client, response), 'The device sign-in');
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'authorization_pending') continue;
      if (error instanceof oauth.ResponseBodyError && error.error === 'slow_down') {
        intervalSeconds = paced(intervalSeconds + 5, 'said slow_down; the interval would be');
        continue;
      }
      if (error instanceof oauth.ResponseBodyError && error.error === 'expired_token') break;
      throw explainProtocolError(error, 'The device sign-in');
    }
  }
  throw new CliError('DEVICE_CODE_EXPIRED', 'The device code expired before the sign-in was completed.', {
    hint: 'Run "oauth login --device" again and finish in the browser before the code expires.',
  });
}

export function revoke(p: Protocol, token: string, hint?: 'access_token' | 'refresh_token'): Promise<undefined> {
  requireEndpoint(p.as, 'revocation_endpoint', 'revocation-endpoint');
  return step('The revocation', async () => {
    const response = await oauth.revocationRequest(
      p.as,
      p.client,
      p.auth,
      token,
      withParameters(p, hint ? { token_type_hint: hint } : {}),
    );
    return oauth.processRevocationResponse(response);
  });
}

export function introspect(
  p: Protocol,
  token: string,
  hint?: 'access_token' | 'refresh_token',
): Promise<oauth.IntrospectionResponse> {
  requireEndpoint(p.as, 'introspection_endpoint', 'introspection-endpoint');
  return step('The introspection', async () => {
    const response = await oauth.introspectionRequest(
      p.as,
      p.client,
      p.auth,
      token,
      withParameters(p, hint ? { token_type_hint: hint } : {}),
    );
    return oauth.processIntrospectionResponse(p.as, p.client, response);
  });
}

export function userinfo(p: Protocol, accessToken: string, expectedSubject?: string): Promise<oauth.UserInfoResponse> {
  requireEndpoint(p.as, 'userinfo_endpoint', 'userinfo-endpoint');
  return step(
    'The userinfo request',
    async () => {
      const response = await oauth.userInfoRequest(p.as, p.client, accessToken, p.options);
      return oauth.processUserInfoResponse(p.as, p.client, expectedSubject ?? oauth.skipSubjectCheck, response);
    },
    { resource: true },
  );
}
