// Rules for an access token we can see (RFC 9068, RFC 9700 §2.2–2.3).
import type { DecodedJws } from '../jwt/decode.js';
import { lifetimeSeconds } from '../jwt/notes.js';
import { formatDuration } from '../jwt/time.js';
import { grantedScopes } from '../jwt/scopes.js';
import { finding, type Finding } from './catalog.js';

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * A token that is no JWT at all (no "eyJ" header, not three or five segments) is an opaque access token, which RFC 6749
 * allows: nothing to audit but the fact. A broken JWT is still an error of the input.
 */
export function checkOpaqueToken(token: string): Finding[] {
  const segments = token.split('.').length;
  if (token.startsWith('eyJ') || segments === 3 || segments === 5) return [];
  return [
    finding(
      'token-opaque',
      'the access token',
      'The access token is opaque (not a JWT): its lifetime, audience and scopes cannot be read from it.',
    ),
  ];
}

export function checkAccessToken(
  token: DecodedJws,
  options: { requestedScopes?: string[] | undefined; maxLifetimeSeconds: number },
): Finding[] {
  const findings: Finding[] = [];
  const { header, payload } = token;
  const subject = typeof payload.jti === 'string' ? `jti ${payload.jti}` : 'the access token';
  if (payload.exp === undefined) findings.push(finding('token-no-exp', subject, 'The access token has no exp.'));
  const lifetime = lifetimeSeconds(payload);
  if (lifetime !== undefined && lifetime > options.maxLifetimeSeconds) {
    findings.push(
      finding(
        'token-lifetime',
        formatDuration(lifetime),
        `The access token lives ${formatDuration(lifetime)}; the policy allows ${formatDuration(options.maxLifetimeSeconds)} (--max-token-lifetime).`,
      ),
    );
  }
  const aud = payload.aud;
  if (aud === undefined || aud === '' || (Array.isArray(aud) && aud.length === 0))
    findings.push(finding('token-no-aud', subject, 'The access token has no aud.'));
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : undefined;
  if (typ !== 'at+jwt')
    findings.push(
      finding(
        'token-typ',
        String(header.typ ?? '(none)'),
        `The access token's typ is ${JSON.stringify(header.typ ?? null)}, not "at+jwt".`,
      ),
    );
  if (options.requestedScopes) {
    const extra = grantedScopes(payload).filter((scope) => !options.requestedScopes!.includes(scope));
    if (extra.length > 0)
      findings.push(
        finding(
          'token-extra-scopes',
          extra.join(' '),
          `The token carries ${extra.join(', ')}, which were not requested (${options.requestedScopes.join(' ') || 'none'}).`,
        ),
      );
  }
  return findings;
}
