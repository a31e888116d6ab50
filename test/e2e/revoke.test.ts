// `oauth revoke` end to end: without a token it revokes the profile's refresh token at a real oidc-provider and forgets
// the local tokens; a token given on stdin is revoked as given.
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { signedInUserForThisFile, type UserHome } from '../helpers/sign-in.js';

const user = signedInUserForThisFile();

const introspectRefreshToken = (env: UserHome['env'], token: string) =>
  spawnCli(
    ['introspect', '-', '--token-type-hint', 'refresh_token', '--issuer', user.as.issuer, '--client-id', 'oauth-cli'],
    {
      env,
      stdin: token,
    },
  );

describe('oauth revoke', () => {
  it('without a token revokes the profile’s refresh token and forgets the local tokens', async () => {
    const { env, storedSession, storedEntries } = user.home;
    const refreshToken = storedSession().refresh_token!;
    expect((await introspectRefreshToken(env, refreshToken)).code).toBe(0);
    const revoked = await spawnCli(['revoke'], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout + revoked.stderr).not.toContain(refreshToken);
    expect(storedEntries()['profile:default']).toBeUndefined();
    const inactive = await introspectRefreshToken(env, refreshToken);
    expect(inactive.code).toBe(3);
    expect(inactive.stdout).toContain('not active');
  });
});
