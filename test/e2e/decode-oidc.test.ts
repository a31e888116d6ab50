// `oauth decode` as a new user runs it, against a token issued by a real authorization server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { API_AUDIENCE, startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';

let as: TestAuthorizationServer;
let token: string;

beforeAll(async () => {
  as = await startAuthorizationServer();
  token = await as.clientCredentialsToken('api:read');
});
afterAll(() => as.close());

describe('oauth decode against oidc-provider', () => {
  it('shows the claims of an RS256 access token', async () => {
    const result = await spawnCli(['decode', token]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"RS256"');
    expect(result.stdout).toContain(`"${as.issuer}"`);
    expect(result.stdout).toContain(`"${API_AUDIENCE}"`);
    expect(result.stdout).toContain('"at+jwt"');
    expect(result.stderr).toBe('');
  });

  it('verifies through discovery with --issuer and --audience', async () => {
    const result = await spawnCli([
      'decode',
      token,
      '--verify',
      '--issuer',
      as.issuer,
      '--audience',
      API_AUDIENCE,
      '--typ',
      'at+jwt',
      '--require-scope',
      'api:read',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ valid');
    expect(result.stdout).toContain(`JWKS ${as.issuer}/jwks (from discovery of ${as.issuer})`);
  });

  it('refuses the right token for the wrong audience, with exit 3 and the reason', async () => {
    const result = await spawnCli([
      'decode',
      token,
      '--verify',
      '--issuer',
      as.issuer,
      '--audience',
      'https://other-api.test',
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('audience');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it('refuses a tampered token', async () => {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'api:read api:write' })).toString('base64url')}.${signature}`;
    const result = await spawnCli(['decode', tampered, '--verify', '--issuer', as.issuer, '--audience', API_AUDIENCE]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('signature does not verify');
  });

  it('caches discovery and the JWKS on disk: a second process sends no request', async () => {
    const env = sandboxEnv();
    const first = await spawnCli(
      ['decode', token, '--verify', '--issuer', as.issuer, '--audience', API_AUDIENCE, '-v'],
      { env },
    );
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('> GET');
    const second = await spawnCli(
      ['decode', token, '--verify', '--issuer', as.issuer, '--audience', API_AUDIENCE, '-v'],
      { env },
    );
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('> GET');
    expect(second.stderr).toContain('from disk');
  });
});
