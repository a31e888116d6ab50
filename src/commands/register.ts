// `oauth register`: dynamic client registration (RFC 7591) into a profile, and with --show / --delete the client
// management of RFC 7592. The client id is the result on stdout (ID=$(oauth register …)); secrets go to the token store.
import type { Context } from './context.js';
import { CliError, Exit } from '../errors.js';
import type { ClientMetadata, StoredRegistration } from '../oauth/registration.js';
import { assertSecureUrl, parseUrl } from '../net/url.js';
import { defineCommand, flag, type FlagValues, option, repeatable } from './define.js';
import { SERVER_FLAGS } from './shared/client-flags.js';
import {
  forgetRegistration,
  initialAccessToken,
  registrationDeps,
  registrationServer,
  saveRegistration,
  storedRegistration,
} from './shared/registration.js';
import { store } from './shared/store.js';

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
  grantType: repeatable('--grant-type <type>', 'grant type (repeatable; default authorization_code and refresh_token)'),
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
  delete: flag('--delete', "delete the profile's registered client at the server and forget it"),
  showSecret: flag('--show-secret', 'with --json: print the client secret and registration access token whole'),
  replace: flag(
    '--replace',
    'register even though the profile has a registered client (which stays registered at the server: --delete it first)',
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
    'through the server (RFC 7592). The client id is printed on stdout.',
  flags: FLAGS,
  examples: [
    'oauth register --issuer https://id.example.com',
    'CLIENT_ID=$(oauth register --issuer https://id.example.com --name "my laptop")',
    'OAUTH_INITIAL_ACCESS_TOKEN=… oauth register --issuer https://id.example.com --auth-method client_secret_basic --grant-type client_credentials',
    'oauth register --show --json',
    'oauth register --delete --profile staging',
  ],
  exits:
    'Exit codes: 0 registered (shown, deleted) · 2 bad flags, no registration endpoint, a client already registered in the profile (without --replace) or none to show or delete · 4 initial or registration access token refused · 5 server error or refusal',
  run: (_args, flags, ctx) => run(flags, ctx),
});

async function run(flags: RegisterFlags, ctx: Context): Promise<number> {
  if (flags.show && flags.delete) throw new CliError('USAGE', 'Give --show or --delete, not both.');
  if (flags.show || flags.delete) return manage(flags.delete ? 'delete' : 'show', flags, ctx);
  const metadata = clientMetadata(flags);
  const registrationEndpoint = flags.registrationEndpoint
    ? secureUrl(flags.registrationEndpoint, '--registration-endpoint', ctx.insecure)
    : undefined;
  const token = initialAccessToken(ctx, flags.initialAccessToken);
  const tokens = await store(ctx);
  const previous = await storedRegistration(ctx, tokens);
  // Registering again would lose the registration access token of the client registered before, and with it the only
  // way to delete that client through the server.
  if (previous && !flags.replace) {
    const profile = ctx.profileName === 'default' ? '' : ` --profile ${ctx.profileName}`;
    throw new CliError(
      'USAGE',
      `Profile ${ctx.profileName} already has a registered client, ${previous.client_id} at ${previous.issuer}.`,
      {
        hint: `Delete it first with "oauth register --delete${profile}", register into another profile (--profile <name>), or pass --replace to forget it here (it stays registered at the server).`,
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

async function manage(action: 'show' | 'delete', flags: RegisterFlags, ctx: Context): Promise<number> {
  const tokens = await store(ctx);
  const stored = await storedRegistration(ctx, tokens);
  if (!stored) {
    const profile = ctx.profileName === 'default' ? '' : ` --profile ${ctx.profileName}`;
    throw new CliError('USAGE', `No registered client is saved for profile ${ctx.profileName}.`, {
      hint: `Register one first: oauth register${profile} --issuer <url>`,
    });
  }
  const { deleteRegistration, readRegistration, registrationKey } = await import('../oauth/registration.js');
  if (action === 'delete') {
    await deleteRegistration(stored, registrationDeps(ctx));
    await forgetRegistration(ctx, stored, tokens);
    if (ctx.out.json) ctx.out.jsonResult({ deleted: true, client_id: stored.client_id, issuer: stored.issuer });
    else ctx.out.result(`Deleted client ${stored.client_id} at ${stored.issuer}.`);
    return Exit.ok;
  }
  const read = await readRegistration(stored, registrationDeps(ctx));
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

/** The registration request from the flags, with the defaults of a CLI: a public native client. */
function clientMetadata(flags: RegisterFlags): ClientMetadata {
  const authMethod = flags.authMethod ?? 'none';
  if (!AUTH_METHODS.some((method) => method === authMethod)) {
    throw new CliError('USAGE', `--auth-method must be one of ${AUTH_METHODS.join(', ')}, not "${authMethod}".`, {
      hint: 'private_key_jwt needs a key set registered with the client: register it in the server’s console.',
    });
  }
  const grantTypes = flags.grantType ?? ['authorization_code', 'refresh_token'];
  const usesRedirect = grantTypes.includes('authorization_code') || grantTypes.includes('implicit');
  const redirectUris = flags.redirectUri ?? (usesRedirect ? [NATIVE_REDIRECT_URI] : []);
  for (const uri of redirectUris) parseUrl(uri, '--redirect-uri');
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

function summary(ctx: Context, stored: StoredRegistration, where: string): void {
  const lines = [
    `Registered client ${stored.client_id} at ${stored.issuer} as profile ${ctx.profileName}.`,
    stored.client_secret
      ? `  Its client secret is stored in ${where}${stored.client_secret_expires_at ? ` (expires ${new Date(stored.client_secret_expires_at * 1000).toISOString()})` : ''}.`
      : '  A public client: no secret, PKCE protects its sign-ins.',
    stored.registration_client_uri
      ? '  Read it back with "oauth register --show", delete it with "oauth register --delete".'
      : '  The server offers no client management (RFC 7592) for it.',
  ];
  ctx.out.info(lines);
}
