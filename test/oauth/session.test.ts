// freshSession, the read -> fresh? -> lock -> re-read -> refresh -> save path, with the store, clock and refresh call
// injected: what it saves and hands out when another process changed the store while it worked.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { withFileLock } from '../../src/store/lock.js';
import {
  freshSession,
  isFresh,
  loginCommand,
  notSignedIn,
  ownedSession,
  sessionKey,
  sessionLockPath,
  type FreshSessionDeps,
  type Session,
} from '../../src/oauth/session.js';
import { memoryStore } from '../../src/store/memory.js';

const NOW = 1_800_000_000;

function session(extra: Partial<Session> = {}): Session {
  return {
    version: 1,
    issuer: 'https://id.example.test',
    client_id: 'cli',
    access_token: 'old-access-0123456789',
    token_type: 'Bearer',
    obtained_at: NOW - 600,
    expires_at: NOW - 10,
    refresh_token: 'old-refresh-0123456789',
    ...extra,
  };
}

function deps(
  refresh: FreshSessionDeps['refresh'],
  entries = new Map<string, string>(),
): FreshSessionDeps & { entries: Map<string, string> } {
  return {
    store: memoryStore(entries),
    entries,
    stateDir: mkdtempSync(join(tmpdir(), 'oauth-refresh-')),
    nowSeconds: () => NOW,
    refresh,
  };
}

const stored = (entries: Map<string, string>, profile = 'default') =>
  JSON.parse(entries.get(sessionKey(profile))!) as Session;

describe('a refresh the server refuses', () => {
  it('drops the refused refresh token when the store still holds it', async () => {
    const run = deps(async () => {
      throw new CliError('REFRESH_TOKEN_REJECTED', 'The refresh failed: invalid_grant.');
    });
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    await expect(freshSession('default', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_REJECTED',
    });
    expect(stored(run.entries).refresh_token).toBeUndefined();
    expect(stored(run.entries).access_token).toBe('old-access-0123456789');
  });

  it('leaves a session another process saved meanwhile (a rotated refresh token) as it is: compare-and-set, never an old copy', async () => {
    const rotated = session({
      access_token: 'rotated-access-0123456789',
      refresh_token: 'rotated-refresh-0123456789',
      expires_at: NOW + 600,
      obtained_at: NOW,
    });
    const entries = new Map<string, string>();
    const run = deps(async () => {
      // While this run's request was out, the other process's refresh was saved; then the server refused ours.
      entries.set(sessionKey('default'), JSON.stringify(rotated));
      throw new CliError('REFRESH_TOKEN_REJECTED', 'The refresh failed: invalid_grant.');
    }, entries);
    entries.set(sessionKey('default'), JSON.stringify(session()));
    await expect(freshSession('default', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_REJECTED',
    });
    expect(stored(entries)).toEqual(rotated);
  });

  it('says the server’s reason in its own sentence, and keeps the refusal’s fields', async () => {
    const run = deps(async () => {
      throw new CliError(
        'REFRESH_TOKEN_REJECTED',
        'The refresh failed: the server answered invalid_grant (HTTP 400).',
        {
          reason: 'the server answered invalid_grant (HTTP 400)',
          status: 400,
          oauthError: 'invalid_grant',
        },
      );
    });
    run.entries.set(sessionKey('work'), JSON.stringify(session()));
    await expect(freshSession('work', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_REJECTED',
      message: 'The refresh token for profile "work" was rejected: the server answered invalid_grant (HTTP 400).',
      hint: 'Sign in again: oauth login --profile work',
      status: 400,
      oauthError: 'invalid_grant',
    });
  });

  it('an OAuth invalid_grant under another code is a rejection too, known by its error code', async () => {
    const run = deps(async () => {
      throw new CliError('OAUTH_ERROR', 'The refresh failed: the server answered invalid_grant (HTTP 403).', {
        oauthError: 'invalid_grant',
      });
    });
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    await expect(freshSession('default', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_REJECTED',
      // No reason to quote: the refusal's message is quoted whole.
      message:
        'The refresh token for profile "default" was rejected. The refresh failed: the server answered invalid_grant (HTTP 403).',
    });
    expect(stored(run.entries).refresh_token).toBeUndefined();
  });
});

describe('not signed in', () => {
  const owner = {
    issuer: { value: 'https://id.example.test', origin: '--issuer' },
    clientId: { value: 'cli', origin: 'OAUTH_CLIENT_ID' },
  };

  it('is NOT_LOGGED_IN (exit 4) with the exact command that signs the profile in', () => {
    expect(notSignedIn('default')).toMatchObject({
      code: 'NOT_LOGGED_IN',
      exitCode: 4,
      message: 'Not signed in.',
      hint: 'Run: oauth login',
    });
    expect(notSignedIn('work', { owner })).toMatchObject({
      message: 'Not signed in with profile "work".',
      hint: 'Run: oauth login --issuer https://id.example.test --client-id cli --profile work',
    });
    expect(notSignedIn('default', { owner, tokenMayBeGiven: true }).hint).toBe(
      'Pass a token, or run: oauth login --issuer https://id.example.test --client-id cli',
    );
  });

  it('says whose the stored session is when it belongs to another server or client', () => {
    const mismatch =
      'its tokens were issued by https://other.test to client x, not for issuer https://id.example.test (from --issuer)';
    expect(notSignedIn('default', { owner, mismatch })).toMatchObject({
      code: 'NOT_LOGGED_IN',
      message: `Not signed in for that server and client: ${mismatch}.`,
      hint: 'Sign in there with: oauth login --issuer https://id.example.test --client-id cli (add --profile <name> to keep both sessions)',
    });
    expect(notSignedIn('work', { owner, mismatch, tokenMayBeGiven: true }).hint).toBe(
      'Pass a token, or sign in there with: oauth login --issuer https://id.example.test --client-id cli --profile work',
    );
  });

  it('an expired access token without a refresh token is not signed in either', () => {
    expect(notSignedIn('work', { expired: true })).toMatchObject({
      code: 'NOT_LOGGED_IN',
      message: 'The access token for profile "work" has expired and there is no refresh token.',
      hint: 'Sign in again: oauth login --profile work',
    });
  });

  it('is what reading a profile without a session, or with another’s, throws', async () => {
    const entries = new Map<string, string>();
    const store = memoryStore(entries);
    await expect(ownedSession(store, 'work', owner)).rejects.toEqual(notSignedIn('work', { owner }));
    entries.set(sessionKey('work'), JSON.stringify(session({ issuer: 'https://other.test' })));
    await expect(ownedSession(store, 'work', owner)).rejects.toMatchObject({
      code: 'NOT_LOGGED_IN',
      message: expect.stringContaining(
        'Not signed in with profile "work" for that server and client: its tokens were issued by https://other.test',
      ),
    });
  });

  it('the login command takes further flags before the profile', () => {
    expect(
      loginCommand('work', {
        issuer: 'https://id.example.test',
        clientId: 'cli',
        flags: ['--token-endpoint https://t.test'],
      }),
    ).toBe(
      'oauth login --issuer https://id.example.test --client-id cli --token-endpoint https://t.test --profile work',
    );
  });
});

describe('fresh enough, relative to the token’s lifetime', () => {
  it('a token whose whole lifetime is shorter than --min-ttl is fresh for its first half, not never', () => {
    const short = session({ obtained_at: NOW, expires_at: NOW + 30 });
    expect(isFresh(short, NOW, 60)).toBe(true);
    expect(isFresh(short, NOW + 14, 60)).toBe(true);
    expect(isFresh(short, NOW + 16, 60)).toBe(false);
    // A long-lived token keeps the plain --min-ttl margin.
    const long = session({ obtained_at: NOW, expires_at: NOW + 3600 });
    expect(isFresh(long, NOW + 3600 - 61, 60)).toBe(true);
    expect(isFresh(long, NOW + 3600 - 59, 60)).toBe(false);
  });

  it('a run that waited for the lock uses the session another process refreshed meanwhile while it is unexpired, without refreshing again', async () => {
    let refreshes = 0;
    let waiting!: () => void;
    const waited = new Promise<void>((resolve) => (waiting = resolve));
    const run = deps(async () => {
      refreshes++;
      throw new Error('must not refresh');
    });
    run.onLockWait = () => waiting();
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    // Ten seconds left of five minutes: under --min-ttl, yet valid — what a parallel run's refresh just saved.
    const other = session({
      access_token: 'other-run-access-0123456789',
      refresh_token: 'other-run-refresh-0123456789',
      obtained_at: NOW - 290,
      expires_at: NOW + 10,
    });
    let result!: Promise<unknown>;
    await withFileLock(sessionLockPath(run.stateDir, 'default'), async () => {
      result = freshSession('default', run, { minTtlSeconds: 60, force: false });
      await waited;
      run.entries.set(sessionKey('default'), JSON.stringify(other));
    });
    expect(await result).toEqual({ session: other, refreshed: false });
    expect(refreshes).toBe(0);
  });
});

/** A refresh call that counts its calls and answers `response` (a token endpoint's JSON). */
function answering(response: { access_token: string; refresh_token?: string; expires_in?: number }) {
  const calls: Session[] = [];
  const refresh: FreshSessionDeps['refresh'] = async (sent) => {
    calls.push(sent);
    return { response: { token_type: 'bearer', ...response } };
  };
  return { refresh, calls };
}

describe('a fresh session', () => {
  it('is answered from the store: no refresh, nothing written, no lock taken', async () => {
    const { refresh, calls } = answering({ access_token: 'never-0123456789' });
    const run = deps(refresh);
    const fresh = session({ expires_at: NOW + 3600 });
    run.entries.set(sessionKey('default'), JSON.stringify(fresh));
    const writes: string[] = [];
    run.store = { ...run.store, set: async (key) => void writes.push(key) };
    expect(await freshSession('default', run, { minTtlSeconds: 60, force: false })).toEqual({
      session: fresh,
      refreshed: false,
    });
    expect(calls).toEqual([]);
    expect(writes).toEqual([]);
    expect(existsSync(sessionLockPath(run.stateDir, 'default'))).toBe(false);
  });

  it('is refreshed when its remaining lifetime is within --min-ttl, and the new one saved', async () => {
    const { refresh, calls } = answering({ access_token: 'new-access-0123456789', expires_in: 3600 });
    const run = deps(refresh);
    // An hour-long token with 30 s left: valid, but not for the 60 s asked for.
    run.entries.set(sessionKey('default'), JSON.stringify(session({ obtained_at: NOW - 3570, expires_at: NOW + 30 })));
    const result = await freshSession('default', run, { minTtlSeconds: 60, force: false });
    expect(calls.map((sent) => sent.refresh_token)).toEqual(['old-refresh-0123456789']);
    expect(result.refreshed).toBe(true);
    expect(result.session).toMatchObject({ access_token: 'new-access-0123456789', expires_at: NOW + 3600 });
    expect(stored(run.entries)).toEqual(result.session);
  });

  it('--refresh (force) refreshes even a fresh one', async () => {
    const { refresh, calls } = answering({ access_token: 'forced-access-0123456789', expires_in: 3600 });
    const run = deps(refresh);
    run.entries.set(sessionKey('default'), JSON.stringify(session({ expires_at: NOW + 3600 })));
    const result = await freshSession('default', run, { minTtlSeconds: 60, force: true });
    expect(calls).toHaveLength(1);
    expect(result.session.access_token).toBe('forced-access-0123456789');
  });
});

describe('what a refresh saves', () => {
  it('a rotated refresh token is saved with the new access token before the run hands the token out', async () => {
    const { refresh } = answering({
      access_token: 'new-access-0123456789',
      refresh_token: 'rotated-refresh-0123456789',
      expires_in: 600,
    });
    const run = deps(refresh);
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    const result = await freshSession('default', run, { minTtlSeconds: 60, force: false });
    expect(result.session).toMatchObject({
      access_token: 'new-access-0123456789',
      refresh_token: 'rotated-refresh-0123456789',
    });
    expect(stored(run.entries)).toMatchObject({
      access_token: 'new-access-0123456789',
      refresh_token: 'rotated-refresh-0123456789',
    });
  });

  it('a store that cannot take the rotated session fails the run: the new access token is not handed out', async () => {
    const { refresh } = answering({ access_token: 'unsaved-access-0123456789', refresh_token: 'r-0123456789ab' });
    const run = deps(refresh);
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    run.store = {
      ...run.store,
      set: async () => {
        throw new CliError('STORE_FAILED', 'Cannot write the token file.');
      },
    };
    await expect(freshSession('default', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
  });

  it('an answer without a refresh token keeps the old one', async () => {
    const { refresh } = answering({ access_token: 'new-access-0123456789', expires_in: 600 });
    const run = deps(refresh);
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    const result = await freshSession('default', run, { minTtlSeconds: 60, force: false });
    expect(result.session.refresh_token).toBe('old-refresh-0123456789');
    expect(stored(run.entries)).toMatchObject({
      access_token: 'new-access-0123456789',
      refresh_token: 'old-refresh-0123456789',
    });
  });

  it('an ID token for another subject is refused (ID_TOKEN_INVALID); the old tokens stay, only a rotated refresh token is kept', async () => {
    const run = deps(async () => ({
      response: {
        token_type: 'bearer',
        access_token: 'mallory-access-0123456789',
        refresh_token: 'rotated-refresh-0123456789',
      },
      idTokenClaims: { iss: 'https://id.example.test', sub: 'mallory', aud: 'cli' },
    }));
    run.entries.set(sessionKey('default'), JSON.stringify(session({ subject: 'alice' })));
    await expect(freshSession('default', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'ID_TOKEN_INVALID',
    });
    expect(stored(run.entries)).toMatchObject({
      access_token: 'old-access-0123456789',
      refresh_token: 'rotated-refresh-0123456789',
    });
  });
});

describe('a session that cannot be refreshed', () => {
  it('none stored: NOT_LOGGED_IN (exit 4) with the command that signs in', async () => {
    const run = deps(answering({ access_token: 'x-0123456789' }).refresh);
    const error = await freshSession('work', run, { minTtlSeconds: 60, force: false }).catch((caught) => caught);
    expect(error).toMatchObject({ code: 'NOT_LOGGED_IN', exitCode: 4 });
    expect(error.hint).toContain('oauth login --profile work');
  });

  it('expired without a refresh token: NOT_LOGGED_IN (exit 4), no refresh tried', async () => {
    const { refresh, calls } = answering({ access_token: 'x-0123456789' });
    const run = deps(refresh);
    run.entries.set(sessionKey('default'), JSON.stringify(session({ refresh_token: undefined })));
    await expect(freshSession('default', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'NOT_LOGGED_IN',
      exitCode: 4,
    });
    expect(calls).toEqual([]);
  });

  it('another server’s session is not this run’s: NOT_LOGGED_IN naming where the setting came from', async () => {
    const { refresh, calls } = answering({ access_token: 'x-0123456789' });
    const run = deps(refresh);
    run.entries.set(sessionKey('default'), JSON.stringify(session({ expires_at: NOW + 3600 })));
    const owner = { issuer: { value: 'https://other.example.test', origin: 'OAUTH_ISSUER' } };
    const error = await freshSession('default', run, { minTtlSeconds: 60, force: false, owner }).catch((e) => e);
    expect(error).toMatchObject({ code: 'NOT_LOGGED_IN', exitCode: 4 });
    expect(error.message).toContain('(from OAUTH_ISSUER)');
    expect(calls).toEqual([]);
  });

  it('an invalid_grant from the server is REFRESH_TOKEN_REJECTED (exit 4) with the sign-in hint, and the refresh token is dropped', async () => {
    const run = deps(async () => {
      throw new CliError('OAUTH_ERROR', 'The refresh failed: invalid_grant (grant request is invalid).', {
        reason: 'invalid_grant (grant request is invalid)',
        oauthError: 'invalid_grant',
        details: { error: 'invalid_grant' },
      });
    });
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    const error = await freshSession('default', run, { minTtlSeconds: 60, force: false }).catch((caught) => caught);
    expect(error).toMatchObject({ code: 'REFRESH_TOKEN_REJECTED', exitCode: 4 });
    expect(error.message).toBe(
      'The refresh token for profile "default" was rejected: invalid_grant (grant request is invalid).',
    );
    expect(error.hint).toBe('Sign in again: oauth login');
    expect(stored(run.entries).refresh_token).toBeUndefined();
  });

  it('a failure that is not a refusal (the server down) keeps the refresh token for the next run', async () => {
    const run = deps(async () => {
      throw new CliError('HTTP_NETWORK', 'connection refused');
    });
    run.entries.set(sessionKey('default'), JSON.stringify(session()));
    await expect(freshSession('default', run, { minTtlSeconds: 60, force: false })).rejects.toMatchObject({
      code: 'HTTP_NETWORK',
    });
    expect(stored(run.entries)).toEqual(session());
  });
});
