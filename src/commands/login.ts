// `oauth login`: the sign-in flow (src/oauth/sign-in.ts) with this run's settings, browser, store and terminal; the
// non-secret settings saved as the profile.
import { type Profile, updateConfig } from '../settings/config.js';
import type { Context } from './context.js';
import { CliError, Exit } from '../errors.js';
import { MAX_WAIT_SECONDS, parseSeconds, timerMs } from '../settings/duration.js';
import { redactText } from '../redact.js';
import { configFile } from '../settings/paths.js';
import { waitIndicator } from '../term/progress.js';
import { systemBrowser } from '../term/browser.js';
import { sessionKey } from '../oauth/session.js';
import { defaultScope, type LoopbackChoice, type SignInPrompts, signIn } from '../oauth/sign-in.js';
import { parseUrl, isLoopbackHost } from '../net/url.js';
import { defineCommand, flag, type FlagValues, option } from './define.js';
import { CLIENT_FLAGS, REQUEST_FLAGS } from './shared/client-flags.js';
import { connect } from './shared/connect.js';
import { printSessionSummary } from './format/session.js';
import { idTokenDeps } from './shared/id-token-deps.js';
import { withProfileLock } from './shared/fresh-session.js';
import { requestParameters } from './shared/request.js';
import { registerForSignIn } from './shared/registration.js';
import { store } from './shared/store.js';
import type { SecretStore } from '../store/store.js';

const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;

const FLAGS = {
  ...CLIENT_FLAGS,
  ...REQUEST_FLAGS,
  device: flag('--device', 'use the device flow (for SSH sessions and machines without a browser)'),
  port: option('--port <port>', 'port for the loopback callback (default: a random free port)'),
  redirectUri: option('--redirect-uri <uri>', 'exact loopback redirect URI, e.g. http://127.0.0.1:8400/callback'),
  browser: flag('--no-browser', 'only print the URL to open'),
  register: flag(
    '--register',
    'without a client id: register a public client first (RFC 7591), when the server has a registration endpoint',
  ),
  loginTimeout: option(
    '--login-timeout <seconds>',
    `how long to wait for the sign-in (default ${DEFAULT_LOGIN_TIMEOUT_SECONDS})`,
  ),
};

export type LoginFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'login',
  description:
    'Sign in with the authorization code flow and PKCE through a loopback callback on 127.0.0.1 (RFC 8252), or with the ' +
    'device flow (--device). The ID token is fully validated. Tokens are stored in the OS keychain (or a 0600 file when ' +
    'there is none); the non-secret settings are saved as the profile, so later commands need no flags.',
  flags: FLAGS,
  examples: [
    'oauth login --issuer https://id.example.com --client-id my-cli',
    'oauth login --issuer https://id.example.com --client-id my-cli --scope "openid offline_access api:read"',
    'oauth login --device                     # SSH sessions, machines without a browser',
    'oauth login --issuer https://mcp.example.com --register   # no client yet: register one, then sign in',
    'oauth login --profile staging --issuer https://id.staging.example.com --client-id my-cli',
    'BROWSER=firefox oauth login',
  ],
  exits:
    'Exit codes: 0 signed in · 2 bad flags · 3 invalid ID token or callback · 4 denied or timed out · 5 server error · 130 cancelled',
  run: (_args, flags, ctx) => run(flags, ctx),
});

async function run(flags: LoginFlags, ctx: Context): Promise<number> {
  const timeoutMs = timerMs(
    parseSeconds(flags.loginTimeout ?? String(DEFAULT_LOGIN_TIMEOUT_SECONDS), '--login-timeout', {
      max: MAX_WAIT_SECONDS,
    }),
  );
  // Every flag is checked before the first request: a bad --port is the user's to fix, whatever the server does.
  const loopback = flags.device
    ? undefined
    : loopbackFrom(ctx.settings.redirectUri?.value, flags.port, ctx.settings.redirectUri?.origin ?? 'the default');
  const registered = flags.register
    ? await registerForSignIn(ctx, { loopback, redirectUri: ctx.settings.redirectUri?.value })
    : undefined;
  const connection = await connect(ctx, flags, {}, registered);
  const { as } = connection;
  const request = requestParameters(ctx, flags);
  const scope = request.scope ?? defaultScope(as);
  // The store is opened once the sign-in completed, as the last thing before the session counts.
  let tokens: SecretStore | undefined;
  const session = await signIn(
    {
      connection,
      scope,
      parameters: request.parameters,
      method: loopback
        ? { kind: 'browser', loopback, timeoutMs, openBrowser: flags.browser !== false }
        : { kind: 'device' },
      endpoints: explicitEndpoints(ctx),
    },
    {
      now: ctx.now,
      insecure: ctx.insecure,
      signal: ctx.io.signal,
      openBrowser: ctx.io.openBrowser ?? systemBrowser(ctx.io.env),
      secrets: ctx.knownSecrets,
      redact: (text) => redactText(text, ctx.knownSecrets),
      idToken: idTokenDeps(ctx),
      // Under the profile's session lock: a refresh in flight for the previous session cannot overwrite this one.
      save: async (signedIn) => {
        const opened = await store(ctx);
        tokens = opened;
        await withProfileLock(ctx, ctx.profileName, () =>
          opened.set(sessionKey(ctx.profileName), JSON.stringify(signedIn)),
        );
      },
      prompts: signInPrompts(ctx),
    },
  );

  await saveProfile(ctx, {
    issuer: as.issuer,
    client_id: connection.clientId,
    scope,
    ...(connection.authMethod !== 'none' ? { auth_method: connection.authMethod } : {}),
    ...(connection.privateKeyFile ? { private_key: connection.privateKeyFile } : {}),
    ...(request.resource.length ? { resource: request.resource.join(' ') } : {}),
    ...(request.audience.length ? { audience: request.audience.join(' ') } : {}),
    ...(flags.redirectUri ? { redirect_uri: flags.redirectUri } : {}),
    ...explicitEndpoints(ctx),
  });
  printSessionSummary(ctx, session, { profile: ctx.profileName, store: tokens?.describe(), heading: 'Signed in' });
  return Exit.ok;
}

/** What the user sees while signing in: on stderr, the stdout stays the result. */
function signInPrompts(ctx: Context): SignInPrompts {
  return {
    authorizationUrl: (url) => ctx.out.info(['Open this URL to sign in:', `  ${url}`]),
    browserFailed: (message) => ctx.out.warn(message),
    deviceCode: ({ verificationUri, userCode, verificationUriComplete }) => {
      const style = ctx.out.errStyle;
      ctx.out.info(`To sign in, open ${style.bold(verificationUri)} and enter the code ${style.bold(userCode)}`);
      if (verificationUriComplete) ctx.out.info(`  (or open ${verificationUriComplete})`);
    },
    waiting: (message) => waitIndicator(ctx, message),
    notice: (message) => ctx.out.warnOnce('device-interval', message),
    refusedCallback: (reason) => {
      if (ctx.out.verbosity > 0) ctx.out.trace(`callback server: refused ${reason}`);
    },
  };
}

/** RFC 8252 §7.3: http on a loopback IP literal; the port may vary if the registration allows it. */
export function loopbackFrom(
  redirectUri: string | undefined,
  port: string | undefined,
  origin = '--redirect-uri',
): LoopbackChoice {
  if (redirectUri) {
    const url = parseUrl(redirectUri, origin);
    const host = url.hostname === '[::1]' ? '[::1]' : url.hostname;
    if (
      url.protocol !== 'http:' ||
      !isLoopbackHost(url.hostname) ||
      !['127.0.0.1', '[::1]', 'localhost'].includes(host)
    ) {
      throw new CliError(
        'USAGE',
        `${origin} must be an http loopback URI (http://127.0.0.1:<port>/<path>), not ${redirectUri}.`,
        {
          hint: 'The sign-in listens on this machine: register and give a loopback redirect URI such as http://127.0.0.1:8400/callback (RFC 8252 §7.3).',
        },
      );
    }
    return { host: host as LoopbackChoice['host'], port: Number(url.port || 80), path: url.pathname };
  }
  const number = port === undefined ? 0 : Number(port);
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    throw new CliError('USAGE', `--port must be a port number, not "${port}".`);
  return { host: '127.0.0.1', port: number, path: '/callback' };
}

/** Endpoints given for this sign-in (flag, OAUTH_* or profile) are the session's: its tokens are later sent only there. */
function explicitEndpoints(ctx: Context): Record<string, string> {
  return Object.fromEntries(Object.entries(ctx.settings.endpoints).map(([name, setting]) => [name, setting.value]));
}

async function saveProfile(ctx: Context, profile: Profile): Promise<void> {
  const path = configFile(ctx.io.env);
  try {
    await updateConfig(path, (config) => {
      config.profiles[ctx.profileName] = { ...config.profiles[ctx.profileName], ...profile };
    });
  } catch (error) {
    ctx.out.warn(`Signed in, but the profile could not be saved to ${path}: ${(error as Error).message}`);
  }
}
