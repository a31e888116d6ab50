// A sign-in an API asks for that would replace the profile's session (at another server, or for another resource):
// noticing it, asking before it happens, and revoking the replaced session afterwards.
import { CliError } from '../../errors.js';
import type { SignInPlan } from '../../oauth/resource-call.js';
import { parseSession, profileWhere, sameIssuer, type Session, sessionKey } from '../../oauth/session.js';
import type { Profile } from '../../settings/config.js';
import type { Context } from '../context.js';
import { askConfirm } from './prompt.js';
import { forgetRevoked, revokeReplacedSession } from './revoke-session.js';
import { shellQuote } from './shell-quote.js';
import { store } from './store.js';

/** What a sign-in for an API would take from the profile: its session (and settings) at another server or resource. */
export interface Replaced {
  server: string;
  resource: string[];
  otherServer: boolean;
  session: Session | undefined;
  /** The profile's settings before the sign-in rewrites them: whom to revoke the old session as. */
  before: Profile | undefined;
}

/**
 * An API names the server to sign in at; it must not be able to move the profile there unasked. A sign-in for the
 * resource that would leave the profile's server, or replace its session for another resource, is a replacement.
 */
export async function replacedBy(ctx: Context, plan: SignInPlan): Promise<Replaced | undefined> {
  if (plan.reason !== 'resource') return undefined;
  const before = ctx.profile();
  let session: Session | undefined;
  try {
    const tokens = await store(ctx);
    session = parseSession(await tokens.get(sessionKey(ctx.profileName)), profileWhere(ctx.profileName, tokens));
  } catch (error) {
    // A session that cannot be read is replaced by any sign-in anyway; the profile's settings still say its server.
    if (ctx.out.verbosity > 0) ctx.out.trace(`curl: the stored session cannot be read: ${(error as Error).message}`);
  }
  const server = session?.issuer ?? (typeof before?.issuer === 'string' ? before.issuer : undefined);
  if (server === undefined) return undefined;
  const resource = typeof before?.resource === 'string' ? before.resource.split(/[\s,]+/).filter(Boolean) : [];
  const otherServer = !sameIssuer(server, plan.issuer);
  // A session for no resource is the server's own (userinfo, its APIs at its origin): one bound to an API elsewhere
  // takes its place as much as one for another resource does.
  const otherResource =
    resource.length > 0
      ? resource.length !== plan.resource.length || resource.some((one) => !plan.resource.includes(one))
      : session !== undefined && plan.resource.some((one) => !sameOrigin(one, server));
  if (!otherServer && !otherResource) return undefined;
  return { server, resource, otherServer, session, before: before && { ...before } };
}

export function replacedWhat(replaced: Replaced): string {
  if (replaced.otherServer) return `the profile's session at ${replaced.server}`;
  return replaced.resource.length > 0
    ? `the profile's session for ${replaced.resource.join(' ')}`
    : `the profile's session at ${replaced.server}, which is for no one API`;
}

function sameOrigin(resource: string, server: string): boolean {
  try {
    return new URL(resource).origin === new URL(server).origin;
  } catch {
    return false;
  }
}

/** With --login (the yes without a terminal), said on stderr as the sign-in starts. */
export function sayReplacing(ctx: Context, plan: SignInPlan, url: URL, replaced: Replaced): void {
  ctx.out.warn(
    `Signing in at ${plan.issuer} for ${url.origin}${url.pathname} replaces ${replacedWhat(replaced)} (profile ${ctx.profileName}); --profile <name> would keep both.`,
  );
}

/** On a terminal the user says yes (default no). */
export async function agreeToReplace(ctx: Context, plan: SignInPlan, url: URL, replaced: Replaced): Promise<void> {
  const api = `${url.origin}${url.pathname}`;
  const what = `${replacedWhat(replaced)} (profile ${ctx.profileName})`;
  const yes = await askConfirm(
    ctx,
    ctx.out.clean(
      `${api} wants a sign-in at ${plan.issuer}. That replaces ${what}. Replace it? (to keep both, run with --profile <name>)`,
    ),
  );
  if (!yes) {
    throw new CliError('NOT_LOGGED_IN', `Not signed in for ${api}: kept ${what}.`, {
      hint: `To keep both, give this API a profile of its own: oauth curl --profile <name> ${shellQuote(url.href)} (or run it again and answer yes to replace it).`,
    });
  }
}

/**
 * The replaced session is revoked at its own server, best effort: once it is out of the store nothing can use or
 * revoke its refresh token, and a live grant nobody holds is only a risk. Only when the server is another one: at the
 * same server the new sign-in may share the old one's grant (oidc-provider reuses it), and a server may end the whole
 * grant with the refresh token (RFC 7009 §2.1), the new session with it.
 */
export async function revokeReplaced(ctx: Context, replaced: Replaced): Promise<void> {
  const { session } = replaced;
  if (session === undefined || !replaced.otherServer) return;
  const { revoked, failure } = await revokeReplacedSession(ctx, session, replaced.before);
  await forgetRevoked(ctx, await store(ctx), session, revoked);
  if (failure) ctx.out.warn(`The replaced session at ${replaced.server}: ${failure}`);
  else if (revoked.length > 0)
    ctx.out.info(
      `Revoked the replaced session's ${revoked.map((name) => name.replace('_', ' ')).join(' and ')} at ${replaced.server}.`,
    );
}
