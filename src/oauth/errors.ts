// oauth4webapi's errors, said in words: which endpoint, what the server answered (RFC 6749 §5.2), and what to do.
import * as oauth from 'oauth4webapi';
import { CliError, isCliError, type ErrorCode } from '../errors.js';
import { redactText } from '../redact.js';

const HINTS: Record<string, string> = {
  invalid_client:
    'Check the client id and its secret or key (OAUTH_CLIENT_SECRET, --client-secret-file, --private-key) and --auth-method.',
  invalid_grant: 'The code or refresh token is expired, used or revoked; sign in again with "oauth login".',
  invalid_scope: 'Ask only for scopes the client is allowed (see "oauth discover" for scopes_supported).',
  unauthorized_client: 'This client is not allowed to use this grant type; check its registration.',
  unsupported_grant_type: 'The server does not support this grant type for this client.',
  invalid_target: 'The server does not know that resource/audience (RFC 8707); check --resource.',
  access_denied: 'The request was declined at the authorization server.',
};

/** invalid_client for a client that sends no credential: nothing but its id can be wrong. */
const PUBLIC_INVALID_CLIENT_HINT =
  'A public client has no secret to get wrong: the server does not know this client id, so the client may no longer exist there (deleted, or its registration expired). Register one again ("oauth register", or "oauth login --register") or sign in with another --client-id.';

/** What to do when a resource refuses the access token. */
export const TOKEN_REJECTED_HINT =
  'Get a fresh token with "oauth token --refresh", or sign in again with "oauth login".';

/**
 * A server's text as a string, whatever type it sent (RFC 6749 says a string; servers send objects and numbers). It is
 * not cut here: the output redacts it and then bounds it, since a cut first could leave a secret's head unrecognised.
 */
export function printable(text: unknown): string {
  return typeof text === 'string' ? text : (JSON.stringify(text) ?? String(text));
}

export function describeOAuthError(error: unknown, description: unknown): string {
  return description ? `${printable(error)} (${printable(description)})` : printable(error);
}

export interface ExplainOptions {
  /** What a failed JWT check in this step means: an invalid ID token (code exchange, refresh) or callback. */
  jwtFailure?: 'ID_TOKEN_INVALID' | 'AUTH_RESPONSE_INVALID';
  /**
   * The step calls a resource (userinfo) with an access token. Everywhere else the client authenticates itself, so a
   * challenge, whatever its scheme, refuses the client's credentials rather than a token.
   */
  resource?: boolean;
  /** The client authenticates with nothing (a public client): invalid_client can only mean an unknown client id. */
  publicClient?: boolean;
}

const JWT_CHECKS = new Set<string>([oauth.JWT_TIMESTAMP_CHECK, oauth.JWT_CLAIM_COMPARISON, oauth.KEY_SELECTION]);

export function explainProtocolError(error: unknown, doing: string, options: ExplainOptions = {}): unknown {
  if (isCliError(error)) return error;
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) {
    const code: ErrorCode = error.error === 'access_denied' ? 'ACCESS_DENIED' : 'OAUTH_ERROR';
    const hint =
      error.error === 'invalid_client' && options.publicClient ? PUBLIC_INVALID_CLIENT_HINT : HINTS[error.error];
    const status = error instanceof oauth.ResponseBodyError ? error.status : undefined;
    const reason = `the server answered ${describeOAuthError(error.error, error.error_description)}${status === undefined ? '' : ` (HTTP ${status})`}`;
    return new CliError(code, `${doing} failed: ${reason}.`, {
      reason,
      status,
      oauthError: printable(error.error),
      ...(hint ? { hint } : {}),
      details: {
        error: printable(error.error),
        ...(error.error_description ? { error_description: printable(error.error_description) } : {}),
      },
    });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    const parameters = challenge?.parameters ?? {};
    const detail = parameters.error
      ? describeOAuthError(parameters.error, parameters.error_description)
      : `HTTP ${error.status}`;
    if (options.resource && (challenge?.scheme === 'bearer' || challenge?.scheme === 'dpop')) {
      const reason = `the access token was rejected (${detail})`;
      return new CliError('TOKEN_REJECTED', `${doing} failed: ${reason}.`, {
        reason,
        status: error.status,
        ...(parameters.error ? { oauthError: parameters.error } : {}),
        hint: TOKEN_REJECTED_HINT,
      });
    }
    // A Basic (or other) challenge from the token endpoint: the client's own credentials were refused.
    const reason = `the server refused the client's credentials (invalid_client, ${detail})`;
    return new CliError('OAUTH_ERROR', `${doing} failed: ${reason}.`, {
      reason,
      status: error.status,
      oauthError: printable(parameters.error ?? 'invalid_client'),
      hint: options.publicClient ? PUBLIC_INVALID_CLIENT_HINT : HINTS.invalid_client,
      details: { error: printable(parameters.error ?? 'invalid_client') },
    });
  }
  if (error instanceof oauth.OperationProcessingError) {
    const transport = error.code === oauth.RESPONSE_IS_NOT_JSON || error.code === oauth.RESPONSE_IS_NOT_CONFORM;
    const jwt =
      JWT_CHECKS.has(error.code ?? '') ||
      /JWT|id_token|"nonce"|"azp"|"auth_time"|response parameter/.test(error.message);
    const code = options.jwtFailure && jwt && !transport ? options.jwtFailure : 'PROTOCOL_ERROR';
    const reason = redactText(libraryMessage(error));
    return new CliError(code, `${doing} failed: ${reason}.`, { reason, details: { reason: error.code } });
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    // Raised for what the server sent back (a token_type other than Bearer/DPoP, an unsupported JWE…), not for flags.
    const tokenType = (error.cause as { body?: { token_type?: unknown } } | undefined)?.body?.token_type;
    const what = /token_type/.test(error.message)
      ? `token_type ${printable(JSON.stringify(tokenType) ?? 'missing')}, which oauth cannot use (only Bearer and DPoP are supported)`
      : libraryMessage(error);
    const reason = `the server's response uses ${what}`;
    return new CliError('PROTOCOL_ERROR', `${doing} failed: ${reason}.`, { reason });
  }
  if (error instanceof TypeError && (error as { code?: string }).code === oauth.HTTP_REQUEST_FORBIDDEN) {
    return new CliError('INSECURE_URL', `${doing} needs an endpoint over plain http on a host that is not loopback.`, {
      reason: 'the endpoint uses plain http on a host that is not loopback',
      hint: 'Use https, or pass --insecure if you really mean an unencrypted connection.',
    });
  }
  return error;
}

/**
 * oauth4webapi says what failed only in its message, written for a developer: its "response" (the parameter's name)
 * becomes the response, and its code quotes become plain ones, so the text reads in a sentence of ours.
 */
function libraryMessage(error: Error): string {
  return error.message.replace(/^"response" /, 'the response ').replace(/`/g, '"');
}
