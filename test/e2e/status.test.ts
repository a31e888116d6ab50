// `oauth status` end to end for a signed-in user: the profile, its server and subject, and no token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { signedInHome, type UserHome } from '../helpers/sign-in.js';

let as: TestAuthorizationServer;
let home: UserHome;
beforeAll(async () => {
  as = await startAuthorizationServer();
  home = await signedInHome(as);
});
afterAll(() => as.close());

describe('oauth status', () => {
  it('shows the profile, redacted', async () => {
    const status = await spawnCli(['status', '--json'], { env: home.env });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.profiles[0]).toMatchObject({
      profile: 'default',
      issuer: as.issuer,
      signed_in: true,
      session: { subject: 'alice', refresh_token: true },
    });
    expect(status.stdout).not.toContain(home.storedSession().access_token);
    expect(status.stdout).not.toContain(home.storedSession().refresh_token);
  });
});
