// The authorization request (PKCE S256 always, state always, nonce with openid) and the callback's validation
// (state, RFC 9207 iss, error responses) — both by oauth4webapi.
import * as oauth from 'oauth4webapi';
import { explainProtocolError } from './errors.js';

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string | undefined;
  codeVerifier: string;
}

export async function buildAuthorizationRequest(
  as: oauth.AuthorizationServer,
  clientId: string,
  options: { redirectUri: string; scope: string; parameters: Record<string, string | string[]>; state?: string },
): Promise<AuthorizationRequest> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = options.state ?? oauth.generateRandomState();
  const openid = options.scope.split(' ').includes('openid');
  const nonce = openid ? oauth.generateRandomNonce() : undefined;
  const url = new URL(as.authorization_endpoint!);
  for (const [name, value] of Object.entries(options.parameters))
    for (const item of [value].flat()) url.searchParams.append(name, item);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  if (options.scope) url.searchParams.set('scope', options.scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (nonce) url.searchParams.set('nonce', nonce);
  return { url, state, nonce, codeVerifier };
}

/** Checks state and iss, and turns an error response into a CliError; returns the parameters for the code exchange. */
export function validateCallback(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  parameters: URLSearchParams,
  expectedState: string,
): URLSearchParams {
  try {
    return oauth.validateAuthResponse(as, client, parameters, expectedState);
  } catch (error) {
    throw explainProtocolError(error, 'The sign-in', { jwtFailure: 'AUTH_RESPONSE_INVALID' });
  }
}
