// A signed-in session (the tokens of one profile) and how it stays fresh: read -> fresh enough? -> else, under a
// cross-process lock, re-read -> refresh -> save -> hand out. The rotated refresh token is saved before the new
// access token leaves this module, and no two processes ever present the same refresh token.
import {
  type AuthorizationDetails,
  authorizationDetailsProblem,
  grantedAuthorizationDetails,
} from './authorization-details.js';
import { join } from 'node:path';
import { rotatedRefreshToken } from './rotation.js';
import { isTokenText } from '../redact.js';
import type { TokenEndpointResponse } from 'oauth4webapi';
import { CliError, isCliError, saidAfter } from '../errors.js';
import { describeJsonType } from '../errors.js';
import { sha256Hex } from '../store/digest.js';
import type { SecretStore } from '../store/store.js';
import { type DpopJwk, isStoredDpopJwk } from './dpop.js';

export interface Session {
  version: 1;
  issuer: string;
  client_id: string;
  access_token: string;
  token_type: string;
  /** Seconds since the epoch, when known. */
  expires_at?: number;
  refresh_token?: string;
  refresh_expires_at?: number;
  id_token?: string;
  /** Granted scope (RFC 6749 §5.1: the requested one when the server does not say). */
  scope?: string;
  requested_scope?: string;
  subject?: string;
  obtained_at: number;
  /** Kept with the tokens (never in the config file) so a confidential client can refresh without it in the env. */
  client_secret?: string;
  /** "client_credentials" for a service token; absent for a signed-in user's session. */
  grant_type?: string;
  /**
   * Endpoints the sign-in was given (flags, OAUTH_*, profile) instead of discovering them: with the issuer's discovered
   * ones, the only places its tokens go. Kept with the tokens, so a config file edited later cannot add one.
   */
  endpoints?: Record<string, string>;
  /** RFC 9449: the private key (a JWK with its alg) the tokens are bound to; a refresh proves possession of it. */
  dpop_jwk?: DpopJwk;
  /**
   * RFC 8705 §3.1 x5t#S256 of the client certificate the tokens were obtained with: certificate-bound tokens work only
   * over TLS with that certificate, so a run with another one is told before it uses or refreshes them.
   */
  cert_thumbprint?: string;
  /** RFC 9396: the authorization details granted (the token response's), else as requested. */
  authorization_details?: AuthorizationDetails;
}

export const sessionKey = (profile: string) => `profile:${profile}`;

/**
 * A session obtained with a client certificate is used and refreshed with that certificate only: with another one (or
 * none) the server refuses its tokens, so the run says which certificate it needs instead of sending them.
 */
export function assertSessionCertificate(session: Session, presented: string | undefined, profile: string): void {
  const bound = session.cert_thumbprint;
  if (bound === undefined || bound === presented) return;
  throw new CliError(
    'USAGE',
    `The session of profile "${profile}" was obtained with the client certificate whose x5t#S256 is ${bound}; this run ${presented ? `presents another one (${presented})` : 'presents none'}.`,
    {
      hint: 'Pass the same --cert and --key (or OAUTH_CERT and OAUTH_KEY) as at sign-in, or sign in again with the new certificate.',
    },
  );
}

/**
 * Where a service token is cached: everything the token request said is part of the key (issuer, client, auth method,
 * scope, and every parameter: resource, audience, --param), and so is the client's credential — its secret, or its
 * key's thumbprint (not the key file's path, whose contents may change) — hashed with the rest: a token fetched with
 * the right secret must not be handed out to a run with a wrong one, nor a token for one resource to a run for another.
 */
export function serviceTokenKey(parts: {
  issuer: string;
  clientId: string;
  authMethod: string;
  credential: string;
  scope: string;
  parameters: Record<string, string[]>;
  /** A DPoP token's alg: a DPoP-bound token (kept with its key) is never handed to a run that asked for Bearer. */
  dpop?: string | undefined;
}): string {
  const parameters = Object.keys(parts.parameters)
    .sort()
    .map((name) => [name, [...parts.parameters[name]!].sort()]);
  const key = [parts.issuer, parts.clientId, parts.authMethod, parts.credential, parts.scope, parameters];
  const id = sha256Hex(JSON.stringify(parts.dpop ? [...key, { dpop: parts.dpop }] : key));
  return `service:${id.slice(0, 32)}`;
}

/** Where a cached service token is found from the token alone, so that revoking it also drops it from the cache. */
function serviceTokenIndexKey(token: string): string {
  return `service-token:${sha256Hex(token).slice(0, 32)}`;
}

/** Caches a service token; the index entry is written first, so no cached token is ever out of revoke's reach. */
export async function cacheServiceToken(
  store: SecretStore,
  key: string,
  session: Session,
  replaced?: Session,
): Promise<void> {
  await store.set(serviceTokenIndexKey(session.access_token), key);
  await store.set(key, JSON.stringify(session));
  if (replaced && replaced.access_token !== session.access_token)
    await store.delete(serviceTokenIndexKey(replaced.access_token));
}

/** A cache hit whose token revoke could not find (cached before the index existed) is indexed now. */
export async function indexServiceToken(store: SecretStore, key: string, session: Session): Promise<void> {
  const indexKey = serviceTokenIndexKey(session.access_token);
  if ((await store.get(indexKey)) !== key) await store.set(indexKey, key);
}

/** Drops a token from the service-token cache (after it was revoked); true when it was cached. */
export async function forgetServiceToken(store: SecretStore, token: string): Promise<boolean> {
  const indexKey = serviceTokenIndexKey(token);
  const key = await store.get(indexKey);
  if (key === undefined) return false;
  let cached: Session | undefined;
  try {
    cached = parseSession(await store.get(key), 'the cached service token');
  } catch {
    cached = undefined; // corrupt: it goes too
  }
  // The entry may hold a newer token by now; only the revoked one is dropped.
  const dropped = cached === undefined || cached.access_token === token;
  if (dropped) await store.delete(key);
  await store.delete(indexKey);
  return dropped;
}

/**
 * After a token was revoked, nothing may hand it out again: it leaves the service-token cache and every profile's
 * session (a token may have been copied, or signed in twice): where it is a profile's refresh token the session goes
 * (it cannot be renewed), where it is a profile's access token that token is marked expired (the next `oauth token`
 * refreshes). Each profile is changed under its own session lock, so a refresh in flight cannot bring it back; the
 * caller must not hold any of those locks. Returns what was dropped, in words.
 */
export async function forgetRevokedToken(
  store: SecretStore,
  profiles: readonly string[],
  token: string,
  lock: SessionLockDeps,
): Promise<string[]> {
  const dropped: string[] = [];
  if (await forgetServiceToken(store, token)) dropped.push('the cached service token');
  for (const profile of new Set(profiles)) {
    const key = sessionKey(profile);
    const holds = async () => {
      try {
        const session = parseSession(await store.get(key), profileWhere(profile, store));
        return session?.refresh_token === token || session?.access_token === token ? session : undefined;
      } catch {
        return undefined; // a corrupt session is reported by the commands that use it
      }
    };
    // Most profiles do not hold it: only those that do are locked.
    if (!(await holds())) continue;
    const what = await withSessionLock(profile, lock, async () => {
      const session = await holds();
      if (session?.refresh_token === token) {
        await store.delete(key);
        return `the local tokens of profile ${profile}`;
      }
      if (session?.access_token === token) {
        await store.set(key, JSON.stringify({ ...session, expires_at: 0 }));
        return `profile ${profile}'s access token (the next "oauth token" refreshes it)`;
      }
      return undefined;
    });
    if (what) dropped.push(what);
  }
  return dropped;
}

/** How a run waits for a profile's session lock. */
export interface SessionLockDeps {
  stateDir: string;
  signal?: AbortSignal | undefined;
  /** How long to wait for another process's refresh (bounded by what its requests may take), and a word when waiting. */
  lockWaitMs?: () => number;
  onLockWait?: (ownerPid: number | undefined) => void;
}

/** The one lock every write of a profile's session goes under: refresh, sign-in, logout, revoke. */
export function sessionLockPath(stateDir: string, profile: string): string {
  return join(stateDir, 'locks', `${sha256Hex(sessionKey(profile)).slice(0, 24)}.lock`);
}

export async function withSessionLock<T>(profile: string, deps: SessionLockDeps, work: () => Promise<T>): Promise<T> {
  const { withFileLock } = await import('../store/lock.js');
  return withFileLock(sessionLockPath(deps.stateDir, profile), work, {
    signal: deps.signal,
    ...(deps.lockWaitMs ? { timeoutMs: deps.lockWaitMs() } : {}),
    ...(deps.onLockWait ? { onWait: deps.onLockWait } : {}),
  });
}

export function sessionFromResponse(
  response: TokenEndpointResponse,
  context: {
    issuer: string;
    clientId: string;
    requestedScope?: string | undefined;
    nowSeconds: number;
    previous?: Session | undefined;
    subject?: string | undefined;
    clientSecret?: string | undefined;
    endpoints?: Record<string, string> | undefined;
    dpopJwk?: DpopJwk | undefined;
    certThumbprint?: string | undefined;
    /** The RFC 9396 authorization details the request asked for. */
    authorizationDetails?: AuthorizationDetails | undefined;
  },
): Session {
  const tokenType = String(response.token_type ?? '').toLowerCase();
  if (tokenType !== 'bearer' && tokenType !== 'dpop') {
    throw new CliError(
      'PROTOCOL_ERROR',
      `The token endpoint returned token_type ${JSON.stringify(response.token_type)}; only Bearer and DPoP are understood.`,
    );
  }
  const expiresIn = response.expires_in as unknown;
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0)) {
    throw new CliError(
      'PROTOCOL_ERROR',
      `The token endpoint returned expires_in ${JSON.stringify(expiresIn)}; it must be a number of seconds (RFC 6749 §5.1).`,
    );
  }
  const { previous, nowSeconds } = context;
  const session: Session = {
    version: 1,
    issuer: context.issuer,
    client_id: context.clientId,
    access_token: response.access_token,
    token_type: tokenType === 'dpop' ? 'DPoP' : 'Bearer',
    obtained_at: nowSeconds,
  };
  const expiresAt =
    typeof response.expires_in === 'number' ? nowSeconds + response.expires_in : jwtExpiry(response.access_token);
  if (expiresAt !== undefined) session.expires_at = expiresAt;
  const refreshToken = response.refresh_token ?? previous?.refresh_token;
  if (refreshToken) session.refresh_token = refreshToken;
  const refreshExpiresIn = response.refresh_expires_in;
  if (typeof refreshExpiresIn === 'number' && Number.isFinite(refreshExpiresIn))
    session.refresh_expires_at = nowSeconds + refreshExpiresIn;
  else if (previous?.refresh_expires_at && !response.refresh_token)
    session.refresh_expires_at = previous.refresh_expires_at;
  const idToken = response.id_token ?? previous?.id_token;
  if (idToken) session.id_token = idToken;
  const scope = response.scope ?? previous?.scope ?? context.requestedScope;
  if (scope !== undefined) session.scope = scope;
  const requested = context.requestedScope ?? previous?.requested_scope;
  if (requested !== undefined) session.requested_scope = requested;
  const subject = context.subject ?? previous?.subject;
  if (subject) session.subject = subject;
  const secret = context.clientSecret ?? previous?.client_secret;
  if (secret) session.client_secret = secret;
  const endpoints = context.endpoints ?? previous?.endpoints;
  if (endpoints && Object.keys(endpoints).length > 0) session.endpoints = endpoints;
  const dpopJwk = context.dpopJwk ?? previous?.dpop_jwk;
  if (dpopJwk) session.dpop_jwk = dpopJwk;
  const certThumbprint = context.certThumbprint ?? previous?.cert_thumbprint;
  if (certThumbprint) session.cert_thumbprint = certThumbprint;
  const details =
    grantedAuthorizationDetails(response, context.authorizationDetails) ?? previous?.authorization_details;
  if (details) session.authorization_details = details;
  return session;
}

/** A JWT access token's own exp, when the server sent no expires_in. */
function jwtExpiry(token: string): number | undefined {
  if (token.split('.').length !== 3) return undefined;
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
}

/**
 * Fresh enough to hand out: more than --min-ttl left, or, for a token whose whole lifetime is shorter than twice that,
 * more than half its lifetime (else a 30 s token would never count as fresh and every run would fetch a new one).
 */
export function isFresh(session: Session, nowSeconds: number, minTtlSeconds: number): boolean {
  if (session.expires_at === undefined) return true;
  const lifetime = session.expires_at - session.obtained_at;
  const margin = lifetime > 0 ? Math.min(minTtlSeconds, lifetime / 2) : minTtlSeconds;
  return session.expires_at - nowSeconds > margin;
}

function isExpired(session: Session, nowSeconds: number): boolean {
  return session.expires_at !== undefined && session.expires_at <= nowSeconds;
}

/** What each stored field must be; a session read back is checked against it before anything uses a value. */
const SESSION_FIELDS: Record<string, { type: 'string' | 'number'; required?: true; mayBeEmpty?: true; token?: true }> =
  {
    issuer: { type: 'string', required: true },
    client_id: { type: 'string', required: true },
    access_token: { type: 'string', required: true, token: true },
    token_type: { type: 'string', required: true },
    obtained_at: { type: 'number', required: true },
    expires_at: { type: 'number' },
    refresh_token: { type: 'string', token: true },
    refresh_expires_at: { type: 'number' },
    id_token: { type: 'string', token: true },
    scope: { type: 'string', mayBeEmpty: true },
    requested_scope: { type: 'string', mayBeEmpty: true },
    subject: { type: 'string' },
    client_secret: { type: 'string' },
    grant_type: { type: 'string' },
    cert_thumbprint: { type: 'string', token: true },
  };

/** Why a stored value is not a session, in words; undefined when it is one. */
function sessionShapeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'it is not a JSON object';
  const record = value as Record<string, unknown>;
  if (record.version !== 1) return `"version" is ${JSON.stringify(record.version) ?? 'missing'}, not 1`;
  for (const [name, rule] of Object.entries(SESSION_FIELDS)) {
    const field = record[name];
    if (field === undefined) {
      if (rule.required) return `"${name}" is missing`;
      continue;
    }
    const ok =
      rule.type === 'number'
        ? typeof field === 'number' && Number.isFinite(field)
        : typeof field === 'string' && (field !== '' || rule.mayBeEmpty === true);
    if (!ok)
      return `"${name}" is ${describeJsonType(field)}; it must be ${rule.type === 'number' ? 'a finite number' : rule.mayBeEmpty ? 'a string' : 'a non-empty string'}`;
    // RFC 6749 Appendix A: a token is printable ASCII (VSCHAR), as the token endpoint's answer is checked on arrival;
    // anything else in the store was put there by hand or by something else, and would reach a header or a terminal.
    if (rule.token && !isTokenText(field))
      return `"${name}" has characters outside printable ASCII, which no token has (RFC 6749 Appendix A)`;
  }
  const endpoints = record.endpoints;
  if (
    endpoints !== undefined &&
    (endpoints === null ||
      typeof endpoints !== 'object' ||
      Array.isArray(endpoints) ||
      !Object.values(endpoints).every((value) => typeof value === 'string'))
  ) {
    return `"endpoints" is ${describeJsonType(endpoints)}; it must be an object of URLs`;
  }
  const jwk = record.dpop_jwk;
  if (jwk !== undefined && !isStoredDpopJwk(jwk)) {
    return `"dpop_jwk" is ${describeJsonType(jwk)}; it must be a private JWK with kty, alg and d`;
  }
  const details = record.authorization_details;
  const detailsProblem = details === undefined ? undefined : authorizationDetailsProblem(details);
  if (detailsProblem)
    return `"authorization_details" is not authorization details: ${detailsProblem.replace(/^it /, '')}`;
  return undefined;
}

/**
 * A stored session, its every field checked: a store edited by hand or by another version must end in STORE_CORRUPT
 * (exit 2, naming where), never in a number handed to code that expects a token.
 */
export function parseSession(text: string | undefined, where: string): Session | undefined {
  if (text === undefined) return undefined;
  let problem: string | undefined;
  try {
    const value: unknown = JSON.parse(text);
    problem = sessionShapeProblem(value);
    if (problem === undefined) return value as Session;
  } catch {
    problem = 'it is not JSON';
  }
  throw new CliError('STORE_CORRUPT', `The stored tokens of ${where} are corrupt: ${problem}.`, {
    reason: problem,
    hint: 'Sign in again with "oauth login" to replace them, or drop them with "oauth logout".',
  });
}

/** A setting that says which session a run may use, and where it came from ("--issuer", "OAUTH_ISSUER", …). */
export interface OwnerSetting {
  value: string;
  origin: string;
}

/**
 * Whom this run's settings say a session must belong to. A session is its issuer's and its client's (kubelogin keys
 * its cache the same way): a run for another issuer or client never gets it, so one server's refresh token is never
 * sent to another and a token is never handed out as if another server had issued it.
 */
export interface SessionOwner {
  issuer?: OwnerSetting | undefined;
  clientId?: OwnerSetting | undefined;
}

/** Issuers compared as identifiers, except that a trailing slash alone does not make another server. */
export function sameIssuer(a: string, b: string): boolean {
  return a === b || a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** Why the session is not the owner's, in words; undefined when it is. */
export function ownerMismatch(
  session: Session,
  owner: SessionOwner,
  options: { clientMayDiffer?: boolean } = {},
): string | undefined {
  const issuer = owner.issuer && !sameIssuer(owner.issuer.value, session.issuer) ? owner.issuer : undefined;
  const client =
    !options.clientMayDiffer && owner.clientId && owner.clientId.value !== session.client_id
      ? owner.clientId
      : undefined;
  if (!issuer && !client) return undefined;
  const wanted = [
    issuer && `issuer ${issuer.value} (from ${issuer.origin})`,
    client && `client ${client.value} (from ${client.origin})`,
  ]
    .filter(Boolean)
    .join(' and ');
  return `its tokens were issued by ${session.issuer} to client ${session.client_id}, not for ${wanted}`;
}

/** Whom a sign-in is for, as `oauth login` flags: the issuer and client when known, and any further flags. */
export interface LoginFor {
  issuer?: string | undefined;
  clientId?: string | undefined;
  flags?: readonly string[];
}

/** A command to run next, for the profile the run used: `--profile <name>` added unless it is the default. */
export function profileCommand(command: string, profile: string): string {
  return profile === 'default' ? command : `${command} --profile ${profile}`;
}

/** The exact `oauth login …` command that signs the profile in (for that issuer and client, when given). */
export function loginCommand(profile: string, loginFor: LoginFor = {}): string {
  const parts = ['oauth login'];
  if (loginFor.issuer) parts.push(`--issuer ${loginFor.issuer}`);
  if (loginFor.clientId) parts.push(`--client-id ${loginFor.clientId}`);
  parts.push(...(loginFor.flags ?? []));
  return profileCommand(parts.join(' '), profile);
}

/** The hint for a session that is over (expired, or its refresh token refused): the command that starts a new one. */
export function signInAgain(profile: string): string {
  return `Sign in again: ${loginCommand(profile)}`;
}

export interface NotSignedInOptions {
  /** The settings' issuer and client: the hint's command signs in for them. */
  owner?: SessionOwner;
  /** Why the stored session is not the owner's (ownerMismatch's words), when there is one. */
  mismatch?: string;
  /** The stored access token has expired and there is no refresh token to renew it. */
  expired?: boolean;
  /** The command also takes a token as its argument, and the hint says so. */
  tokenMayBeGiven?: boolean;
}

/** NOT_LOGGED_IN (exit 4) for the profile, with the exact `oauth login` command that fixes it as the hint. */
export function notSignedIn(profile: string, options: NotSignedInOptions = {}): CliError {
  const owner = options.owner ?? {};
  const login = loginCommand(profile, { issuer: owner.issuer?.value, clientId: owner.clientId?.value });
  const withProfile = profile === 'default' ? '' : ` with profile "${profile}"`;
  if (options.expired) {
    return new CliError(
      'NOT_LOGGED_IN',
      `The access token for profile "${profile}" has expired and there is no refresh token.`,
      { hint: signInAgain(profile) },
    );
  }
  if (options.mismatch !== undefined) {
    const keepBoth = profile === 'default' ? ' (add --profile <name> to keep both sessions)' : '';
    return new CliError(
      'NOT_LOGGED_IN',
      `Not signed in${withProfile} for that server and client: ${options.mismatch}.`,
      {
        hint: `${options.tokenMayBeGiven ? 'Pass a token, or sign' : 'Sign'} in there with: ${login}${keepBoth}`,
      },
    );
  }
  return new CliError('NOT_LOGGED_IN', `Not signed in${withProfile}.`, {
    hint: `${options.tokenMayBeGiven ? 'Pass a token, or run' : 'Run'}: ${login}`,
  });
}

/** The profile's session, when it is the owner's; NOT_LOGGED_IN (exit 4) when there is none or it is another's. */
export async function ownedSession(
  store: SecretStore,
  profile: string,
  owner: SessionOwner,
  options: { clientMayDiffer?: boolean; tokenMayBeGiven?: boolean } = {},
): Promise<Session> {
  const session = parseSession(await store.get(sessionKey(profile)), profileWhere(profile, store));
  const tokenMayBeGiven = options.tokenMayBeGiven === true;
  if (!session) throw notSignedIn(profile, { owner, tokenMayBeGiven });
  const mismatch = ownerMismatch(session, owner, options);
  if (mismatch) throw notSignedIn(profile, { owner, mismatch, tokenMayBeGiven });
  return session;
}

export function profileWhere(profile: string, store: SecretStore): string {
  return `profile "${profile}" in ${store.describe()}`;
}

/** What a refresh brought back: the token response, and the ID token's claims once its signature and claims checked out. */
export interface Refreshed {
  response: TokenEndpointResponse;
  idTokenClaims?: Record<string, unknown> | undefined;
  /** A DPoP key the refresh was the first to prove (a session that had none): kept with the session from now on. */
  dpopJwk?: DpopJwk | undefined;
}

export interface FreshSessionDeps extends SessionLockDeps {
  store: SecretStore;
  nowSeconds: () => number;
  /** Calls the token endpoint with the session's refresh token; validates a returned ID token as login does. */
  refresh: (session: Session) => Promise<Refreshed>;
  /** Runs the refresh and the save of its result to the end, whatever Ctrl-C says meanwhile (IO.shield). */
  shield?: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface FreshSession {
  session: Session;
  refreshed: boolean;
}

export async function freshSession(
  profile: string,
  deps: FreshSessionDeps,
  options: { minTtlSeconds: number; force: boolean; owner?: SessionOwner },
): Promise<FreshSession> {
  const key = sessionKey(profile);
  const owner = options.owner ?? {};
  const first = await ownedSession(deps.store, profile, owner);
  if (!options.force && isFresh(first, deps.nowSeconds(), options.minTtlSeconds))
    return { session: first, refreshed: false };

  return withSessionLock(profile, deps, async () => {
    // Another process may have refreshed (or signed in elsewhere) while we waited for the lock: read again. What it
    // got is used while it is valid at all; refreshing again would only make parallel runs refresh once each.
    const current = await ownedSession(deps.store, profile, owner);
    if (current.refresh_token !== first.refresh_token || current.access_token !== first.access_token) {
      if (!isExpired(current, deps.nowSeconds())) return { session: current, refreshed: false };
    }
    if (!current.refresh_token) {
      throw notSignedIn(profile, { expired: true });
    }
    // Once the refresh token is sent, the server may rotate it: its answer is saved even if the run is cancelled
    // meanwhile, or the next run would present the old one again (and a rotating server revokes the grant).
    const shield = deps.shield ?? (<T>(work: () => Promise<T>) => work());
    // Best effort: what the server said is the news, even if the store cannot take the change.
    const replaceRefreshToken = (next: string | undefined) =>
      replaceStoredRefreshToken(deps.store, key, current.refresh_token!, next, profileWhere(profile, deps.store)).catch(
        () => undefined,
      );
    return shield(async () => {
      let refreshed: Refreshed;
      try {
        refreshed = await deps.refresh(current);
      } catch (error) {
        // Refused after the server rotated the refresh token: the new one is kept all the same (nothing else is).
        const rotated = rotatedRefreshToken(error);
        if (rotated && rotated !== current.refresh_token) await replaceRefreshToken(rotated);
        if (
          isCliError(error) &&
          (error.code === 'REFRESH_TOKEN_REJECTED' ||
            (error.code === 'OAUTH_ERROR' && error.oauthError === 'invalid_grant'))
        ) {
          // The server will not take it again: forget it, so status stops offering a refresh that cannot happen.
          await replaceRefreshToken(undefined);
          throw new CliError(
            'REFRESH_TOKEN_REJECTED',
            saidAfter(`The refresh token for profile "${profile}" was rejected`, error),
            {
              ...error.facts,
              hint: signInAgain(profile),
              details: error.details,
            },
          );
        }
        throw error;
      }
      let subject: string | undefined;
      try {
        subject = refreshed.idTokenClaims ? checkRefreshedIdToken(refreshed.idTokenClaims, current) : undefined;
      } catch (error) {
        const rotated = refreshed.response.refresh_token;
        if (typeof rotated === 'string' && rotated !== current.refresh_token) await replaceRefreshToken(rotated);
        throw error;
      }
      const next = sessionFromResponse(refreshed.response, {
        issuer: current.issuer,
        clientId: current.client_id,
        nowSeconds: deps.nowSeconds(),
        previous: current,
        subject,
        dpopJwk: refreshed.dpopJwk,
      });
      await deps.store.set(key, JSON.stringify(next));
      return { session: next, refreshed: true };
    });
  });
}

/**
 * Compare-and-set: the stored refresh token is replaced (by the one a server rotated to) or dropped (the server refused
 * it, with its expiry) only if the store still holds the one that was sent. Another process may have saved a rotated
 * session meanwhile (its lock broken, or a sign-in); that session is not replaced with an old copy.
 */
async function replaceStoredRefreshToken(
  store: SecretStore,
  key: string,
  sent: string,
  next: string | undefined,
  where: string,
): Promise<void> {
  const stored = parseSession(await store.get(key), where);
  if (!stored || stored.refresh_token !== sent) return;
  const { refresh_token: _sent, refresh_expires_at: expiry, ...rest } = stored;
  const kept =
    next === undefined
      ? rest
      : { ...rest, refresh_token: next, ...(expiry !== undefined ? { refresh_expires_at: expiry } : {}) };
  await store.set(key, JSON.stringify(kept));
}

/**
 * OpenID Connect Core §12.2: an ID token from a refresh must name the same issuer and subject as the sign-in's, and
 * the client among its audiences (its signature and other claims were checked as at login). Returns the subject.
 */
export function checkRefreshedIdToken(claims: Record<string, unknown>, session: Session): string | undefined {
  const original = session.id_token ? jwtClaims(session.id_token) : undefined;
  const fail = (why: string) =>
    new CliError(
      'ID_TOKEN_INVALID',
      `The ID token from the refresh is not for the signed-in session: ${why} (OpenID Connect Core §12.2). The stored tokens were left as they were (only a new refresh token, if the server sent one, was kept).`,
      {
        hint: 'If the account really changed, sign in again with "oauth login".',
      },
    );
  const issuer = typeof original?.iss === 'string' ? original.iss : session.issuer;
  if (claims.iss !== issuer) throw fail(`its iss ${JSON.stringify(claims.iss)} differs from ${JSON.stringify(issuer)}`);
  const subject = session.subject ?? (typeof original?.sub === 'string' ? original.sub : undefined);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw fail('it has no sub');
  if (subject !== undefined && claims.sub !== subject)
    throw fail(`its sub ${JSON.stringify(claims.sub)} differs from the signed-in ${JSON.stringify(subject)}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(session.client_id))
    throw fail(
      `its aud ${JSON.stringify(claims.aud)} does not contain the client ${JSON.stringify(session.client_id)}`,
    );
  // §12.2: azp the same as at sign-in — absent if it was absent.
  if (original && claims.azp !== original.azp) {
    throw fail(
      `its azp ${claims.azp === undefined ? 'is absent' : JSON.stringify(claims.azp)}${original.azp === undefined ? ' where the sign-in’s had none' : ` differs from the sign-in’s ${JSON.stringify(original.azp)}`}`,
    );
  }
  if (
    typeof original?.auth_time === 'number' &&
    claims.auth_time !== undefined &&
    claims.auth_time !== original.auth_time
  ) {
    throw fail(`its auth_time ${JSON.stringify(claims.auth_time)} differs from the sign-in's ${original.auth_time}`);
  }
  return claims.sub;
}

/** A JWT's claims without any check (for comparing with what was already verified at sign-in). */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
