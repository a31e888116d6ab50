// `oauth register`: dynamic client registration (RFC 7591) into a profile, and with --show / --delete the client
// management of RFC 7592. The client id is the result on stdout (ID=$(oauth register …)); secrets go to the token store.
import type { Context } from './context.js';
import { asCliError, CliError, Exit, saidAfter } from '../errors.js';
import type { ClientMetadata, StoredRegistration } from '../oauth/registration.js';
import { assertSecureUrl, parseUrl } from '../net/url.js';
import { checkRedirectUri } from '../check/redirect-uris.js';
import { shownTime } from '../jwt/time.js';
import { parseSession, profileCommand, profileWhere, sameIssuer, type Session, sessionKey } from '../oauth/session.js';
import type { SecretStore } from '../store/store.js';
import { defineCommand, flag, type FlagValues, option, repeatable } from './define.js';
import { SERVER_FLAGS } from './shared/client-flags.js';
import {
  forgetRegistration,
  initialAccessToken,
  registrationDeps,
  registrationServer,
  saveRegistration,
  storedRegistration,
  withRegistrationLock,
} from './shared/registration.js';
import { store } from './shared/store.js';
import { assertSessionEndpoints } from './shared/connect.js';
import { withProfileLock } from './shared/fresh-session.js';
import { forgetRevoked, revokeSession } from './shared/revoke-session.js';
import { rememberSecrets } from './shared/stored-session.js';

const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post'] as const;
const NATIVE_REDIRECT_URI = 'http://127.0.0.1/callback';

const FLAGS = {
  ...SERVER_FLAGS,
  registrationEndpoint: option('--registration-endpoint <url>', 'for servers that do not advertise one'),
  name: option('--name <name>', 'client_name shown on consent screens (default "oauth CLI")'),
  redirectUri: repeatable(
    '--redirect-uri <uri>',
    `redirect URI (repeatable; default ${NATIVE_REDIRECT_URI}, any port)`,
  ),
  grantType: repeatable(
    '--grant-type <type>',
    'grant type (repeatable; default authorization_code and refresh_token; client_credentials implies --auth-method client_secret_basic)',
  ),
  authMethod: option(
    '--auth-method <method>',
    'none (default: a public client) | client_secret_basic | client_secret_post',
    {
      choices: AUTH_METHODS,
    },
  ),
  scope: option('--scope <scopes>', 'space-separated scopes the client may ask for'),
  initialAccessToken: option(
    '--initial-access-token <token>',
    'for servers that require one (visible to other processes: prefer OAUTH_INITIAL_ACCESS_TOKEN)',
  ),
  show: flag('--show', "read the profile's registered client back from the server (RFC 7592)"),
  delete: flag(
    '--delete',
    "delete the profile's registered client at the server and forget it; a session signed in with it is revoked and deleted",
  ),
  forget: flag(
    '--forget',
    "forget the profile's registered client here without asking the server (for a client it cannot delete); a session signed in with it is revoked and deleted",
  ),
  showSecret: flag('--show-secret', 'with --json (only): print the client secret and registration access token whole'),
  replace: flag(
    '--replace',
    'register even though the profile has a registered client (which stays registered at the server: --delete it first) or another client id',
  ),
};

type RegisterFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'register',
  description:
    'Register a client at the authorization server (dynamic client registration, RFC 7591) and save it as the profile: ' +
    'later commands and "oauth login" use it without flags. The client secret and the registration access token go to ' +
    'the token store, never the config file. Without flags it registers a public native client (no secret, PKCE, ' +
    `loopback redirect ${NATIVE_REDIRECT_URI} on any port). --show and --delete read and delete the registered client ` +
    'through the server (RFC 7592); --forget drops it here only, for a client the server cannot delete. The client id ' +
    'is printed on stdout.',
  flags: FLAGS,
  examples: [
    'oauth register --issuer https://id.example.com',
    'CLIENT_ID=$(oauth register --issuer https://id.example.com --name "my laptop")',
    'OAUTH_INITIAL_ACCESS_TOKEN=… oauth register --issuer https://id.example.com --auth-method client_secret_basic --grant-type client_credentials',
    'oauth register --show --json',
    'oauth register --delete --profile staging',
  ],
  exits:
    'Exit codes: 0 registered (shown, deleted — or already gone at the server —, forgotten) · 2 bad flags, no registration endpoint, a client already registered or configured in the profile (without --replace) or none to show or delete · 4 initial or registration access token refused · 5 server error or refusal',
  run: (_args, flags, ctx) => run(flags, ctx),
});

async function run(flags: RegisterFlags, ctx: Context): Promise<number> {
  if (flags.showSecret && !ctx.out.json)
    throw new CliError('USAGE', '--show-secret works with --json only.', {
      hint: 'The summary never shows secrets: add --json to print the client secret and registration access token whole.',
    });
  const actions = (['show', 'delete', 'forget'] as const).filter((action) => flags[action]);
  if (actions.length > 1)
    throw new CliError(
      'USAGE',
      `Give one of --show, --delete and --forget, not ${actions.map((a) => `--${a}`).join(' and ')}.`,
    );
  const action = actions[0];
  if (action) return withRegistrationLock(ctx, () => manage(action, flags, ctx));
  const metadata = clientMetadata(flags);
  const registrationEndpoint = flags.registrationEndpoint
    ? secureUrl(flags.registrationEndpoint, '--registration-endpoint', ctx.insecure)
    : undefined;
  const token = initialAccessToken(ctx, flags.initialAccessToken);
  return withRegistrationLock(ctx, () => register(flags, ctx, metadata, registrationEndpoint, token));
}

async function register(
  flags: RegisterFlags,
  ctx: Context,
  metadata: ClientMetadata,
  registrationEndpoint: string | undefined,
  token: string | undefined,
): Promise<number> {
  const tokens = await store(ctx);
  const previous = await storedRegistration(ctx, tokens);
  // Registering again would lose the registration access token of the client registered before, and with it the only
  // way to delete that client through the server.
  if (previous && !flags.replace) {
    throw new CliError(
      'USAGE',
      `Profile ${ctx.profileName} already has a registered client, ${previous.client_id} at ${previous.issuer}.`,
      {
        hint: `Delete it first with "${profileCommand('oauth register --delete', ctx.profileName)}", register into another profile (--profile <name>), or pass --replace to forget it here (it stays registered at the server).`,
      },
    );
  }
  // Registering replaces the profile's client id: a profile set up (or signed in) with another client keeps it.
  const configured = ctx.profile()?.client_id;
  if (configured !== undefined && configured !== previous?.client_id && !flags.replace) {
    throw new CliError(
      'USAGE',
      `Profile ${ctx.profileName} is set up with client ${configured}; registering would replace it with the new client.`,
      {
        hint: `Register into another profile (--profile <name>), or pass --replace to use the new client in this one.`,
      },
    );
  }
  const as = await registrationServer(ctx);
  const { registerClient } = await import('../oauth/registration.js');
  const registered = await registerClient(
    registrationEndpoint ? { ...as, registration_endpoint: registrationEndpoint } : as,
    metadata,
    token,
    registrationDeps(ctx),
  );
  for (const warning of registered.warnings) ctx.out.warn(warning);
  const { stored } = registered;
  const redirectUris = flags.redirectUri ?? [];
  await saveRegistration(
    ctx,
    stored,
    {
      issuer: as.issuer,
      client_id: stored.client_id,
      ...(metadata.token_endpoint_auth_method !== 'none' ? { auth_method: metadata.token_endpoint_auth_method } : {}),
      ...(redirectUris.length === 1 ? { redirect_uri: redirectUris[0] } : {}),
      ...(flags.scope ? { scope: flags.scope } : {}),
    },
    tokens,
  );
  if (ctx.out.json) {
    ctx.out.jsonResult(registered.response, reveal(flags, stored));
    return Exit.ok;
  }
  summary(ctx, stored, tokens.describe());
  ctx.out.result(stored.client_id);
  return Exit.ok;
}

async function manage(action: 'show' | 'delete' | 'forget', flags: RegisterFlags, ctx: Context): Promise<number> {
  const tokens = await store(ctx);
  const stored = await storedRegistration(ctx, tokens);
  if (!stored) {
    throw new CliError('USAGE', `No registered client is saved for profile ${ctx.profileName}.`, {
      hint: `Register one first: ${profileCommand('oauth register --issuer <url>', ctx.profileName)}`,
    });
  }
  const { deleteRegistration, readRegistration, registrationKey } = await import('../oauth/registration.js');
  if (action === 'forget') {
    const signedOut = await signOutClient(ctx, stored, tokens);
    await forgetRegistration(ctx, stored, tokens);
    if (ctx.out.json)
      ctx.out.jsonResult({
        forgotten: true,
        client_id: stored.client_id,
        issuer: stored.issuer,
        ...signedOutJson(signedOut),
      });
    else
      ctx.out.result([
        `Forgot client ${stored.client_id} of ${stored.issuer} here; the server was not asked (it may still know it).`,
        ...signedOutLines(ctx, signedOut),
      ]);
    return Exit.ok;
  }
  if (action === 'delete') {
    // The session goes first: once the client is deleted, the server no longer takes its revocation requests.
    const signedOut = await signOutClient(ctx, stored, tokens);
    // A 404: the server no longer knows the client — what --delete wants; it is forgotten here too, with a note.
    const outcome = await deleteRegistration(stored, registrationDeps(ctx));
    await forgetRegistration(ctx, stored, tokens);
    if (ctx.out.json)
      ctx.out.jsonResult({
        deleted: true,
        client_id: stored.client_id,
        issuer: stored.issuer,
        ...(outcome === 'gone' ? { already_gone: true } : {}),
        ...signedOutJson(signedOut),
      });
    else
      ctx.out.result([
        outcome === 'gone'
          ? `Client ${stored.client_id} was already gone at ${stored.issuer} (HTTP 404); forgot it here.`
          : `Deleted client ${stored.client_id} at ${stored.issuer}.`,
        ...signedOutLines(ctx, signedOut),
      ]);
    return Exit.ok;
  }
  const read = await readRegistration(stored, registrationDeps(ctx));
  for (const warning of read.warnings) ctx.out.warn(warning);
  // RFC 7592 §2.1: the server may rotate the registration access token on every read; the new one is kept at once.
  await tokens.set(registrationKey(ctx.profileName), JSON.stringify(read.stored));
  if (ctx.out.json) {
    ctx.out.jsonResult(read.response, reveal(flags, read.stored));
    return Exit.ok;
  }
  const style = ctx.out.style;
  const lines = Object.entries(read.response).map(
    ([name, value]) => `${style.cyan(name.padEnd(30))} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  ctx.out.result(lines);
  return Exit.ok;
}

/** What a server must refuse (RFC 6749 §3.1.2, RFC 9700 §4.1), refused here before any server is asked. */
const REFUSED_REDIRECT_RULES: ReadonlySet<string> = new Set([
  'redirect-uri-not-absolute',
  'redirect-uri-fragment',
  'redirect-uri-dangerous-scheme',
]);

function refuseRedirectUri(uri: string): void {
  // Not a URL at all: the URL parser's message, with an example of one.
  parseUrl(uri, '--redirect-uri', NATIVE_REDIRECT_URI);
  const refused = checkRedirectUri(uri).find((found) => REFUSED_REDIRECT_RULES.has(found.id));
  if (refused)
    throw new CliError('USAGE', `--redirect-uri: ${refused.message}`, {
      hint: `${refused.spec}: ${refused.fix}`,
    });
}

/** The registration request from the flags, with the defaults of a CLI: a public native client. */
function clientMetadata(flags: RegisterFlags): ClientMetadata {
  const grantTypes = flags.grantType ?? ['authorization_code', 'refresh_token'];
  // A client that uses client credentials authenticates (RFC 6749 §4.4): without --auth-method it gets a secret.
  const authMethod = flags.authMethod ?? (grantTypes.includes('client_credentials') ? 'client_secret_basic' : 'none');
  if (authMethod === 'none' && grantTypes.includes('client_credentials'))
    throw new CliError('USAGE', 'A public client (--auth-method none) cannot use the client_credentials grant.', {
      hint: 'The client credentials grant is for clients that authenticate (RFC 6749 §4.4): use --auth-method client_secret_basic or client_secret_post.',
    });
  // RFC 6749 §3.3: scope tokens are printable ASCII; a control character would be sent and saved as it is.
  if (flags.scope !== undefined && /[^\x20-\x7e]/.test(flags.scope))
    throw new CliError('USAGE', '--scope has a control or non-ASCII character.', {
      hint: 'Give space-separated scopes of printable ASCII (RFC 6749 §3.3), e.g. --scope "openid profile".',
    });
  if (!AUTH_METHODS.some((method) => method === authMethod)) {
    throw new CliError('USAGE', `--auth-method must be one of ${AUTH_METHODS.join(', ')}, not "${authMethod}".`, {
      hint: 'private_key_jwt needs a key set registered with the client: register it in the server’s console.',
    });
  }
  const usesRedirect = grantTypes.includes('authorization_code') || grantTypes.includes('implicit');
  const redirectUris = flags.redirectUri ?? (usesRedirect ? [NATIVE_REDIRECT_URI] : []);
  for (const uri of redirectUris) refuseRedirectUri(uri);
  if (redirectUris.length > 0 && !usesRedirect)
    throw new CliError('USAGE', '--redirect-uri is for clients that use the authorization_code grant.', {
      hint: 'Add --grant-type authorization_code, or leave out --redirect-uri.',
    });
  return {
    client_name: flags.name ?? 'oauth CLI',
    application_type: redirectUris.every(isNativeRedirect) ? 'native' : 'web',
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    response_types: usesRedirect ? ['code'] : [],
    redirect_uris: redirectUris,
    ...(flags.scope ? { scope: flags.scope } : {}),
  };
}

/** A URL the user gave for a request: absolute, and https (or http on loopback, or with --insecure). */
function secureUrl(value: string, origin: string, insecure: boolean): string {
  const url = parseUrl(value, origin);
  assertSecureUrl(url, insecure, origin);
  return url.href;
}

/** A loopback http URI or a private-use scheme (RFC 8252 §7): what a native app receives a redirect on. */
function isNativeRedirect(uri: string): boolean {
  const url = new URL(uri);
  if (url.protocol === 'https:') return false;
  if (url.protocol !== 'http:') return true;
  return ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
}

function reveal(flags: RegisterFlags, stored: StoredRegistration) {
  if (!flags.showSecret) return {};
  return {
    reveal: [stored.client_secret, stored.registration_access_token].filter(
      (secret): secret is string => secret !== undefined,
    ),
  };
}

interface SignedOut {
  revoked: string[];
  failure: string | undefined;
}

/**
 * The profile's session, when it was signed in as the client being deleted or forgotten: revoked at the server (best
 * effort, as `oauth logout` does) and deleted here, so nothing keeps using a client that is gone.
 */
async function signOutClient(
  ctx: Context,
  stored: StoredRegistration,
  tokens: SecretStore,
): Promise<SignedOut | undefined> {
  const key = sessionKey(ctx.profileName);
  const ended = await withProfileLock(ctx, ctx.profileName, async () => {
    let session: Session | undefined;
    try {
      session = parseSession(await tokens.get(key), profileWhere(ctx.profileName, tokens));
    } catch {
      // A corrupt entry names no client: it is not this command's to drop (`oauth logout` does).
      return undefined;
    }
    if (!session || session.client_id !== stored.client_id || !sameIssuer(session.issuer, stored.issuer))
      return undefined;
    rememberSecrets(ctx, session);
    let revocation: { revoked: string[]; failure: string | undefined };
    try {
      await assertSessionEndpoints(ctx, session);
      revocation = await revokeSession(ctx, {}, session);
    } catch (error) {
      revocation = { revoked: [], failure: saidAfter('could not revoke at the server', asCliError(error)) };
    }
    await tokens.delete(key);
    return { session, ...revocation };
  });
  if (!ended) return undefined;
  await forgetRevoked(ctx, tokens, ended.session, ended.revoked);
  if (ended.failure) ctx.out.warn(ended.failure);
  return { revoked: ended.revoked, failure: ended.failure };
}

function signedOutJson(signedOut: SignedOut | undefined) {
  if (!signedOut) return {};
  return { signed_out: { revoked: signedOut.revoked, ...(signedOut.failure ? { warning: signedOut.failure } : {}) } };
}

function signedOutLines(ctx: Context, signedOut: SignedOut | undefined): string[] {
  if (!signedOut) return [];
  const revoked = signedOut.revoked.map((name) => name.replace('_', ' ')).join(' and ');
  return [
    `Signed out profile ${ctx.profileName}, whose session was with this client: ${revoked ? `revoked the ${revoked} and ` : ''}deleted the local tokens.`,
  ];
}

function summary(ctx: Context, stored: StoredRegistration, where: string): void {
  const lines = [
    `Registered client ${stored.client_id} at ${stored.issuer} as profile ${ctx.profileName}.`,
    stored.client_secret
      ? `  Its client secret is stored in ${where}${stored.client_secret_expires_at ? ` (expires ${shownTime(stored.client_secret_expires_at)})` : ''}.`
      : '  A public client: no secret, PKCE protects its sign-ins.',
    stored.registration_client_uri
      ? `  Read it back with "${profileCommand('oauth register --show', ctx.profileName)}", delete it with "${profileCommand('oauth register --delete', ctx.profileName)}".`
      : '  The server offers no client management (RFC 7592) for it.',
  ];
  ctx.out.info(lines);
}
