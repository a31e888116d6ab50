// Signing the profile in with this run's settings, browser, store and terminal: what `oauth login` does, and what
// `oauth curl` does when an API asks for a session it does not have. The non-secret settings are saved as the profile,
// so later commands need no flags.
import { CliError } from '../../errors.js';
import { parseAuthorizationDetails } from '../../oauth/authorization-details.js';
import { assertRequestObjectAlg, JWT_RESPONSE_MODES, type JwtResponseMode } from '../../oauth/authorize.js';
import { loadPrivateKey, type SigningKey } from '../../oauth/client.js';
import { isLoopbackHost, parseUrl } from '../../net/url.js';
import type { Connection } from '../../oauth/connect.js';
import { scopeUnion } from '../../oauth/scope.js';
import { type Session, sessionKey } from '../../oauth/session.js';
import { defaultScope, type LoopbackChoice, type SignInPrompts, signIn } from '../../oauth/sign-in.js';
import { redactText } from '../../redact.js';
import { type Profile, updateConfig } from '../../settings/config.js';
import { MAX_WAIT_SECONDS, parseSeconds, timerMs } from '../../settings/duration.js';
import { savedProfile } from '../../settings/settings.js';
import { configFile } from '../../settings/paths.js';
import type { SecretStore } from '../../store/store.js';
import { systemBrowser } from '../../term/browser.js';
import { waitIndicator } from '../../term/progress.js';
import type { Context } from '../context.js';
import { type ClientFlags, DEFAULT_LOGIN_TIMEOUT_SECONDS, type DpopFlags, type RequestFlags } from './client-flags.js';
import { assertServerAlg, DEFAULT_DPOP_ALG } from '../../oauth/dpop.js';
import { dpopAlgOrigin, newDpopKey, wantedDpop } from './dpop.js';
import { connect } from './connect.js';
import { withProfileLock } from './fresh-session.js';
import { idTokenDeps } from './id-token-deps.js';
import { requireSetting } from './prompt.js';
import { registerForSignIn } from './registration.js';
import { requestParameters } from './request.js';
import { store } from './store.js';

/** The flags a sign-in reads: login has them all; a command that signs in on the way (curl) may have fewer. */
export type SignInFlags = ClientFlags &
  RequestFlags &
  Partial<DpopFlags> & {
    readonly device?: boolean | undefined;
    readonly port?: string | undefined;
    readonly redirectUri?: string | undefined;
    readonly browser?: boolean | undefined;
    readonly register?: boolean | undefined;
    readonly loginTimeout?: string | undefined;
    readonly authorizationDetails?: string | undefined;
    readonly par?: boolean | undefined;
    readonly requestObject?: boolean | undefined;
    readonly responseMode?: string | undefined;
  };

/** What the caller decided in place of the run's settings (curl: the server and resource an API's metadata names). */
export interface SignInOverrides {
  issuer?: string;
  /** Scopes asked for on top of the run's (or the server's default ones): what an API said it needs. */
  addScope?: string;
  /** RFC 8707 resource indicators; replace the run's --resource. */
  resource?: string[];
  /**
   * A sign-in at another server or for another resource than the profile's: the profile's scope was asked of its old
   * server, so it is not sent; only a scope given to this run counts, else the server's default one.
   */
  withoutProfileScope?: boolean;
  /** A step-up: its scopes belong to the session it makes (which records them), not to the profile's setting. */
  keepProfileScope?: boolean;
  /** Called once everything before the sign-in itself succeeded (client, server, parameters): it is about to happen. */
  beforeSignIn?: () => void;
}

export interface SignedIn {
  session: Session;
  connection: Connection;
  /** Where the tokens were stored, in words. */
  storedIn: string | undefined;
}

/**
 * The sign-in flags alone, checked before anything is sent: a command that may sign in on the way (curl) says a bad
 * --login-timeout or --port up front, not after an API call and a question.
 */
export function checkSignInFlags(flags: SignInFlags): void {
  loginTimeoutMs(flags);
  if (!flags.device) loopbackFrom(flags.redirectUri, flags.port);
  authorizationRequestChoices(flags);
}

function loginTimeoutMs(flags: SignInFlags): number {
  return timerMs(
    parseSeconds(flags.loginTimeout ?? String(DEFAULT_LOGIN_TIMEOUT_SECONDS), '--login-timeout', {
      max: MAX_WAIT_SECONDS,
    }),
  );
}

export async function signInProfile(
  ctx: Context,
  flags: SignInFlags,
  overrides: SignInOverrides = {},
): Promise<SignedIn> {
  const timeoutMs = loginTimeoutMs(flags);
  const choices = authorizationRequestChoices(flags);
  const authorizationDetails =
    flags.authorizationDetails === undefined ? undefined : parseAuthorizationDetails(flags.authorizationDetails);
  const requestObjectKey = flags.requestObject ? await requestObjectKeyOf(ctx) : undefined;
  // Every flag is checked before the first request: a bad --port is the user's to fix, whatever the server does.
  const loopback = flags.device
    ? undefined
    : loopbackFrom(ctx.settings.redirectUri?.value, flags.port, ctx.settings.redirectUri?.origin ?? 'the default');
  // --register: without a client id, a public client is registered at the server first (and saved as the profile's).
  const registered = flags.register
    ? await registerForSignIn(ctx, {
        loopback,
        redirectUri: ctx.settings.redirectUri?.value,
        ...(overrides.issuer ? { issuer: overrides.issuer } : {}),
      })
    : undefined;
  const identity = registered ?? (overrides.issuer ? await identityAt(ctx, overrides.issuer) : undefined);
  // RFC 9449: a new session gets a new key; its tokens (the refresh token too) are bound to it.
  const dpopAlg = wantedDpop(ctx, flags);
  const dpop = dpopAlg ? await newDpopKey(ctx, dpopAlg) : undefined;
  const connection = await connect(
    ctx,
    flags,
    { keySignsRequests: flags.requestObject === true, ...(dpop ? { dpop } : {}) },
    identity,
  );
  const { as } = connection;
  if (dpopAlg) assertServerAlg(as, dpopAlg, dpopAlgOrigin(ctx));
  const keySetting = ctx.settings.privateKey;
  if (requestObjectKey && keySetting)
    assertRequestObjectAlg(as, requestObjectKey.key, `${keySetting.origin} ${keySetting.value}`);
  const request = requestParameters(ctx, flags);
  const resource = overrides.resource ?? request.resource;
  // RFC 9449 §10: the authorization code is bound to the key too (dpop_jkt), so a stolen code is of no use without it.
  // Only at a server that says it speaks DPoP (§5.1): one that does not may still bind the code to the dpop_jkt and
  // then refuse the exchange, having ignored the proof.
  const bindCode = dpop !== undefined && loopback !== undefined && Array.isArray(as.dpop_signing_alg_values_supported);
  const parameters = {
    ...request.parameters,
    ...(resource.length ? { resource } : {}),
    ...(authorizationDetails ? { authorization_details: [JSON.stringify(authorizationDetails)] } : {}),
    ...(bindCode ? { dpop_jkt: [dpop.thumbprint] } : {}),
  };
  const push = loopback ? pushChoice(ctx, as, flags.par === true) : false;
  if (choices.responseMode) warnUnlistedMode(ctx, as, choices.responseMode);
  const base = overrides.withoutProfileScope && ctx.settings.scope?.source === 'profile' ? undefined : request.scope;
  const scope = scopeUnion(base ?? defaultScope(as), overrides.addScope);
  overrides.beforeSignIn?.();
  // The store is opened once the sign-in completed, as the last thing before the session counts.
  let tokens: SecretStore | undefined;
  const session = await signIn(
    {
      connection,
      scope,
      parameters,
      method: loopback
        ? {
            kind: 'browser',
            loopback,
            timeoutMs,
            openBrowser: flags.browser !== false,
            push,
            requestObjectKey,
            responseMode: choices.responseMode,
          }
        : { kind: 'device' },
      endpoints: explicitEndpoints(ctx),
      authorizationDetails,
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
    ...(overrides.keepProfileScope ? {} : { scope }),
    ...(connection.authMethod !== 'none' ? { auth_method: connection.authMethod } : {}),
    ...(connection.privateKeyFile ? { private_key: connection.privateKeyFile } : {}),
    // The certificate the session is bound to (RFC 8705), so that its refreshes present it again.
    ...certificateFiles(ctx, connection.certThumbprint),
    ...(resource.length ? { resource: resource.join(' ') } : {}),
    ...(request.audience.length ? { audience: request.audience.join(' ') } : {}),
    ...(flags.redirectUri ? { redirect_uri: flags.redirectUri } : {}),
    ...(dpopAlg ? { dpop: true } : {}),
    ...(dpopAlg && dpopAlg !== DEFAULT_DPOP_ALG ? { dpop_alg: dpopAlg } : {}),
    ...explicitEndpoints(ctx),
  });
  return { session, connection, storedIn: tokens?.describe() };
}

/**
 * The client at a server the caller chose: the run's client id (the settings drop the profile's when the profile is
 * another server's: a client id means nothing at a server that did not register it).
 */
async function identityAt(ctx: Context, issuer: string): Promise<{ issuer: string; clientId: string }> {
  return { issuer, clientId: await requireSetting(ctx, 'client_id', undefined, 'Client id') };
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

/**
 * --par, --request-object and --response-mode shape the browser's authorization request: checked before any request.
 * fragment.jwt is refused: a fragment never leaves the browser, so the loopback server would never see the response.
 */
function authorizationRequestChoices(flags: SignInFlags): { responseMode: JwtResponseMode | undefined } {
  const mode = flags.responseMode;
  if (flags.device && (flags.par || flags.requestObject || mode !== undefined)) {
    throw new CliError(
      'USAGE',
      '--par, --request-object and --response-mode shape the browser sign-in; --device has none.',
      {
        hint: 'Drop --device, or drop those flags.',
      },
    );
  }
  if (mode === undefined) return { responseMode: undefined };
  if (mode === 'fragment.jwt' || mode === 'fragment') {
    throw new CliError(
      'USAGE',
      `--response-mode ${mode} cannot be used: a URL fragment never reaches the loopback callback server.`,
      {
        hint: `Use --response-mode ${JWT_RESPONSE_MODES.join(', ')}.`,
      },
    );
  }
  const known = JWT_RESPONSE_MODES.find((name) => name === mode);
  if (!known)
    throw new CliError('USAGE', `--response-mode must be one of ${JWT_RESPONSE_MODES.join(', ')}, not "${mode}".`, {
      hint: 'These are the JARM modes a loopback callback can receive; without the flag the response comes in the query.',
    });
  return { responseMode: known };
}

/** RFC 9101's signing key: the client's --private-key, loaded as for private_key_jwt, whatever the auth method is. */
async function requestObjectKeyOf(ctx: Context): Promise<SigningKey> {
  const setting = ctx.settings.privateKey;
  if (!setting) {
    throw new CliError(
      'USAGE',
      "--request-object signs the request with the client's private key: pass --private-key <JWK or PEM file>.",
      {
        hint: 'Its public key must be registered with the client (jwks or jwks_uri) for the server to verify the request.',
      },
    );
  }
  return loadPrivateKey(setting.value, setting.origin);
}

/** --par, or the server's require_pushed_authorization_requests (said in one line). */
function pushChoice(ctx: Context, as: Connection['as'], asked: boolean): boolean {
  if (asked || as.require_pushed_authorization_requests !== true) return asked;
  if (typeof as.pushed_authorization_request_endpoint !== 'string') {
    throw new CliError(
      'PROTOCOL_ERROR',
      `${as.issuer} requires pushed authorization requests but advertises no pushed_authorization_request_endpoint.`,
      { hint: "The server's metadata contradicts itself (RFC 9126 §5); report it to its operator." },
    );
  }
  ctx.out.info(`${as.issuer} requires pushed authorization requests (RFC 9126): pushing the request first.`);
  return true;
}

/** A mode the metadata does not list may still work (the list is optional): a warning, not a refusal. */
function warnUnlistedMode(ctx: Context, as: Connection['as'], mode: JwtResponseMode): void {
  const supported = as.response_modes_supported;
  if (Array.isArray(supported) && !supported.includes(mode))
    ctx.out.warn(`${as.issuer} does not list response mode ${mode} in response_modes_supported; trying it anyway.`);
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
      config.profiles[ctx.profileName] = savedProfile(config.profiles[ctx.profileName], profile);
    });
  } catch (error) {
    ctx.out.warn(`Signed in, but the profile could not be saved to ${path}: ${(error as Error).message}`);
  }
}

function certificateFiles(ctx: Context, thumbprint: string | undefined): { cert?: string; key?: string } {
  const cert = ctx.settings.get('cert')?.value;
  const key = ctx.settings.get('key')?.value;
  return thumbprint && cert && key ? { cert, key } : {};
}
