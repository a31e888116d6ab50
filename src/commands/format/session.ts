// How a session is shown: redacted, with what was asked for and what was granted.
import type { Context } from '../context.js';
import { dated, datedRelative } from '../../jwt/time.js';
import { stub } from '../../redact.js';
import type { Session } from '../../oauth/session.js';

export function sessionSummary(session: Session, nowSeconds: number, extra: Record<string, unknown> = {}) {
  const requested = session.requested_scope?.split(' ').filter(Boolean) ?? [];
  const granted = session.scope?.split(' ').filter(Boolean) ?? [];
  return {
    ...extra,
    issuer: session.issuer,
    client_id: session.client_id,
    subject: session.subject ?? null,
    token_type: session.token_type,
    access_token: stub(session.access_token),
    expires_at: session.expires_at !== undefined ? dated(session.expires_at) : null,
    expires_in: session.expires_at !== undefined ? Math.round(session.expires_at - nowSeconds) : null,
    scope: {
      requested,
      granted,
      not_granted: requested.filter((scope) => !granted.includes(scope) && !evidenced(scope, session)),
      extra: granted.filter((scope) => requested.length > 0 && !requested.includes(scope)),
    },
    refresh_token: session.refresh_token !== undefined,
    refresh_expires_at: session.refresh_expires_at !== undefined ? dated(session.refresh_expires_at) : null,
    id_token: session.id_token !== undefined,
    ...(session.cert_thumbprint ? { cert_thumbprint: session.cert_thumbprint } : {}),
    ...(session.authorization_details ? { authorization_details: session.authorization_details } : {}),
  };
}

/** RFC 9396 details in one line: each type, with its first actions or locations; --json has them whole. */
export function authorizationDetailsLine(details: NonNullable<Session['authorization_details']>): string {
  return details
    .map((detail) => {
      const actions = Array.isArray(detail.actions) ? detail.actions.filter((a) => typeof a === 'string') : [];
      return actions.length ? `${detail.type} (${actions.join(', ')})` : detail.type;
    })
    .join('; ');
}

/**
 * The token response's scope describes the access token (RFC 6749 §5.1); with resource indicators it lists only the
 * API's scopes. An ID token shows openid was granted, a refresh token that offline_access was.
 */
function evidenced(scope: string, session: Session): boolean {
  return (
    (scope === 'openid' && session.id_token !== undefined) ||
    (scope === 'offline_access' && session.refresh_token !== undefined)
  );
}

/**
 * The access token's scope, then what was asked for when that differs. openid and offline_access are rarely listed in
 * the token's scope (RFC 6749 §5.1 describes the access token): what shows them granted is an ID token and a refresh
 * token, so those are said, and the line does not read as if they were refused.
 */
function scopeLine(session: Session, scope: { requested: string[]; granted: string[] }): string {
  const granted = scope.granted.join(' ') || '(none listed)';
  const same =
    scope.requested.length === scope.granted.length && scope.requested.every((one) => scope.granted.includes(one));
  if (scope.requested.length === 0 || same) return granted;
  const issued = [
    scope.requested.includes('openid') && session.id_token !== undefined ? 'ID token' : '',
    scope.requested.includes('offline_access') && session.refresh_token !== undefined ? 'refresh token' : '',
  ].filter(Boolean);
  const evidence = issued.length ? `; ${issued.join(' and ')} issued` : '';
  return `${granted} (asked: ${scope.requested.join(' ')}${evidence})`;
}

/** What to do when the access token runs out, for a session without a refresh token. */
export function renewalAdvice(session: Session): string {
  return session.grant_type === 'client_credentials'
    ? 'get a new one with oauth token --client-credentials'
    : 'sign in again when the access token expires';
}

/** options.store: where the tokens were saved, or undefined when they were not (then options.notStored says why). */
export function printSessionSummary(
  ctx: Context,
  session: Session,
  options: { profile: string; store: string | undefined; notStored?: string; heading: string },
): void {
  const nowSeconds = ctx.now() / 1000;
  const service = session.grant_type === 'client_credentials';
  const summary = sessionSummary(session, nowSeconds, {
    ...(service ? {} : { profile: options.profile }),
    store: options.store ?? null,
  });
  if (ctx.out.json) {
    ctx.out.jsonResult(summary);
    return;
  }
  const style = ctx.out.style;
  const expiry =
    session.expires_at !== undefined
      ? datedRelative(session.expires_at, nowSeconds)
      : 'unknown (the server did not say)';
  const lines = [
    `${style.green('✓')} ${options.heading}${session.subject ? ` ${options.heading === 'Signed in' ? 'as' : 'for'} ${style.bold(JSON.stringify(session.subject))}` : ''} at ${session.issuer}${service ? '' : ` (profile ${options.profile})`}`,
    `  client         ${session.client_id}`,
    `  access token   ${summary.access_token}, ${session.token_type}, expires ${expiry}`,
    `  scope          ${scopeLine(session, summary.scope)}`,
  ];
  if (summary.scope.not_granted.length)
    lines.push(`                 ${style.yellow(`not granted: ${summary.scope.not_granted.join(' ')}`)}`);
  if (session.authorization_details)
    lines.push(
      `  details        ${authorizationDetailsLine(session.authorization_details)} (RFC 9396; --json for all)`,
    );
  lines.push(
    `  refresh token  ${session.refresh_token ? `yes${summary.refresh_expires_at ? `, expires ${summary.refresh_expires_at}` : ''}` : `no (${renewalAdvice(session)})`}`,
  );
  if (session.cert_thumbprint) lines.push(`  bound to       client certificate x5t#S256 ${session.cert_thumbprint}`);
  lines.push(
    options.store !== undefined
      ? `  stored in      ${options.store}`
      : `  not stored     ${options.notStored ?? ''}`.trimEnd(),
  );
  ctx.out.result(lines);
}
