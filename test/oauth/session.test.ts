// freshSession, the read -> fresh? -> lock -> re-read -> refresh -> save path, with the store, clock and refresh call
// injected: what it saves and hands out when another process changed the store while it worked.
import { mkdtempSync } from 'node:fs';
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
