// The authorization request (PKCE S256 always, state always, nonce with openid), how it reaches the browser (plain,
// signed as a request object — RFC 9101 — and/or pushed first — RFC 9126), and the callback's validation (state,
// RFC 9207 iss, error responses, JARM's signed response) — all by oauth4webapi.
import * as oauth from 'oauth4webapi';
import { CliError } from '../errors.js';
import { explainProtocolError } from './errors.js';
import type { ProtocolOptions } from './transport.js';

export interface AuthorizationRequest {
  /** Every parameter of the request, as it would go to the authorization endpoint unsigned and unpushed. */
  parameters: URLSearchParams;
  state: string;
  nonce: string | undefined;
  codeVerifier: string;
}

/** JARM response modes a loopback callback can receive (fragment.jwt never reaches a server). */
export const JWT_RESPONSE_MODES = ['jwt', 'query.jwt', 'form_post.jwt'] as const;
export type JwtResponseMode = (typeof JWT_RESPONSE_MODES)[number];

export async function buildAuthorizationRequest(
  clientId: string,
  options: {
    redirectUri: string;
    scope: string;
    parameters: Record<string, string | string[]>;
    state?: string;
    responseMode?: JwtResponseMode | undefined;
  },
): Promise<AuthorizationRequest> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = options.state ?? oauth.generateRandomState();
  const openid = options.scope.split(' ').includes('openid');
  const nonce = openid ? oauth.generateRandomNonce() : undefined;
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(options.parameters))
    for (const item of [value].flat()) parameters.append(name, item);
  parameters.set('response_type', 'code');
  parameters.set('client_id', clientId);
  parameters.set('redirect_uri', options.redirectUri);
  if (options.scope) parameters.set('scope', options.scope);
  parameters.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  parameters.set('code_challenge_method', 'S256');
  parameters.set('state', state);
  if (nonce) parameters.set('nonce', nonce);
  if (options.responseMode) parameters.set('response_mode', options.responseMode);
  return { parameters, state, nonce, codeVerifier };
}

/** The URL the browser opens: the authorization endpoint with the given parameters. */
export function authorizationUrl(as: oauth.AuthorizationServer, parameters: URLSearchParams): URL {
  const url = new URL(as.authorization_endpoint!);
  for (const [name, value] of parameters) url.searchParams.append(name, value);
  return url;
}

/**
 * RFC 9101: the request as a JWT of typ oauth-authz-req+jwt signed with the client's key; what is sent is client_id and
 * `request`. Nothing in it is a secret of this run: state, nonce and the PKCE challenge travel the front channel anyway,
 * and the code verifier is never in it, so it may be printed like the URL it often rides in.
 */
export async function signRequestObject(
  as: oauth.AuthorizationServer,
  clientId: string,
  parameters: URLSearchParams,
  key: oauth.PrivateKey,
): Promise<URLSearchParams> {
  const request = await oauth.issueRequestObject(as, { client_id: clientId }, parameters, key);
  return new URLSearchParams({ client_id: clientId, request });
}

/**
 * The JWS alg oauth4webapi signs a request object with, from the key as it does (its keyToJws is not exported): the
 * metadata check below must name the same algorithm the request will carry.
 */
export function requestObjectAlg(key: CryptoKey): string | undefined {
  const algorithm: { name: string; hash?: unknown; namedCurve?: unknown } = key.algorithm;
  const { name, hash, namedCurve } = algorithm;
  const hashName = hash !== null && typeof hash === 'object' && 'name' in hash ? hash.name : hash;
  const bits = typeof hashName === 'string' ? hashName.replace('SHA-', '') : undefined;
  switch (name) {
    case 'RSA-PSS':
      return bits && `PS${bits}`;
    case 'RSASSA-PKCS1-v1_5':
      return bits && `RS${bits}`;
    case 'ECDSA':
      return namedCurve === 'P-256'
        ? 'ES256'
        : namedCurve === 'P-384'
          ? 'ES384'
          : namedCurve === 'P-521'
            ? 'ES512'
            : undefined;
    case 'Ed25519':
    case 'EdDSA':
      return 'Ed25519';
    default:
      return undefined;
  }
}

/**
 * RFC 9101 §10.5 / OpenID Discovery: a server that lists request_object_signing_alg_values_supported refuses a request
 * object signed otherwise, and only after the browser has opened. Said before (exit 2), naming what it takes; a server
 * that lists none is tried.
 */
export function assertRequestObjectAlg(as: oauth.AuthorizationServer, key: CryptoKey, origin: string): void {
  const supported = as.request_object_signing_alg_values_supported;
  if (!Array.isArray(supported) || supported.length === 0) return;
  const alg = requestObjectAlg(key);
  if (alg === undefined) return;
  // RFC 9864: Ed25519 is the fully specified name of EdDSA on that curve; a server may list either.
  if (supported.includes(alg) || (alg === 'Ed25519' && supported.includes('EdDSA'))) return;
  throw new CliError(
    'USAGE',
    `${as.issuer} does not take request objects signed with ${alg} (the algorithm of ${origin}).`,
    {
      hint: `It takes ${supported.map(String).join(', ')} (request_object_signing_alg_values_supported): sign with a key for one of them, or leave out --request-object.`,
    },
  );
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

/**
 * JARM: the callback's `response` JWT verified — signature against the server's JWKS (fetched through our transport),
 * iss, aud, exp — then its state and iss as for a plain callback. Only what passed is handed to the code exchange.
 */
export async function validateJwtCallback(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  parameters: URLSearchParams,
  expectedState: string,
  options: ProtocolOptions,
): Promise<URLSearchParams> {
  if (!parameters.has('response')) {
    // A server that could not wrap its answer (an error before it knew the client) sends it plain: say that error.
    validateCallback(as, client, parameters, expectedState);
    throw new CliError(
      'AUTH_RESPONSE_INVALID',
      'The sign-in failed: the callback has no "response" JWT, though a JWT response mode (JARM) was asked for.',
      { hint: 'The server may not support JARM for this client; drop --response-mode or check its registration.' },
    );
  }
  try {
    return await oauth.validateJwtAuthResponse(as, client, parameters, expectedState, options);
  } catch (error) {
    const explained = explainProtocolError(error, 'The JWT authorization response (JARM)', {
      jwtFailure: 'AUTH_RESPONSE_INVALID',
    });
    const refused =
      explained instanceof CliError &&
      (explained.code === 'AUTH_RESPONSE_INVALID' || (explained.code === 'PROTOCOL_ERROR' && !transportFailure(error)));
    if (refused) {
      // Whatever the library refused in the response JWT, its code must not be used: a failed check (exit 3).
      throw new CliError('AUTH_RESPONSE_INVALID', explained.message, {
        ...explained.facts,
        hint: "The response JWT must be signed with a key from the server's JWKS, name the server as iss and this client as aud, and be unexpired; no code was exchanged.",
      });
    }
    throw explained;
  }
}

function transportFailure(error: unknown): boolean {
  return (
    error instanceof oauth.OperationProcessingError &&
    (error.code === oauth.RESPONSE_IS_NOT_JSON || error.code === oauth.RESPONSE_IS_NOT_CONFORM)
  );
}
