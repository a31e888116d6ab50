// The ID token from a sign-in or a refresh, fully validated: oauth4webapi checked its claims (iss, aud, exp, iat, nonce,
// azp); here its signature is checked too, against the server's JWKS (or the client secret for HS*), with our verifier.
import { CliError, isCliError } from '../errors.js';
import { decodeToken } from '../jwt/decode.js';
import type { KeySource, KeySourceDeps } from '../jwt/key-source.js';

export interface IdTokenIssuer {
  issuer: string;
  jwksUri: string | undefined;
  clientId: string;
  /** The client's secret, the key of HS* ID tokens. */
  clientSecret: string | undefined;
}

export interface IdTokenDeps extends KeySourceDeps {
  /** Warnings about the key set (keys skipped as unusable, …). */
  warn(message: string): void;
}

/** The ID token's claims once its signature and claims hold; ID_TOKEN_INVALID naming the reason otherwise. */
export async function verifyIdToken(
  idToken: string,
  from: IdTokenIssuer,
  deps: IdTokenDeps,
): Promise<Record<string, unknown>> {
  const [{ keySetFrom }, { createVerifier }] = await Promise.all([
    import('../jwt/key-source.js'),
    import('../jwt/verifier.js'),
  ]);
  try {
    const decoded = decodeToken(idToken);
    const keys = await keySetFrom(keySourceFor(decoded.header.alg, from), deps);
    const verifier = createVerifier(
      async () => ({ keys, policy: { issuer: from.issuer, audience: [from.clientId], clockSkewSeconds: 30 } }),
      (ready) => {
        for (const warning of ready.warnings) deps.warn(warning);
      },
    );
    const result = await verifier.verify(idToken, decoded, deps.now() / 1000);
    if (result.status === 'valid') return result.verified.payload;
    throw result.status === 'invalid' ? result.reason : result.error;
  } catch (error) {
    if (isCliError(error) && (error.exitCode === 3 || error.exitCode === 2) && error.code !== 'ID_TOKEN_INVALID') {
      throw new CliError('ID_TOKEN_INVALID', `The ID token from ${from.issuer} is invalid: ${error.message}`, {
        details: { reason: error.code },
      });
    }
    throw error;
  }
}

function keySourceFor(alg: unknown, from: IdTokenIssuer): KeySource {
  if (typeof alg === 'string' && /^HS/.test(alg)) {
    if (!from.clientSecret)
      throw new CliError(
        'ID_TOKEN_INVALID',
        `The ID token is signed with ${alg} but this client has no secret to check it with.`,
      );
    return { kind: 'secret', secret: from.clientSecret, source: 'the client secret' };
  }
  if (!from.jwksUri)
    throw new CliError(
      'ID_TOKEN_INVALID',
      `${from.issuer} publishes no jwks_uri, so the ID token signature cannot be checked.`,
    );
  return { kind: 'jwks-url', url: from.jwksUri, name: 'jwks_uri' };
}
