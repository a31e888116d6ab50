// `oauth userinfo` end to end: a signed-in user's token is an API access token (audience https://api.test), which the
// userinfo endpoint refuses; the server's refusal is reported as such.
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { signedInUserForThisFile } from '../helpers/sign-in.js';

const user = signedInUserForThisFile();

describe('oauth userinfo', () => {
  it('with an API access token says the server rejected it (exit 4)', async () => {
    const result = await spawnCli(['userinfo'], { env: user.home.env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error[TOKEN_REJECTED]');
    expect(result.stderr).toContain('invalid_token');
  });
});
