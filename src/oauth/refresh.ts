// Refreshing a stored session through a connection: the refresh grant, and the ID token it returns validated as at
// sign-in before anything is saved. freshSession (session.ts) decides when to call this, under the profile's lock.
import { CliError, isCliError, saidAfter } from '../errors.js';
import type { Connection } from './connect.js';
import { idTokenIssuer } from './connect.js';
import { refresh } from './grants.js';
import { type IdTokenDeps, verifyIdToken } from './id-token.js';
import { rotatedRefreshToken, withRotatedRefreshToken } from './rotation.js';
import type { Refreshed } from './session.js';

export interface RefreshDeps {
  /** The run's secret registry: every token the refresh sends or receives is added the moment it is known. */
  secrets: { add(secret: string): unknown };
  idToken: IdTokenDeps;
}

/**
 * The refresh answer for a session's refresh token, or an error carrying the refresh token the server rotated to (if it sent one), so
 * that the caller keeps it whatever else was refused.
 */
export async function refreshSession(
  connection: Connection,
  refreshToken: string,
  parameters: Record<string, string[]>,
  deps: RefreshDeps,
): Promise<Refreshed> {
  deps.secrets.add(refreshToken);
  let rotated: string | undefined;
  try {
    const response = await refresh(connection.protocol, refreshToken, parameters);
    rotated = response.refresh_token;
    for (const secret of [response.access_token, response.refresh_token, response.id_token])
      if (typeof secret === 'string' && secret) deps.secrets.add(secret);
    const refreshed: Refreshed = { response, ...(connection.dpop ? { dpopJwk: connection.dpop.jwk } : {}) };
    if (response.id_token)
      refreshed.idTokenClaims = await verifyIdToken(response.id_token, idTokenIssuer(connection), deps.idToken);
    return refreshed;
  } catch (error) {
    // An ID token refused on the way in (iss, aud, exp, nbf, signature): nothing was saved; say so, and what to do.
    if (!isCliError(error) || error.code !== 'ID_TOKEN_INVALID') throw withRotatedRefreshToken(error, rotated);
    throw withRotatedRefreshToken(
      new CliError(
        error.code,
        `${saidAfter('The ID token from the refresh was refused', error)} The stored tokens were left as they were (only a new refresh token, if the server sent one, was kept).`,
        {
          ...error.facts,
          hint: 'If the server or the account really changed, sign in again with "oauth login".',
          ...(error.details ? { details: error.details } : {}),
        },
      ),
      rotated ?? rotatedRefreshToken(error),
    );
  }
}
