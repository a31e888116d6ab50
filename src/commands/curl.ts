// `oauth curl`: call an API with the profile's access token, curl's way of spelling it. The flow (discovery through
// RFC 9728, signing in for the resource, step-up) is src/oauth/resource-call.ts; here, the flags become its request and
// the answer becomes stdout and the exit code.
import { STATUS_CODES } from 'node:http';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import type { Context } from './context.js';
import { CliError, Exit, isCliError } from '../errors.js';
import type { BodySink, HttpResponse } from '../net/http.js';
import { assertSecureUrl, parseUrl } from '../net/url.js';
import type { AccessToken, CallResult, SignInPlan } from '../oauth/resource-call.js';
import { resourceMatches } from '../oauth/resource.js';
import { parseSession, profileWhere, sameIssuer, type Session, sessionKey } from '../oauth/session.js';
import type { Profile } from '../settings/config.js';
import { parseHeaders, requestBody } from './shared/api-request.js';
import { argument, defineCommand, flag, type FlagValues, option, repeatable } from './define.js';
import { CLIENT_FLAGS, SIGN_IN_FLAGS } from './shared/client-flags.js';
import { freshProfileSession } from './shared/fresh-session.js';
import { canPrompt, promptContext } from './shared/prompt.js';
import { requestParameters } from './shared/request.js';
import { signInProfile } from './shared/sign-in.js';
import { store } from './shared/store.js';
import { forgetRevoked, revokeReplacedSession } from './shared/revoke-session.js';
import { rememberSecrets } from './shared/stored-session.js';

/** The largest answer held in memory: any but a 2xx (a 401 may still need a sign-in), and any on a terminal. */
export const MAX_BODY_BYTES = 100 * 1024 * 1024;
/** The largest 2xx body passed on to a pipe or -o as it arrives. */
export const MAX_STREAMED_BYTES = 1024 * 1024 * 1024;

const FLAGS = {
  request: option('-X, --request <method>', 'HTTP method (default GET, or POST with a body)'),
  header: repeatable('-H, --header <header>', 'request header "Name: value" (repeatable)'),
  data: repeatable(
    '-d, --data <data>',
    "form body (POST, application/x-www-form-urlencoded; -d '' an empty one); @file, @- for stdin",
    { mayBeEmpty: true },
  ),
  dataBinary: option('--data-binary <data>', 'body sent exactly as given; @file sends the file byte for byte', {
    mayBeEmpty: true,
  }),
  json: option('--json <json>', 'JSON body (POST, content-type and accept application/json); @file reads a file'),
  include: flag('-i, --include', 'print the status line and the response headers before the body'),
  output: option('-o, --output <file>', 'write the body to this file instead of stdout (- is stdout)'),
  fail: flag('--no-fail', 'print the answer whatever its status and exit 0'),
  discover: flag('--discover', "read the API's RFC 9728 metadata before the first call"),
  login: flag('--login', 'sign in when the API asks for it (also without a terminal), and again for missing scopes'),
  register: flag(
    '--register',
    'signing in without a client id: register a public client at the server first (RFC 7591), if it can',
  ),
  scope: option('--scope <scopes>', 'scopes to ask for when signing in; env OAUTH_SCOPE'),
  // What a sign-in on the way needs: the server (one the API lists) and the client; no endpoint flags, since the
  // server is found through the API's metadata and discovery.
  issuer: CLIENT_FLAGS.issuer,
  clientId: CLIENT_FLAGS.clientId,
  clientSecretFile: CLIENT_FLAGS.clientSecretFile,
  clientSecretStdin: CLIENT_FLAGS.clientSecretStdin,
  authMethod: CLIENT_FLAGS.authMethod,
  privateKey: CLIENT_FLAGS.privateKey,
  ...SIGN_IN_FLAGS,
};

export type CurlFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'curl',
  description:
    "Call an API with the profile's access token (refreshed first when needed), in the Authorization header only: never " +
    'in the URL, and never to where a redirect points (redirects are not followed; -i shows the Location). On a 401 the ' +
    "API's protected resource metadata (RFC 9728: the challenge's resource_metadata, else /.well-known/oauth-protected-" +
    'resource) names the authorization server; on a terminal, or with --login, the profile signs in there for that ' +
    "resource (RFC 8707) and the call is made again, once. A sign-in that would replace the profile's session at " +
    'another server (or for another resource) is asked first on a terminal, and done without one only with --login; ' +
    'the replaced session is revoked at its server (--profile <name> keeps both). An insufficient_scope challenge names the missing scopes; ' +
    'with --login the profile signs in again for them. The body goes to stdout byte for byte on a pipe or with -o; on a ' +
    'terminal text is shown with control characters escaped and binary is not shown. A 2xx body is passed on as it ' +
    'arrives, up to 1 GiB; other answers, and any on a terminal, are read whole, up to 100 MiB. --timeout bounds the ' +
    'whole exchange.',
  args: { url: argument('<url>', 'the API URL') },
  flags: FLAGS,
  examples: [
    'oauth curl https://api.example.com/orders',
    'oauth curl -i https://api.example.com/orders/42',
    'oauth curl --json \'{"item":"book"}\' https://api.example.com/orders',
    'oauth curl -X DELETE https://api.example.com/orders/42',
    'oauth curl --login https://api.example.com/orders   # sign in for it first if it asks (RFC 9728)',
    'oauth curl --login --register https://mcp.example.com/mcp   # no client yet: register one at its server',
    'oauth curl -o report.pdf https://api.example.com/reports/7',
  ],
  exits:
    'Exit codes: 0 a 2xx answer or 304 Not Modified (any answer with --no-fail) · 2 bad flags · 3 401/403 after sign-in\n' +
    '            and step-up · 4 sign-in needed (the command to run is printed) · 5 network error, redirect (a 3xx with\n' +
    '            a Location) or other status',
  run: (args, flags, ctx) => run(args.url!, flags, ctx),
});

async function run(target: string, flags: CurlFlags, ctx: Context): Promise<number> {
  const url = parseUrl(target, 'API URL');
  assertSecureUrl(url, ctx.insecure, 'API');
  refuseTwoStdinReaders(flags);
  const body = await requestBody(flags, ctx.io.stdin);
  const headers = { ...body?.headers, ...parseHeaders(flags.header ?? []) };
  const method = flags.request ?? (body ? 'POST' : 'GET');
  const { callResource } = await import('../oauth/resource-call.js');

  // After a sign-in in this run, its session is the one to use: the profile's settings were read before it.
  let signedIn: { session: Session; resource: string[] } | undefined;
  const passOn = bodySink(ctx, flags);
  try {
    const result = await callResource(
      { url, method, headers, ...(body ? { body: body.data } : {}), maxBytes: MAX_BODY_BYTES, sink: passOn.sink },
      {
        discover: flags.discover === true,
        // Given to this run (flag or OAUTH_ISSUER), the server is the user's choice; the profile's is only preferred.
        issuer: ctx.settings.issuer?.source === 'profile' ? undefined : ctx.settings.issuer?.value,
        profileIssuer: ctx.settings.issuer?.value,
      },
      {
        http: () => ctx.http(),
        documents: () => ctx.documents(),
        insecure: ctx.insecure,
        token: async () =>
          signedIn ? accessToken(signedIn.session, signedIn.resource) : await profileToken(ctx, flags, url),
        signIn: async (plan) => {
          const replaced = await replacedBy(ctx, plan);
          if (!maySignIn(ctx, flags, plan)) {
            if (plan.reason === 'step-up') return false;
            throw await signInNeeded(ctx, plan, url, replaced);
          }
          if (replaced) await agreeToReplace(ctx, flags, plan, url, replaced);
          if (!ctx.settings.clientId && !flags.register && !canPrompt(ctx)) {
            throw new CliError('MISSING_SETTING', `No client id to sign in at ${plan.issuer} with.`, {
              hint: 'Pass --client-id (a client registered there; or set OAUTH_CLIENT_ID), or --register to register one first (RFC 7591).',
            });
          }
          ctx.out.info(
            plan.reason === 'step-up'
              ? `Signing in again at ${plan.issuer} for the missing scopes: ${plan.missingScopes?.join(' ')}`
              : `Signing in at ${plan.issuer} for ${plan.resource.join(' ')}`,
          );
          const { session } = await signInProfile(ctx, flags, {
            issuer: plan.issuer,
            resource: plan.resource,
            ...(plan.scope ? { addScope: plan.scope } : {}),
            ...(replaced ? { withoutProfileScope: true } : {}),
            ...(plan.reason === 'step-up' ? { keepProfileScope: true } : {}),
          });
          rememberSecrets(ctx, session);
          signedIn = { session, resource: plan.resource };
          if (replaced?.session && replaced.otherServer) await revokeReplaced(ctx, replaced, replaced.session);
          return true;
        },
        chooseServer: (servers) => chooseServer(ctx, servers),
        note: (text) => {
          if (ctx.out.verbosity > 0 || canPrompt(ctx)) ctx.out.info(text);
        },
      },
    );
    return printResult(ctx, flags, result, passOn.used());
  } finally {
    passOn.close();
  }
}

/** stdin is read once: a body from @- and a secret from --client-secret-stdin cannot both come from it. */
function refuseTwoStdinReaders(flags: CurlFlags): void {
  if (!flags.clientSecretStdin) return;
  const body = [
    ...(flags.data ?? []).filter((value) => value === '@-').map(() => '-d @-'),
    ...(flags.dataBinary === '@-' ? ['--data-binary @-'] : []),
    ...(flags.json === '@-' ? ['--json @-'] : []),
  ][0];
  if (body === undefined) return;
  throw new CliError('USAGE', `--client-secret-stdin and ${body} both read stdin.`, {
    hint: 'Give the secret with --client-secret-file (or OAUTH_CLIENT_SECRET), or the body from a file (@file).',
  });
}

/**
 * A 2xx body (the final answer) goes to a pipe or -o as it arrives, after the head when -i; anything else is held and
 * printed once the call is over. On a terminal nothing streams: text is made printable whole.
 */
function bodySink(ctx: Context, flags: CurlFlags) {
  let used = false;
  let fd: number | undefined;
  const sink = (head: { status: number; headers: Record<string, string> }): BodySink | undefined => {
    const toFile = outputFile(flags) !== undefined;
    if (head.status < 200 || head.status >= 300 || (!toFile && ctx.io.stdoutIsTTY)) return undefined;
    used = true;
    if (flags.include) printHead(ctx, head.status, head.headers);
    if (!toFile) return { write: (chunk) => writeStdout(ctx, chunk), maxBytes: MAX_STREAMED_BYTES };
    fd = openOutput(flags.output!);
    const file = fd;
    return { write: (chunk) => writeOutput(file, chunk, flags.output!), maxBytes: MAX_STREAMED_BYTES };
  };
  return {
    sink,
    used: () => used,
    close: () => {
      if (fd !== undefined) closeSync(fd);
    },
  };
}

/** -o <file>; `-o -` is stdout, as in curl (a file named "-" is -o ./-). */
function outputFile(flags: CurlFlags): string | undefined {
  return flags.output === '-' ? undefined : flags.output;
}

function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (error) {
    throw cannotWrite(path, error);
  }
}

function writeOutput(fd: number, chunk: Buffer, path: string): void {
  try {
    for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
  } catch (error) {
    throw cannotWrite(path, error);
  }
}

/** A failure writing the answer is local: it names the sink and the cause, never the network. */
function cannotWrite(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new CliError('OUTPUT_FAILED', `Cannot write ${path === '-' ? 'stdout' : `-o ${path}`}: ${code}.`, {
    hint:
      code === 'ENOSPC'
        ? 'The disk (or device) is full: free some space or write elsewhere.'
        : path === '-'
          ? 'Check where stdout goes.'
          : 'Check that the directory exists and that this user may write there.',
  });
}

/** stdout: a reader that went away (EPIPE) is handled where the streams are made; anything else is said here. */
function writeStdout(ctx: Context, chunk: Uint8Array): void {
  try {
    ctx.out.bytes(chunk);
  } catch (error) {
    throw cannotWrite('-', error);
  }
}

/** The profile's token for this URL: none when there is no session, or its resource is another API's. */
async function profileToken(ctx: Context, flags: CurlFlags, url: URL): Promise<AccessToken | undefined> {
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
  return accessToken(session, resource);
}

function accessToken(session: Session, resource: string[]): AccessToken {
  return {
    value: session.access_token,
    type: session.token_type,
    issuer: session.issuer,
    scope: session.scope,
    resource,
  };
}

/** A sign-in for the resource on a terminal or with --login; a step-up (a second sign-in) only with --login. */
function maySignIn(ctx: Context, flags: CurlFlags, plan: SignInPlan): boolean {
  return flags.login === true || (plan.reason === 'resource' && canPrompt(ctx));
}

async function signInNeeded(
  ctx: Context,
  plan: SignInPlan,
  url: URL,
  replaced: Replaced | undefined,
): Promise<CliError> {
  const login = loginCommandFor(ctx, plan, await scopeToAsk(ctx, plan, replaced !== undefined));
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
    hint: `Its metadata names ${plan.issuer}. Sign in ${plan.rejected ? 'again ' : ''}there with: ${login} — then run this again (or run it with --login, which does both).${replaces}`,
  });
}

/** What a sign-in for an API would take from the profile: its session (and settings) at another server or resource. */
interface Replaced {
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
async function replacedBy(ctx: Context, plan: SignInPlan): Promise<Replaced | undefined> {
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
  const otherResource =
    resource.length > 0 &&
    (resource.length !== plan.resource.length || resource.some((one) => !plan.resource.includes(one)));
  if (!otherServer && !otherResource) return undefined;
  return { server, resource, otherServer, session, before: before && { ...before } };
}

function replacedWhat(replaced: Replaced): string {
  return replaced.otherServer
    ? `the profile's session at ${replaced.server}`
    : `the profile's session for ${replaced.resource.join(' ')}`;
}

/** On a terminal the user says yes (default no); without one, --login is the yes, and it is said on stderr. */
async function agreeToReplace(
  ctx: Context,
  flags: CurlFlags,
  plan: SignInPlan,
  url: URL,
  replaced: Replaced,
): Promise<void> {
  const api = `${url.origin}${url.pathname}`;
  const what = `${replacedWhat(replaced)} (profile ${ctx.profileName})`;
  if (flags.login) {
    ctx.out.warn(`Signing in at ${plan.issuer} for ${api} replaces ${what}; --profile <name> would keep both.`);
    return;
  }
  const { confirm } = await import('@inquirer/prompts');
  const yes = await confirm(
    {
      message: ctx.out.clean(
        `${api} wants a sign-in at ${plan.issuer}. That replaces ${what}. Replace it? (to keep both, run with --profile <name>)`,
      ),
      default: false,
    },
    promptContext(ctx),
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
async function revokeReplaced(ctx: Context, replaced: Replaced, session: Session): Promise<void> {
  const { revoked, failure } = await revokeReplacedSession(ctx, session, replaced.before);
  await forgetRevoked(ctx, await store(ctx), session, revoked);
  if (failure) ctx.out.warn(`The replaced session at ${replaced.server}: ${failure}`);
  else if (revoked.length > 0)
    ctx.out.info(
      `Revoked the replaced session's ${revoked.map((name) => name.replace('_', ' ')).join(' and ')} at ${replaced.server}.`,
    );
}

/**
 * What the sign-in on the way would ask for, said as a --scope for `oauth login` (which replaces its default with it):
 * the run's scope, else the server's default one, plus what the API asked for. Without the server's metadata, only
 * what the API asked for.
 */
async function scopeToAsk(ctx: Context, plan: SignInPlan, withoutProfileScope: boolean): Promise<string | undefined> {
  if (!plan.scope) return undefined;
  const given = ctx.settings.scope;
  let base = withoutProfileScope && given?.source === 'profile' ? undefined : given?.value;
  if (base === undefined) {
    try {
      const [{ discover }, { defaultScope }] = await Promise.all([
        import('../oauth/discovery.js'),
        import('../oauth/sign-in.js'),
      ]);
      const found = await discover(new URL(plan.issuer), {
        cache: await ctx.documents(),
        insecure: ctx.insecure,
        signal: ctx.io.signal,
      });
      base = defaultScope(found.metadata);
    } catch (error) {
      if (ctx.out.verbosity > 0)
        ctx.out.trace(`curl: no default scope from ${plan.issuer}: ${(error as Error).message}`);
    }
  }
  return [...new Set(`${base ?? ''} ${plan.scope}`.split(/\s+/).filter(Boolean))].join(' ');
}

/** The exact `oauth login` that signs the profile in as planned, each value shell-quoted. */
function loginCommandFor(ctx: Context, plan: SignInPlan, scope: string | undefined): string {
  const client = ctx.settings.clientId;
  const profileIssuer = ctx.settings.issuer?.value;
  const clientHere =
    client && !(client.source === 'profile' && profileIssuer !== plan.issuer) ? client.value : undefined;
  // Without a client for that server, the command registers one (it says so if the server cannot).
  const parts = ['oauth login', '--issuer', shellQuote(plan.issuer)];
  parts.push(...(clientHere ? ['--client-id', shellQuote(clientHere)] : ['--register']));
  for (const resource of plan.resource) parts.push('--resource', shellQuote(resource));
  if (scope) parts.push('--scope', shellQuote(scope));
  if (ctx.profileName !== 'default') parts.push('--profile', shellQuote(ctx.profileName));
  return parts.join(' ');
}

export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

async function chooseServer(ctx: Context, servers: readonly string[]): Promise<string | undefined> {
  if (!canPrompt(ctx)) return undefined;
  const { select } = await import('@inquirer/prompts');
  return select(
    {
      message: 'The API accepts tokens from these authorization servers; sign in at:',
      choices: servers.map((server) => ({ value: server, name: ctx.out.clean(server) })),
    },
    promptContext(ctx),
  );
}

async function printResult(ctx: Context, flags: CurlFlags, result: CallResult, streamed: boolean): Promise<number> {
  const { response } = result;
  if (!streamed) {
    if (flags.include) printHead(ctx, response.status, response.headers);
    writeBody(ctx, flags, response);
  }
  if (flags.fail === false || result.outcome === 'ok') return Exit.ok;
  throw failure(result, flags.login === true);
}

/** -i: the status line and the headers, one printable line each (a server's header cannot start a line of ours). */
function printHead(ctx: Context, status: number, headers: Record<string, string>): void {
  ctx.out.result([
    `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd(),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
  ]);
}

function writeBody(ctx: Context, flags: CurlFlags, response: HttpResponse): void {
  const file = outputFile(flags);
  if (file !== undefined) {
    try {
      writeFileSync(file, response.body);
    } catch (error) {
      throw cannotWrite(file, error);
    }
    return;
  }
  if (response.body.length === 0) return;
  if (!ctx.io.stdoutIsTTY) {
    writeStdout(ctx, response.body);
    return;
  }
  // A terminal would run the escape sequences a body holds: text is shown printable, binary not at all (as curl does).
  const text = new TextDecoder('utf-8', { fatal: false }).decode(response.body);
  if (response.body.includes(0) || text.includes('\ufffd')) {
    ctx.out.warn(
      `The body is binary (${response.body.length} bytes) and is not shown on a terminal: use -o <file>, or pipe it.`,
    );
    return;
  }
  ctx.out.result(text.replace(/\r?\n$/, '').split(/\r?\n/));
}

function failure(result: CallResult, signedInAgain: boolean): CliError {
  const { response, challenge } = result;
  const status = `${response.status}${STATUS_CODES[response.status] ? ` ${STATUS_CODES[response.status]}` : ''}`;
  if (result.outcome === 'redirect') {
    const location = response.headers.location;
    return new CliError(
      'HTTP_REDIRECT',
      `The API answered ${status}${location ? `, to ${location}` : ''}; redirects are not followed, so the token goes nowhere else.`,
      {
        status: response.status,
        hint: 'Call the URL it points to yourself if you trust it (--no-fail prints this answer and exits 0).',
      },
    );
  }
  if (result.outcome === 'refused') {
    const said = challenge
      ? [
          challenge.error,
          challenge.errorDescription !== undefined ? JSON.stringify(challenge.errorDescription) : undefined,
        ]
          .filter(Boolean)
          .join(' ')
      : '';
    const missing = result.missingScopes?.length
      ? `; the token lacks the scopes ${result.missingScopes.join(' ')}`
      : '';
    return new CliError('API_REFUSED', `The API answered ${status}${said ? `: ${said}` : ''}${missing}.`, {
      status: response.status,
      ...(challenge?.error ? { oauthError: challenge.error } : {}),
      hint: result.missingScopes?.length
        ? signedInAgain
          ? 'A sign-in asked for them and the server did not grant them: the client or the account may not be allowed them (see oauth status).'
          : // Not a command line rebuilt from the URL alone: it would drop the method, the body and the headers.
            'Sign in again for them: run the same command again with --login.'
        : response.status === 401
          ? 'The token was not accepted: sign in again (oauth login, or oauth curl --login), or check the profile.'
          : 'The token was accepted but may not do this: check its scopes (oauth status) and the account’s rights.',
    });
  }
  return new CliError('HTTP_STATUS', `The API answered ${status}.`, {
    status: response.status,
    hint: 'The body above is what it said; --no-fail exits 0 whatever the status.',
  });
}
