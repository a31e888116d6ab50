// `oauth status` end to end for a signed-in user: the profile, its server and subject, and no token.
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { signedInUserForThisFile } from '../helpers/sign-in.js';

const user = signedInUserForThisFile();

describe('oauth status', () => {
  it('shows the profile, redacted', async () => {
    const status = await spawnCli(['status', '--json'], { env: user.home.env });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.profiles[0]).toMatchObject({
      profile: 'default',
      issuer: user.as.issuer,
      signed_in: true,
      session: { subject: 'alice', refresh_token: true },
    });
    expect(status.stdout).not.toContain(user.home.storedSession().access_token);
    expect(status.stdout).not.toContain(user.home.storedSession().refresh_token);
  });
});
