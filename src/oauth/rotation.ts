// A refresh answer refused after the server may already have rotated the refresh token (a scope of the wrong type, an
// ID token that fails its checks): the new refresh token must still be kept, or the next run presents the old one
// again and a rotating server revokes the grant. It travels with the error, out of sight (never in a message or in
// --json details), to the code that saves sessions.
import { isTokenText } from '../redact.js';

const rotated = new WeakMap<object, string>();

/** The error, carrying the refresh token the refused answer held (if it held a usable one). */
export function withRotatedRefreshToken<E>(error: E, refreshToken: unknown): E {
  if (error !== null && typeof error === 'object' && isTokenText(refreshToken)) rotated.set(error, refreshToken);
  return error;
}

export function rotatedRefreshToken(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' ? rotated.get(error) : undefined;
}
