// `oauth token` for a signed-in user, run in-process (main with in-memory streams) against a real oidc-provider: what
// each output form prints, on a pipe and on a terminal, how an expired token is refreshed and saved, and what a run
// without a session says.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, STACK_TRACE } from '../helpers/cli.js';
import { signedInUserForThisFile } from '../helpers/sign-in.js';

const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/;
const user = signedInUserForThisFile();

describe('oauth token, signed in', () => {
  it('on a pipe prints the stored access token and a newline, nothing else, exit 0', async () => {
    const result = await runCli(['token'], { env: user.home.env });
    expect(result).toEqual({ code: 0, stdout: `${user.home.storedSession().access_token}\n`, stderr: '' });
    expect(result.stdout.trim()).toMatch(JWT);
  });

  it('-o header prints an Authorization header with the same token', async () => {
    const result = await runCli(['token', '-o', 'header'], { env: user.home.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Authorization: Bearer ${user.home.storedSession().access_token}\n`);
  });

  it('-o header --htu/--htm for a Bearer session: the header alone, and one warning that they apply only to DPoP', async () => {
    const result = await runCli(['token', '-o', 'header', '--htu', 'https://api.example.com/orders', '--htm', 'POST'], {
      env: user.home.env,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Authorization: Bearer ${user.home.storedSession().access_token}\n`);
    expect(result.stderr.match(/--htu and --htm apply only to DPoP sessions/g)).toHaveLength(1);
  });

  it('-o json prints the token response a client needs, never the refresh token', async () => {
    const result = await runCli(['token', '-o', 'json'], { env: user.home.env });
    expect(result.code).toBe(0);
    const stored = user.home.storedSession();
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      access_token: stored.access_token,
      token_type: 'Bearer',
      expires_at: stored.expires_at,
      scope: 'api:read',
    });
    expect(json.expires_in).toBeGreaterThan(0);
    expect(json).not.toHaveProperty('refresh_token');
    expect(result.stdout).not.toContain(stored.refresh_token);
  });

  it('on a terminal shows a summary with the token redacted, and says how to get it', async () => {
    const result = await runCli(['token'], { env: user.home.env, tty: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Access token for');
    expect(result.stdout).toContain('alice');
    expect(result.stdout).not.toContain(user.home.storedSession().access_token);
    expect(result.stderr).toContain('use --output raw (or pipe it) to get it');
  });

  it('an expired access token is refreshed, saved, and the new one printed', async () => {
    const data = JSON.parse(readFileSync(user.home.tokenFile, 'utf8'));
    const expired = { ...user.home.storedSession(), expires_at: Math.floor(Date.now() / 1000) - 10 };
    data.entries['profile:default'] = JSON.stringify(expired);
    writeFileSync(user.home.tokenFile, JSON.stringify(data));
    const result = await runCli(['token'], { env: user.home.env });
    expect(result.code, result.stderr).toBe(0);
    const saved = user.home.storedSession();
    expect(result.stdout).toBe(`${saved.access_token}\n`);
    expect(saved.access_token).not.toBe(expired.access_token);
    expect(saved.refresh_token).not.toBe(expired.refresh_token);
    expect(saved.expires_at).toBeGreaterThan(Date.now() / 1000);
  });
});

describe('oauth token, not signed in', () => {
  it('exits 4 with NOT_LOGGED_IN and the command that signs in, printing nothing on stdout', async () => {
    const result = await runCli(['token', '--profile', 'work'], { env: user.home.env });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error[NOT_LOGGED_IN]: Not signed in with profile "work".\nhint: Run: oauth login --profile work\n',
    );
  });

  it('for another server than the session’s: exits 4 naming the setting, and the sign-in that fixes it', async () => {
    const result = await runCli(['token', '--issuer', 'https://other.test'], { env: user.home.env });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('not for issuer https://other.test (from --issuer)');
    // The profile's client is its own server's: the command does not carry it to another one.
    expect(result.stderr).toContain('hint: Sign in there with: oauth login --issuer https://other.test (add --profile');
    expect(result.stderr).not.toContain('--client-id oauth-cli');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });
});
