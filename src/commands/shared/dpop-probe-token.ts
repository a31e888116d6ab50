// The DPoP-bound token `check --probe` presents wrongly at userinfo: the profile's session when it is bound to a key
// (at this issuer, as this client), else a client-credentials token bound to a new key when the client is confidential;
// else why there is none and how to get one.
import type { DpopProbeToken } from '../../check/dpop-probe.js';
import { isCliError } from '../../errors.js';
import type { Session } from '../../oauth/session.js';
import type { Context } from '../context.js';

export type ProbeToken = DpopProbeToken | { skipped: string };

const HOW =
  'sign in with "oauth login --dpop" first (the profile\u2019s session is used), or give a confidential client (--client-secret-file or --private-key) to get one with client credentials';

/** The session binds its tokens to a key (RFC 9449): token_type DPoP, with its key kept. */
export function isDpopBound(session: Session | undefined): session is Session & { dpop_jwk: object } {
  return session?.token_type.toLowerCase() === 'dpop' && session.dpop_jwk !== undefined;
}

export async function dpopProbeToken(
  ctx: Context,
  session: Session | undefined,
  confidential: boolean,
  serviceToken: () => Promise<{ token: string; tokenType: string; key: DpopProbeToken['key'] }>,
): Promise<ProbeToken> {
  if (isDpopBound(session)) {
    const expired = session.expires_at !== undefined && session.expires_at * 1000 <= ctx.now() + 10_000;
    if (!expired) {
      const { importDpopKey } = await import('../../oauth/dpop.js');
      return {
        accessToken: session.access_token,
        key: await importDpopKey(session.dpop_jwk, ctx.knownSecrets),
        source: `the DPoP-bound token of profile "${ctx.profileName}"`,
      };
    }
    if (!confidential)
      return {
        skipped: `The DPoP-bound token of profile "${ctx.profileName}" has expired: run "oauth token --refresh" first.`,
      };
  }
  if (!confidential) return { skipped: `No DPoP-bound token to probe userinfo with: ${HOW}.` };
  try {
    const { token, tokenType, key } = await serviceToken();
    if (tokenType.toLowerCase() !== 'dpop')
      return {
        skipped: `The server answered a client-credentials request with DPoP by token_type ${JSON.stringify(tokenType)}: it did not bind the token, so there is no DPoP-bound token to probe with.`,
      };
    return { accessToken: token, key, source: 'a DPoP-bound client-credentials token' };
  } catch (error) {
    if (!isCliError(error)) throw error;
    return { skipped: `No DPoP-bound token: the client-credentials request failed (${error.message}) Else ${HOW}.` };
  }
}
