// A server that issues opaque access tokens (no JWT), end to end: the token a user signs in with works at the
// userinfo, introspection and revocation endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { userHome } from '../helpers/sign-in.js';

let opaque: TestAuthorizationServer;
beforeAll(async () => {
  opaque = await startAuthorizationServer({ opaqueTokens: true });
});
afterAll(() => opaque.close());

describe('a server with opaque access tokens', () => {
  it('gives a token that works at userinfo, introspection and revocation', async () => {
    const { env } = userHome({ SIMULATED_LOGIN: 'carol' });
    expect((await spawnCli(['login', '--issuer', opaque.issuer, '--client-id', 'oauth-cli'], { env })).code).toBe(0);
    const userinfo = await spawnCli(['userinfo', '--json'], { env });
    expect(userinfo.code, userinfo.stderr).toBe(0);
    expect(JSON.parse(userinfo.stdout)).toMatchObject({ sub: 'carol' });
    const introspection = await spawnCli(['introspect', '--json'], { env });
    expect(introspection.code, introspection.stderr).toBe(0);
    expect(JSON.parse(introspection.stdout)).toMatchObject({ active: true, sub: 'carol' });
    const logout = await spawnCli(['logout'], { env });
    expect(logout.stdout).toContain('revoked the refresh token and access token');
  });
});
