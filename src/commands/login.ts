// `oauth login`: authorization code + PKCE through a loopback callback (RFC 8252), or the device flow (RFC 8628);
// the ID token fully validated; tokens into the store; the non-secret settings saved as the profile.
import type { TokenEndpointResponse } from 'oauth4webapi';
import { systemBrowser, type OpenBrowser } from '../term/browser.js';
import { type Profile, updateConfig } from '../settings/config.js';
import type { Context } from './context.js';
import { CliError, Exit } from '../errors.js';
import { buildAuthorizationRequest, validateCallback } from '../oauth/authorize.js';
import { deviceAuthorization, deviceCodeLifetimeSeconds, exchangeCode, pollDeviceToken } from '../oauth/grants.js';
import { MAX_TIMER_MS, MAX_WAIT_SECONDS, parseSeconds, timerMs } from '../settings/duration.js';
import { formatDuration } from '../jwt/time.js';
import { redactText } from '../redact.js';
import { configFile } from '../settings/paths.js';
import { waitIndicator } from '../term/progress.js';
import { sessionFromResponse, sessionKey, type Session } from '../oauth/session.js';
import { parseUrl, isLoopbackHost, serverUrl } from '../net/url.js';
import { defineCommand, flag, type FlagValues, option } from './define.js';
import { CLIENT_FLAGS, REQUEST_FLAGS } from './shared/client-flags.js';
import { idTokenIssuer } from '../oauth/connect.js';
import { connect, type Connection } from './shared/connect.js';
import { printSessionSummary } from './format/session.js';
import { verifyIdToken } from '../oauth/id-token.js';
import { flowDeps } from './shared/flow-deps.js';
import { withProfileLock } from './shared/fresh-session.js';
import { requestParameters } from './shared/request.js';
import { store } from './shared/store.js';
import { rememberSecrets } from './shared/stored-session.js';

const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;

const FLAGS = {
  ...CLIENT_FLAGS,
  ...REQUEST_FLAGS,
  device: flag('--device', 'use the device flow (for SSH sessions and machines without a browser)'),
  port: option('--port <port>', 'port for the loopback callback (default: a random free port)'),
  redirectUri: option('--redirect-uri <uri>', 'exact loopback redirect URI, e.g. http://127.0.0.1:8400/callback'),
  browser: flag('--no-browser', 'only print the URL to open'),
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
  const connection = await connect(ctx, flags);
  const { as } = connection;
  const request = requestParameters(ctx, flags);
  const scope = request.scope ?? defaultScope(as);

  /** Everything that must hold before the sign-in counts (and the browser is told so): the ID token, the store. */
  const complete = async (response: TokenEndpointResponse) => {
    if (response.id_token) ctx.knownSecrets.add(response.id_token);
    const subject = response.id_token
      ? (await verifyIdToken(response.id_token, idTokenIssuer(connection), flowDeps(ctx))).sub
      : undefined;
    const nowSeconds = Math.floor(ctx.now() / 1000);
    const session: Session = sessionFromResponse(response, {
      issuer: as.issuer,
      clientId: connection.clientId,
      requestedScope: scope,
      nowSeconds,
      subject: typeof subject === 'string' ? subject : undefined,
      clientSecret: connection.clientSecret,
      endpoints: explicitEndpoints(ctx),
    });
    rememberSecrets(ctx, session);
    const tokens = await store(ctx);
    // Under the profile's session lock: a refresh in flight for the previous session cannot overwrite this one.
    await withProfileLock(ctx, ctx.profileName, () => tokens.set(sessionKey(ctx.profileName), JSON.stringify(session)));
    return { session, tokens };
  };

  const { session, tokens } = flags.device
    ? await complete(await deviceLogin(ctx, connection, scope, request.parameters))
    : await browserLogin(
        ctx,
        connection,
        scope,
        request.parameters,
        { ...flags, timeoutMs, loopback: loopback! },
        ctx.io.openBrowser ?? systemBrowser(ctx.io.env),
        complete,
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
  printSessionSummary(ctx, session, { profile: ctx.profileName, store: tokens.describe(), heading: 'Signed in' });
  return Exit.ok;
}

function defaultScope(as: Connection['as']): string {
  const supported = as.scopes_supported;
  const oidc = supported
    ? supported.includes('openid')
    : as.userinfo_endpoint !== undefined || as.id_token_signing_alg_values_supported !== undefined;
  const wanted = oidc ? ['openid', 'offline_access'] : [];
  return wanted.filter((scope) => !supported || supported.includes(scope)).join(' ');
}

interface LoopbackChoice {
  host: '127.0.0.1' | '[::1]' | 'localhost';
  port: number;
  path: string;
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

async function browserLogin<T>(
  ctx: Context,
  connection: Connection,
  scope: string,
  parameters: Record<string, string[]>,
  flags: LoginFlags & { timeoutMs: number; loopback: LoopbackChoice },
  openBrowser: OpenBrowser,
  complete: (response: TokenEndpointResponse) => Promise<T>,
): Promise<T> {
  const { as } = connection;
  if (!as.authorization_endpoint) {
    throw new CliError('USAGE', `${as.issuer} has no authorization endpoint.`, {
      hint: 'Pass --authorization-endpoint, or use --device.',
    });
  }
  const { startCallbackServer } = await import('../net/loopback.js');
  const { loopback } = flags;
  // The state is made before the server starts, so the server can check it; the URL needs the server's port.
  const { generateRandomState } = await import('oauth4webapi');
  const state = generateRandomState();
  const server = await startCallbackServer({
    ...loopback,
    expectedState: state,
    timeoutMs: flags.timeoutMs,
    signal: ctx.io.signal,
    onRefused: (reason) => ctx.out.verbosity > 0 && ctx.out.trace(`callback server: refused ${reason}`),
  });
  try {
    const authorization = await buildAuthorizationRequest(as, connection.clientId, {
      redirectUri: server.redirectUri,
      scope,
      parameters,
      state,
    });
    ctx.knownSecrets.add(authorization.codeVerifier);
    ctx.out.info(['Open this URL to sign in:', `  ${authorization.url.href}`]);
    if (flags.browser !== false) {
      await openBrowser(authorization.url.href).catch((error: Error) =>
        ctx.out.warn(`${error.message}; open the URL above yourself.`),
      );
    }
    const waiting = waitIndicator(
      ctx,
      `Waiting for the browser to come back to ${server.redirectUri} (Ctrl-C to cancel)…`,
    );
    let callback: URLSearchParams;
    try {
      callback = await server.callback;
    } finally {
      waiting.stop();
    }
    const code = callback.get('code');
    if (code) ctx.knownSecrets.add(code);
    try {
      const validated = validateCallback(as, connection.protocol.client, callback, state);
      const response = await exchangeCode(
        connection.protocol,
        validated,
        server.redirectUri,
        authorization.codeVerifier,
        authorization.nonce,
        resourceOnly(parameters),
      );
      const completed = await complete(response);
      server.respond({ ok: true });
      return completed;
    } catch (error) {
      // The browser page is printed output too: redacted like the terminal's.
      const message =
        error instanceof CliError ? redactText(error.message, ctx.knownSecrets) : 'oauth stopped on an internal error.';
      server.respond({ ok: false, message });
      throw error;
    }
  } finally {
    await server.close();
  }
}

/** RFC 8707 §2.2: the resource goes to the token endpoint too; other extra parameters belong to the authorization request. */
function resourceOnly(parameters: Record<string, string[]>): Record<string, string[]> {
  return parameters.resource ? { resource: parameters.resource } : {};
}

async function deviceLogin(
  ctx: Context,
  connection: Connection,
  scope: string,
  parameters: Record<string, string[]>,
): Promise<TokenEndpointResponse> {
  const device = await deviceAuthorization(connection.protocol, {
    ...parameters,
    ...(scope ? { scope: [scope] } : {}),
  });
  ctx.knownSecrets.add(device.device_code);
  // The user is told to open these: they pass the URL policy like any endpoint (a user_code is shown, so it is printable text).
  const from = 'the device authorization response';
  const verificationUri = serverUrl(device.verification_uri, 'verification_uri', ctx.insecure, from).href;
  const complete =
    device.verification_uri_complete === undefined
      ? undefined
      : serverUrl(device.verification_uri_complete, 'verification_uri_complete', ctx.insecure, from).href;
  const style = ctx.out.errStyle;
  ctx.out.info(
    `To sign in, open ${style.bold(verificationUri)} and enter the code ${style.bold(String(device.user_code))}`,
  );
  if (complete) ctx.out.info(`  (or open ${complete})`);
  const waiting = waitIndicator(
    ctx,
    `Waiting for the sign-in to be completed (code expires in ${formatDuration(deviceCodeLifetimeSeconds(device))}; Ctrl-C to cancel)…`,
  );
  try {
    return await pollDeviceToken(connection.protocol, device, {
      now: ctx.now,
      sleep: (ms, signal) => sleep(ms, signal),
      signal: ctx.io.signal,
      notice: (message) => ctx.out.warnOnce(`device-interval`, message),
    });
  } finally {
    waiting.stop();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CliError('CANCELLED', 'Cancelled.'));
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CliError('CANCELLED', 'Cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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
