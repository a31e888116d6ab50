// `oauth introspect` end to end against a real oidc-provider: an active token is reported with its claims, a revoked
// one as not active (exit 3).
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { revokeAtServer, signedInHome, signedInUserForThisFile } from '../helpers/sign-in.js';

const user = signedInUserForThisFile();

describe('oauth introspect', () => {
  it('reports an active refresh token given on stdin', async () => {
    const active = await spawnCli(['introspect', '-', '--token-type-hint', 'refresh_token', '--json'], {
      env: user.home.env,
      stdin: user.home.storedSession().refresh_token!,
    });
    expect(active.code).toBe(0);
    expect(JSON.parse(active.stdout)).toMatchObject({ active: true, sub: 'alice' });
  });

  it('exits 3 for a revoked one, saying it is not active', async () => {
    const { env, storedSession } = await signedInHome(user.as);
    const refreshToken = storedSession().refresh_token!;
    await revokeAtServer(user.as, refreshToken);
    const inactive = await spawnCli(['introspect', '-', '--token-type-hint', 'refresh_token'], {
      env,
      stdin: refreshToken,
    });
    expect(inactive.code).toBe(3);
    expect(inactive.stdout).toContain('not active');
  });
});
