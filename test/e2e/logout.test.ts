// `oauth logout` end to end: it revokes the refresh token at the server and deletes the local tokens; afterwards
// `oauth token` says how to sign in again and the server calls the old refresh token inactive.
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { signedInUserForThisFile } from '../helpers/sign-in.js';

const user = signedInUserForThisFile();

describe('oauth logout', () => {
  it('revokes and deletes; then token exits 4 with the login hint, and the refresh token is not active', async () => {
    const { env, storedSession, storedEntries } = user.home;
    const refreshToken = storedSession().refresh_token!;
    const logout = await spawnCli(['logout'], { env });
    expect(logout.code).toBe(0);
    expect(logout.stdout).toContain('revoked the refresh token');
    expect(storedEntries()['profile:default']).toBeUndefined();
    const token = await spawnCli(['token'], { env });
    expect(token.code).toBe(4);
    expect(token.stderr).toContain('oauth login');
    const inactive = await spawnCli(['introspect', '-', '--token-type-hint', 'refresh_token'], {
      env: { ...env, OAUTH_CLIENT_ID: 'oauth-cli' },
      stdin: refreshToken,
    });
    expect(inactive.code).toBe(3);
    expect(inactive.stdout).toContain('not active');
  });
});
