// `oauth userinfo` end to end: a signed-in user's token is an API access token (audience https://api.test), which the
// userinfo endpoint refuses; the server's refusal is reported as such.
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

describe('oauth userinfo', () => {
  it('with an API access token says the server rejected it (exit 4)', async () => {
    const result = await spawnCli(['userinfo'], { env: home.env });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error[TOKEN_REJECTED]');
    expect(result.stderr).toContain('invalid_token');
  });
});
