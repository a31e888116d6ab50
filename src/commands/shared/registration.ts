// The command side of client registration: the run's network and secrets for the flow, the registered client saved
// (its secrets in the token store, the rest as the profile), and the registration `oauth login --register` makes.
import { join } from 'node:path';
import type { AuthorizationServer } from 'oauth4webapi';
import { CliError } from '../../errors.js';
import {
  type ClientMetadata,
  nativeClientMetadata,
  parseStoredRegistration,
  type Registered,
  type RegistrationDeps,
  registerClient,
  registrationKey,
  type StoredRegistration,
} from '../../oauth/registration.js';
import { requireEndpoint, resolveServer } from '../../oauth/server.js';
import { sameIssuer } from '../../oauth/session.js';
import type { LoopbackChoice } from '../../oauth/sign-in.js';
import { envSetting, loadConfig, type Profile, updateConfig } from '../../settings/config.js';
import { savedProfile } from '../../settings/settings.js';
import { configFile } from '../../settings/paths.js';
import type { SecretStore } from '../../store/store.js';
import type { Context } from '../context.js';
import { sessionLock } from './lock-wait.js';
import { requireSetting } from './prompt.js';
import { store } from './store.js';

/**
 * Runs work under the profile's registration lock: check, register and save (or read, rotate and save) are one step for
 * every oauth process, so concurrent runs neither register twice (orphaning a client whose registration token is lost)
 * nor lose a rotated registration access token. A lock of its own, not the session's: `login --register` registers
 * before the sign-in, whose save takes the session lock.
 */
export async function withRegistrationLock<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  const [{ withFileLock }, { sha256Hex }] = await Promise.all([
    import('../../store/lock.js'),
    import('../../store/digest.js'),
  ]);
  const { stateDir: dir, signal, lockWaitMs, onLockWait } = sessionLock(ctx);
  const path = join(dir, 'locks', `${sha256Hex(registrationKey(ctx.profileName)).slice(0, 24)}.lock`);
  return withFileLock(path, work, { signal, ...(lockWaitMs ? { timeoutMs: lockWaitMs() } : {}), onWait: onLockWait });
}

export function registrationDeps(ctx: Context): RegistrationDeps {
  return {
    http: () => ctx.http(),
    insecure: ctx.insecure,
    signal: ctx.io.signal,
    secrets: ctx.knownSecrets,
    profile: ctx.profileName,
  };
}

/**
 * The server to register at: the one given (curl: the server an API's metadata names), else the run's issuer (flag >
 * OAUTH_* > profile, asked for on a terminal), discovered.
 */
export async function registrationServer(ctx: Context, given?: string): Promise<AuthorizationServer> {
  const issuer = given ?? (await requireSetting(ctx, 'issuer', undefined, 'Issuer URL'));
  const endpoints = Object.fromEntries(
    Object.entries(ctx.settings.endpoints).map(([name, setting]) => [name, setting.value]),
  );
  return resolveServer(
    { issuer, endpoints },
    { documents: () => ctx.documents(), insecure: ctx.insecure, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) },
  );
}

/** The initial access token (RFC 7591 §3): OAUTH_INITIAL_ACCESS_TOKEN, or the flag, which is said to be visible. */
export function initialAccessToken(ctx: Context, flag: string | undefined): string | undefined {
  const token = flag ?? envSetting(ctx.io.env, 'OAUTH_INITIAL_ACCESS_TOKEN');
  if (token) ctx.knownSecrets.add(token);
  if (flag)
    ctx.out.warn(
      '--initial-access-token puts the token where other processes can read it (ps, shell history); prefer OAUTH_INITIAL_ACCESS_TOKEN.',
    );
  return token?.trim() || undefined;
}

/** The profile's registered client, its secrets registered the moment they are read. */
export async function storedRegistration(ctx: Context, tokens: SecretStore): Promise<StoredRegistration | undefined> {
  return parseStoredRegistration(await tokens.get(registrationKey(ctx.profileName)));
}

/**
 * Saves a registered client: its secrets (client secret, registration access token and URI) in the token store under
 * the profile, then the rest as the profile, so later commands and sign-ins use it without flags.
 */
export async function saveRegistration(
  ctx: Context,
  registered: StoredRegistration,
  profile: Profile,
  tokens: SecretStore,
): Promise<void> {
  await tokens.set(registrationKey(ctx.profileName), JSON.stringify(registered));
  const path = configFile(ctx.io.env);
  await updateConfig(path, (config) => {
    const previous = { ...config.profiles[ctx.profileName] };
    // A registered client starts without the old client's way of authenticating.
    delete previous.auth_method;
    delete previous.private_key;
    config.profiles[ctx.profileName] = savedProfile(previous, profile);
  });
}

/** Forgets a deleted client: its stored secrets, and the profile's client settings when they name it. */
export async function forgetRegistration(ctx: Context, registered: StoredRegistration, tokens: SecretStore) {
  await tokens.delete(registrationKey(ctx.profileName));
  await updateConfig(configFile(ctx.io.env), (config) => {
    const profile = config.profiles[ctx.profileName];
    if (profile?.client_id !== registered.client_id) return;
    delete profile.client_id;
    delete profile.auth_method;
  });
}

/** The profile's registered client secret, for a run that connects as that client at that issuer. */
export async function registeredClientSecret(
  ctx: Context,
  clientId: string,
  issuer: string | undefined,
): Promise<string | undefined> {
  const method = ctx.profile()?.auth_method;
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') return undefined;
  const registered = await storedRegistration(ctx, await store(ctx)).catch(() => undefined);
  if (!registered?.client_secret || registered.client_id !== clientId) return undefined;
  if (issuer !== undefined && !sameIssuer(registered.issuer, issuer)) return undefined;
  return registered.client_secret;
}

/**
 * `oauth login --register`: when the run names no client and the server can register one, a public native client
 * (RFC 8252: PKCE, loopback redirect, no secret) is registered and saved before the sign-in. Returns whom to sign in
 * as, or undefined when a client id is configured.
 */
export async function registerForSignIn(
  ctx: Context,
  method: { loopback: LoopbackChoice | undefined; redirectUri: string | undefined; issuer?: string },
): Promise<{ issuer: string; clientId: string } | undefined> {
  if (ctx.settings.clientId?.value) return undefined;
  const as = await registrationServer(ctx, method.issuer);
  if (typeof as.registration_endpoint !== 'string') {
    throw new CliError(
      'USAGE',
      `--register: the authorization server ${as.issuer} has no registration endpoint, and no client id is configured.`,
      { hint: 'Register a client in the server’s console and pass --client-id (or set OAUTH_CLIENT_ID).' },
    );
  }
  // The sign-in's own endpoint is checked before registering: a client registered for a flow the server cannot run
  // would be left behind at the server for nothing.
  if (method.loopback) requireEndpoint(as, 'authorization_endpoint', 'authorization-endpoint');
  else requireEndpoint(as, 'device_authorization_endpoint', 'device-authorization-endpoint');
  const scope = ctx.settings.scope?.value;
  const metadata: ClientMetadata = method.loopback
    ? nativeClientMetadata(method.redirectUri ?? loopbackRedirectUri(method.loopback), scope)
    : {
        ...nativeClientMetadata('', scope),
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      };
  const token = initialAccessToken(ctx, undefined);
  return withRegistrationLock(ctx, async () => {
    const tokens = await store(ctx);
    // Another `login --register` of this profile may have registered while this one waited: its client is used.
    const meanwhile = await storedRegistration(ctx, tokens);
    if (meanwhile && sameIssuer(meanwhile.issuer, as.issuer) && savedClientId(ctx) === meanwhile.client_id)
      return { issuer: as.issuer, clientId: meanwhile.client_id };
    const registered: Registered = await registerClient(as, metadata, token, {
      ...registrationDeps(ctx),
      wording: {
        initialAccessToken: 'OAUTH_INITIAL_ACCESS_TOKEN',
        metadata: `Check --scope against what the server supports ("oauth discover"), or register a client with "oauth register" and its flags.`,
      },
    });
    for (const warning of registered.warnings) ctx.out.warn(warning);
    await saveRegistration(
      ctx,
      registered.stored,
      { issuer: as.issuer, client_id: registered.stored.client_id },
      tokens,
    );
    ctx.out.info(`Registered client ${registered.stored.client_id} at ${as.issuer} (profile ${ctx.profileName}).`);
    return { issuer: as.issuer, clientId: registered.stored.client_id };
  });
}

/** The profile's client id as the config file says now (another process may have saved one since this run read it). */
function savedClientId(ctx: Context): string | undefined {
  return loadConfig(configFile(ctx.io.env)).profiles[ctx.profileName]?.client_id;
}

/** RFC 8252 §7.3: a native client registers its loopback URI without a port, unless the run fixes one. */
function loopbackRedirectUri(loopback: LoopbackChoice): string {
  const host = loopback.host === 'localhost' ? '127.0.0.1' : loopback.host;
  return `http://${host}${loopback.port ? `:${loopback.port}` : ''}${loopback.path}`;
}
