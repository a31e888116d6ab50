// The ID token from a sign-in, fully validated: oauth4webapi checked its claims (iss, aud, exp, iat, nonce, azp);
// here its signature is checked too, against the server's JWKS (or the client secret for HS*), with our verifier.
import type { Context } from './context.js';
import { CliError, isCliError } from '../errors.js';
import { decodeToken } from '../jwt/decode.js';
import type { KeySet } from '../jwt/keys.js';
import type { Connection } from './connection.js';

export async function verifyIdToken(
  ctx: Context,
  connection: Connection,
  idToken: string,
): Promise<Record<string, unknown>> {
  ctx.knownSecrets.add(idToken);
  const [{ verifyDecoded }, keys, { parseUrl }] = await Promise.all([
    import('../jwt/verify.js'),
    import('../jwt/keys.js'),
    import('../net/url.js'),
  ]);
  try {
    const decoded = decodeToken(idToken);
    const alg = decoded.header.alg;
    let keySet: KeySet;
    if (typeof alg === 'string' && /^HS/.test(alg)) {
      if (!connection.clientSecret)
        throw new CliError(
          'ID_TOKEN_INVALID',
          `The ID token is signed with ${alg} but this client has no secret to check it with.`,
        );
      keySet = keys.secretKeySet(new TextEncoder().encode(connection.clientSecret), 'the client secret');
    } else {
      if (!connection.as.jwks_uri)
        throw new CliError(
          'ID_TOKEN_INVALID',
          `${connection.as.issuer} publishes no jwks_uri, so the ID token signature cannot be checked.`,
        );
      keySet = await keys.remoteKeySet(parseUrl(connection.as.jwks_uri, 'jwks_uri'), {
        cache: await ctx.documents(),
        insecure: ctx.insecure,
        now: ctx.now,
      });
      for (const warning of keySet.warnings) ctx.out.warn(warning);
    }
    const verified = await verifyDecoded(
      idToken,
      decoded,
      keySet,
      { issuer: connection.as.issuer, audience: [connection.clientId], clockSkewSeconds: 30 },
      ctx.now() / 1000,
    );
    return verified.payload;
  } catch (error) {
    if (isCliError(error) && (error.exitCode === 3 || error.exitCode === 2) && error.code !== 'ID_TOKEN_INVALID') {
      throw new CliError('ID_TOKEN_INVALID', `The ID token from ${connection.as.issuer} is invalid: ${error.message}`, {
        details: { reason: error.code },
      });
    }
    throw error;
  }
}
