// `oauth token` for a signed-in user, end to end: the built CLI against a real oidc-provider — what it prints, how it
// refreshes (rotation, parallel runs) and what it says when the server refuses the refresh token.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { scanned } from '../helpers/leak-scan.js';
import { API_AUDIENCE } from '../helpers/oidc.js';
import { revokeAtServer, signedInHome, signedInUserForThisFile } from '../helpers/sign-in.js';

const user = signedInUserForThisFile();

describe('oauth token for a signed-in user', () => {
  it('prints only a JWT that verifies against the server keys', async () => {
    const token = await spawnCli(['token'], { env: user.home.env });
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const verified = await spawnCli(
      ['decode', '-', '--verify', '--issuer', user.as.issuer, '--audience', API_AUDIENCE, '--typ', 'at+jwt'],
      { env: user.home.env, stdin: token.stdout },
    );
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
  });

  it('output formats: header, json, human', async () => {
    const { env } = user.home;
    expect((await spawnCli(['token', '-o', 'header'], { env })).stdout).toMatch(/^Authorization: Bearer eyJ/);
    const json = JSON.parse((await spawnCli(['token', '--output', 'json'], { env })).stdout);
    expect(json).toMatchObject({ token_type: 'Bearer', access_token: expect.stringMatching(/^eyJ/) });
    expect(json.refresh_token).toBeUndefined();
    const human = await spawnCli(['token', '-o', 'human'], { env });
    expect(human.stdout).toMatch(/access token\s+eyJhbG…/);
    expect(human.stdout).not.toContain(json.access_token);
  });

  it('--refresh twice in a row succeeds: the rotated refresh token is saved', async () => {
    const { env, storedSession } = user.home;
    const before = storedSession().refresh_token;
    expect((await spawnCli(['token', '--refresh'], { env })).code).toBe(0);
    const middle = storedSession().refresh_token;
    expect((await spawnCli(['token', '--refresh'], { env })).code).toBe(0);
    const after = storedSession().refresh_token;
    expect(new Set([before, middle, after]).size).toBe(3);
  });

  it('16 parallel runs after the access token expired: all succeed, one refresh, the grant stays alive', async () => {
    const { env, tokenFile } = user.home;
    const data = JSON.parse(readFileSync(tokenFile, 'utf8'));
    const session = JSON.parse(data.entries['profile:default']);
    session.expires_at = Math.floor(Date.now() / 1000) - 10;
    data.entries['profile:default'] = JSON.stringify(session);
    writeFileSync(tokenFile, JSON.stringify(data));

    const runs = await Promise.all(Array.from({ length: 16 }, () => spawnCli(['token'], { env, timeoutMs: 60_000 })));
    expect(runs.map((run) => run.code)).toEqual(Array(16).fill(0));
    const tokens = new Set(runs.map((run) => run.stdout));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(`${session.access_token}\n`);
    // A replayed refresh token would have revoked the grant; a fresh refresh proves it is alive.
    expect((await spawnCli(['token', '--refresh'], { env })).code).toBe(0);
  });
});

describe('oauth token when the server refuses the refresh token', () => {
  it('exits 4 and says to sign in again, and forgets the refresh token', async () => {
    const { env, storedSession } = await signedInHome(user.as);
    const session = storedSession();
    // Revoked at the server behind the CLI's back: the CLI learns it only when it tries to refresh.
    await revokeAtServer(user.as, session.refresh_token!);
    const result = await spawnCli(['token', '--refresh'], { env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error[REFRESH_TOKEN_REJECTED]');
    expect(result.stderr).toContain('oauth login');
    expect(result.stderr).not.toContain(session.refresh_token);
    // The refused refresh token is forgotten: status no longer offers it, and the next run says the same without a request.
    const status = JSON.parse((await spawnCli(['status', '--json'], { env })).stdout);
    expect(status.profiles[0].session.refresh_token).toBe(false);
    expect(JSON.stringify(storedSession())).not.toContain(session.refresh_token);
    const again = await spawnCli(['token', '--refresh'], { env });
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('oauth login');
  });
});

describe('the leak scan over this file', () => {
  it('collected the secrets the server issued and received, and every run (checked after the file)', () => {
    expect(scanned().secrets).toBeGreaterThan(20);
    expect(scanned().runs).toBeGreaterThan(20);
  });
});
