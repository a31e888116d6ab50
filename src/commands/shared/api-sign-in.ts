// Signing in on the way of an API call (`oauth curl`): the token the call carries, whether this run may sign in (a
// terminal, or --login), the sign-in for the server and resource the API names, or else the exit-4 error that says
// the `oauth login` which would.
import type { AuthorizationServer } from 'oauth4webapi';
import { CliError, isCliError } from '../../errors.js';
import type { AccessToken, ResourceCallDeps, SignInPlan } from '../../oauth/resource-call.js';
import { resourceMatches } from '../../oauth/resource.js';
import { scopeUnion } from '../../oauth/scope.js';
import type { Session } from '../../oauth/session.js';
import type { Context } from '../context.js';
import { freshProfileSession } from './fresh-session.js';
import { askChoice, canPrompt } from './prompt.js';
import {
  agreeToReplace,
  type Replaced,
  replacedBy,
  replacedWhat,
  revokeReplaced,
  sayReplacing,
} from './replaced-session.js';
import { requestParameters } from './request.js';
import { shellQuote } from './shell-quote.js';
import { type SignInFlags, signInProfile } from './sign-in.js';
import { store } from './store.js';
import { rememberSecrets } from './stored-session.js';

export type ApiSignInFlags = SignInFlags & { readonly login?: boolean | undefined };

/** What a call to `url` asks of the command: the profile's token, a sign-in as planned, one server of several. */
export function signInOnTheWay(
  ctx: Context,
  flags: ApiSignInFlags,
  url: URL,
): Pick<ResourceCallDeps, 'token' | 'signIn' | 'chooseServer'> {
  // After a sign-in in this run, its session is the one to use: the profile's settings were read before it.
  let signedIn: { session: Session; resource: string[] } | undefined;
  return {
    token: async () =>
      signedIn ? accessToken(ctx, signedIn.session, signedIn.resource) : await profileToken(ctx, flags, url),
    signIn: async (plan) => {
      const replaced = await replacedBy(ctx, plan);
      if (!maySignIn(ctx, flags, plan)) {
        if (plan.reason === 'step-up') return false;
        throw await signInNeeded(ctx, plan, url, replaced);
      }
      // The sign-in runs at the server the API names: at another one than the profile's, with none of the profile's
      // client, key, endpoints or parameters, only what this run gave (see the settings' issuer-bound ones).
      const here: Context = { ...ctx, settings: ctx.settings.atIssuer(plan.issuer, "the API's metadata") };
      if (!here.settings.clientId && !flags.register && !canPrompt(ctx)) {
        const registers = (await serverMetadata(ctx, plan.issuer))?.registration_endpoint !== undefined;
        throw new CliError('MISSING_SETTING', `No client id to sign in at ${plan.issuer} with.`, {
          hint: registers
            ? 'Pass --client-id (a client registered there; or set OAUTH_CLIENT_ID), or --register to register one first (RFC 7591).'
            : `Pass --client-id (or set OAUTH_CLIENT_ID) with a client registered at ${plan.issuer}: it offers no dynamic registration.`,
        });
      }
      // On a terminal the user is asked before anything happens (a registration included); with --login the
      // replacement is said once nothing is left to fail before the sign-in itself.
      if (replaced && !flags.login) await agreeToReplace(ctx, plan, url, replaced);
      ctx.out.info(
        plan.reason === 'step-up'
          ? `Signing in again at ${plan.issuer} for the missing scopes: ${plan.missingScopes?.join(' ')}`
          : `Signing in at ${plan.issuer} for ${plan.resource.join(' ')}`,
      );
      const { session } = await signInProfile(here, flags, {
        issuer: plan.issuer,
        resource: plan.resource,
        ...(plan.scope ? { addScope: plan.scope } : {}),
        ...(replaced ? { withoutProfileScope: true } : {}),
        ...(plan.reason === 'step-up' ? { keepProfileScope: true } : {}),
        ...(replaced && flags.login ? { beforeSignIn: () => sayReplacing(ctx, plan, url, replaced) } : {}),
      });
      rememberSecrets(ctx, session);
      signedIn = { session, resource: plan.resource };
      if (replaced) await revokeReplaced(ctx, replaced);
      return true;
    },
    chooseServer: (servers) => chooseServer(ctx, servers),
  };
}

/** The profile's token for this URL: none when there is no session, or its resource is another API's. */
async function profileToken(ctx: Context, flags: ApiSignInFlags, url: URL): Promise<AccessToken | undefined> {
  const tokens = await store(ctx);
  let session: Session;
  try {
    // A refresh asks for the profile's resource again, so the new token is for the same API (RFC 8707 §2.2).
    const { parameters } = requestParameters(ctx, flags);
    session = (await freshProfileSession(ctx, flags, tokens, { minTtlSeconds: 60, force: false, parameters })).session;
  } catch (error) {
    // No session, or one that is over: the API's answer says where to sign in.
    if (isCliError(error) && (error.code === 'NOT_LOGGED_IN' || error.code === 'REFRESH_TOKEN_REJECTED')) {
      if (ctx.out.verbosity > 0) ctx.out.trace(`curl: no usable session (${error.message}); calling without a token`);
      return undefined;
    }
    throw error;
  }
  rememberSecrets(ctx, session);
  const resource = ctx.settings.resource?.value ?? [];
  // A token meant for one API is not handed to another (it could replay it): a profile signed in for a resource sends
  // its token only to URLs under it.
  if (resource.length > 0 && !resource.some((one) => resourceMatches(one, url))) {
    ctx.out.info(
      `The profile's token is for ${resource.join(' ')}, not ${url.origin}${url.pathname}: calling without it.`,
    );
    return undefined;
  }
  return accessToken(ctx, session, resource);
}

function accessToken(ctx: Context, session: Session, resource: string[]): AccessToken {
  const jwk = session.token_type === 'DPoP' ? session.dpop_jwk : undefined;
  return {
    value: session.access_token,
    type: session.token_type,
    issuer: session.issuer,
    scope: session.scope,
    resource,
    ...(jwk
      ? {
          proof: async ({ url, method, nonce }) => {
            const { importDpopKey, resourceProof } = await import('../../oauth/dpop.js');
            const key = await importDpopKey(jwk, ctx.knownSecrets);
            return resourceProof(key, { url, method, accessToken: session.access_token, nonce }, ctx.now() / 1000);
          },
        }
      : {}),
  };
}

/** A sign-in for the resource on a terminal or with --login; a step-up (a second sign-in) only with --login. */
function maySignIn(ctx: Context, flags: ApiSignInFlags, plan: SignInPlan): boolean {
  return flags.login === true || (plan.reason === 'resource' && canPrompt(ctx));
}

async function signInNeeded(
  ctx: Context,
  plan: SignInPlan,
  url: URL,
  replaced: Replaced | undefined,
): Promise<CliError> {
  const server = await serverMetadata(ctx, plan.issuer);
  const login = loginCommandFor(ctx, plan, await scopeToAsk(ctx, plan, replaced !== undefined, server), server);
  const placeholder = login.includes(CLIENT_ID_PLACEHOLDER)
    ? ` (${CLIENT_ID_PLACEHOLDER}: a client registered at ${plan.issuer}, which offers no dynamic registration)`
    : '';
  const replaces = replaced
    ? ` That replaces ${replacedWhat(replaced)}; to keep both, add --profile <name> (a profile of its own for this API).`
    : '';
  const api = `${url.origin}${url.pathname}`;
  // A token the API refused is no "not signed in": the profile has a session, and the API said what is wrong with it.
  const said = [
    plan.rejected?.error,
    plan.rejected?.errorDescription !== undefined ? JSON.stringify(plan.rejected.errorDescription) : undefined,
  ]
    .filter(Boolean)
    .join(': ');
  const message = plan.rejected
    ? `The API rejected the profile's token${said ? ` (${said})` : ''}: ${api} needs a sign-in.`
    : `Not signed in for ${api}.`;
  return new CliError('NOT_LOGGED_IN', message, {
    ...(plan.rejected?.error ? { oauthError: plan.rejected.error } : {}),
    hint: `Its metadata names ${plan.issuer}. Sign in ${plan.rejected ? 'again ' : ''}there with: ${login}${placeholder} — then run this again (or run it with --login, which does both).${replaces}`,
  });
}

/**
 * What the sign-in on the way would ask for, said as a --scope for `oauth login` (which replaces its default with it):
 * the run's scope, else the server's default one, plus what the API asked for. Without the server's metadata, only
 * what the API asked for.
 */
async function scopeToAsk(
  ctx: Context,
  plan: SignInPlan,
  withoutProfileScope: boolean,
  server: AuthorizationServer | undefined,
): Promise<string | undefined> {
  if (!plan.scope) return undefined;
  const given = ctx.settings.scope;
  let base = withoutProfileScope && given?.source === 'profile' ? undefined : given?.value;
  if (base === undefined && server) base = (await import('../../oauth/sign-in.js')).defaultScope(server);
  return scopeUnion(base, plan.scope);
}

/** The server's metadata for what a printed command should say, or undefined when it cannot be had (said in -v). */
async function serverMetadata(ctx: Context, issuer: string): Promise<AuthorizationServer | undefined> {
  try {
    const { discover } = await import('../../oauth/discovery.js');
    return (
      await discover(new URL(issuer), { cache: await ctx.documents(), insecure: ctx.insecure, signal: ctx.io.signal })
    ).metadata;
  } catch (error) {
    if (ctx.out.verbosity > 0) ctx.out.trace(`curl: no metadata from ${issuer}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Where a printed command needs a client id only the user knows (a server without dynamic registration). */
const CLIENT_ID_PLACEHOLDER = '<CLIENT_ID>';

/** The exact `oauth login` that signs the profile in as planned, each value shell-quoted. */
function loginCommandFor(
  ctx: Context,
  plan: SignInPlan,
  scope: string | undefined,
  server: AuthorizationServer | undefined,
): string {
  const client = ctx.settings.clientId;
  const profileIssuer = ctx.settings.issuer?.value;
  const clientHere =
    client && !(client.source === 'profile' && profileIssuer !== plan.issuer) ? client.value : undefined;
  // Without a client for that server, the command registers one where the server offers registration; elsewhere it
  // names the one value only the user can know.
  const parts = ['oauth login', '--issuer', shellQuote(plan.issuer)];
  const noClient =
    server?.registration_endpoint === undefined ? ['--client-id', CLIENT_ID_PLACEHOLDER] : ['--register'];
  parts.push(...(clientHere ? ['--client-id', shellQuote(clientHere)] : noClient));
  for (const resource of plan.resource) parts.push('--resource', shellQuote(resource));
  if (scope) parts.push('--scope', shellQuote(scope));
  if (ctx.profileName !== 'default') parts.push('--profile', shellQuote(ctx.profileName));
  return parts.join(' ');
}

async function chooseServer(ctx: Context, servers: readonly string[]): Promise<string | undefined> {
  if (!canPrompt(ctx)) return undefined;
  return askChoice(
    ctx,
    'The API accepts tokens from these authorization servers; sign in at:',
    servers.map((server) => ({ value: server, name: ctx.out.clean(server) })),
  );
}
