// A signed-in session (the tokens of one profile) and how it stays fresh: read -> fresh enough? -> else, under a
// cross-process lock, re-read -> refresh -> save -> hand out. The rotated refresh token is saved before the new
// access token leaves this module, and no two processes ever present the same refresh token.
import { join } from 'node:path';
import type { TokenEndpointResponse } from 'oauth4webapi';
import { CliError, isCliError } from './errors.js';
import type { SecretStore } from './store/store.js';

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
}

export const sessionKey = (profile: string) => `profile:${profile}`;

/** node:crypto loads a great deal; answering a fresh token from the store needs none of it. */
function sha256(text: string): string {
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Where a service token is cached. The client's credential (its secret, or its key file) is part of the key, hashed
 * with the rest: a token fetched with the right secret must not be handed out to a run with a wrong one.
 */
export function serviceTokenKey(parts: { issuer: string; clientId: string; credential: string; scope: string; resource: string[]; audience: string[] }): string {
  const id = sha256(JSON.stringify([parts.issuer, parts.clientId, parts.credential, parts.scope, [...parts.resource].sort(), [...parts.audience].sort()]));
  return `service:${id.slice(0, 32)}`;
}

export function sessionFromResponse(
  response: TokenEndpointResponse,
  context: { issuer: string; clientId: string; requestedScope?: string | undefined; nowSeconds: number; previous?: Session | undefined; subject?: string | undefined; clientSecret?: string | undefined },
): Session {
  const tokenType = String(response.token_type ?? '').toLowerCase();
  if (tokenType !== 'bearer' && tokenType !== 'dpop') {
    throw new CliError('PROTOCOL_ERROR', `The token endpoint returned token_type ${JSON.stringify(response.token_type)}; only Bearer and DPoP are understood.`);
  }
  const expiresIn = response.expires_in as unknown;
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0)) {
    throw new CliError('PROTOCOL_ERROR', `The token endpoint returned expires_in ${JSON.stringify(expiresIn)}; it must be a number of seconds (RFC 6749 §5.1).`);
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
  const expiresAt = typeof response.expires_in === 'number' ? nowSeconds + response.expires_in : jwtExpiry(response.access_token);
  if (expiresAt !== undefined) session.expires_at = expiresAt;
  const refreshToken = response.refresh_token ?? previous?.refresh_token;
  if (refreshToken) session.refresh_token = refreshToken;
  const refreshExpiresIn = response.refresh_expires_in;
  if (typeof refreshExpiresIn === 'number' && Number.isFinite(refreshExpiresIn)) session.refresh_expires_at = nowSeconds + refreshExpiresIn;
  else if (previous?.refresh_expires_at && !response.refresh_token) session.refresh_expires_at = previous.refresh_expires_at;
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
  return session;
}

/** A JWT access token's own exp, when the server sent no expires_in. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload || token.split('.').length !== 3) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

export function isFresh(session: Session, nowSeconds: number, minTtlSeconds: number): boolean {
  return session.expires_at === undefined || session.expires_at - nowSeconds > minTtlSeconds;
}

export function parseSession(text: string | undefined, where: string): Session | undefined {
  if (text === undefined) return undefined;
  try {
    const session = JSON.parse(text) as Session;
    if (session.version === 1 && typeof session.access_token === 'string') return session;
  } catch {
    // fall through
  }
  throw new CliError('STORE_CORRUPT', `The stored tokens for ${where} are unreadable.`, { hint: 'Sign in again with "oauth login".' });
}

export interface FreshSessionDeps {
  store: SecretStore;
  stateDir: string;
  nowSeconds: () => number;
  /** Calls the token endpoint with the session's refresh token. */
  refresh: (session: Session) => Promise<TokenEndpointResponse>;
  signal?: AbortSignal | undefined;
}

export interface FreshSession {
  session: Session;
  refreshed: boolean;
}

export async function freshSession(profile: string, deps: FreshSessionDeps, options: { minTtlSeconds: number; force: boolean }): Promise<FreshSession> {
  const key = sessionKey(profile);
  const first = await readSession(deps.store, key, profile);
  if (!options.force && isFresh(first, deps.nowSeconds(), options.minTtlSeconds)) return { session: first, refreshed: false };

  const lockPath = join(deps.stateDir, 'locks', `${sha256(key).slice(0, 24)}.lock`);
  const { withFileLock } = await import('./lock.js');
  return withFileLock(
    lockPath,
    async () => {
      // Another process may have refreshed while we waited for the lock: its result is ours too.
      const current = await readSession(deps.store, key, profile);
      if (current.refresh_token !== first.refresh_token || current.access_token !== first.access_token) {
        if (isFresh(current, deps.nowSeconds(), options.minTtlSeconds)) return { session: current, refreshed: false };
      }
      if (!current.refresh_token) {
        throw new CliError('NOT_LOGGED_IN', `The access token for profile "${profile}" has expired and there is no refresh token.`, {
          hint: `Sign in again: oauth login${profile === 'default' ? '' : ` --profile ${profile}`}`,
        });
      }
      let response: TokenEndpointResponse;
      try {
        response = await deps.refresh(current);
      } catch (error) {
        if (isCliError(error) && error.code === 'OAUTH_ERROR' && error.details?.error === 'invalid_grant') {
          throw new CliError('REFRESH_TOKEN_REJECTED', `The refresh token for profile "${profile}" was rejected: ${error.message.replace(/^The refresh failed: /, '')}`, {
            hint: `Sign in again: oauth login${profile === 'default' ? '' : ` --profile ${profile}`}`,
          });
        }
        throw error;
      }
      const next = sessionFromResponse(response, { issuer: current.issuer, clientId: current.client_id, nowSeconds: deps.nowSeconds(), previous: current });
      await deps.store.set(key, JSON.stringify(next));
      return { session: next, refreshed: true };
    },
    { signal: deps.signal },
  );
}

async function readSession(store: SecretStore, key: string, profile: string): Promise<Session> {
  const session = parseSession(await store.get(key), `profile "${profile}"`);
  if (!session) {
    throw new CliError('NOT_LOGGED_IN', `Not signed in${profile === 'default' ? '' : ` with profile "${profile}"`}.`, {
      hint: `Run: oauth login${profile === 'default' ? '' : ` --profile ${profile}`}`,
    });
  }
  return session;
}
