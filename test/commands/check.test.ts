// `oauth check` through the command: a sound setup against a real oidc-provider, a misconfigured server, and a lax
// server (written here) that redirects to any redirect_uri.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { SECRETS, startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { closedPort, json, startServer, type TestServer } from '../helpers/server.js';

let as: TestAuthorizationServer;
let misconfigured: TestServer;
let lax: TestServer;

const publicJwk = (bits: number, kid: string, includePrivate = false) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { ...(includePrivate ? privateKey : publicKey).export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
};

beforeAll(async () => {
  as = await startAuthorizationServer();
  misconfigured = await startServer({});
  const origin = misconfigured.url;
  misconfigured.route(
    '/.well-known/openid-configuration',
    json({
      issuer: origin,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      jwks_uri: `${origin}/jwks`,
      response_types_supported: ['code', 'token', 'id_token token'],
      grant_types_supported: ['authorization_code', 'implicit', 'password'],
      code_challenge_methods_supported: ['plain', 'S256'],
      id_token_signing_alg_values_supported: ['RS256', 'none'],
    }),
  );
  misconfigured.route('/jwks', json({ keys: [publicJwk(2048, 'leaked', true), publicJwk(1024, 'short')] }));

  lax = await startServer({});
  lax.route(
    '/.well-known/openid-configuration',
    json({
      issuer: lax.url,
      authorization_endpoint: `${lax.url}/authorize`,
      token_endpoint: `${lax.url}/token`,
      jwks_uri: `${lax.url}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      revocation_endpoint: `${lax.url}/revoke`,
    }),
  );
  lax.route('/jwks', json({ keys: [publicJwk(2048, 'k1')] }));
  // Sends a code to whatever redirect_uri it is given, PKCE or not: exactly what must never happen.
  lax.route('/authorize', (request, response) => {
    const params = new URL(request.url!, lax.url).searchParams;
    const target = new URL(params.get('redirect_uri')!);
    target.searchParams.set('code', 'lax-code');
    target.searchParams.set('state', params.get('state') ?? '');
    response.writeHead(302, { location: target.href }).end();
  });
  lax.route('/token', json({ access_token: 'whatever', token_type: 'Bearer' }));
});
afterAll(async () => {
  await as.close();
  await misconfigured.close();
  await lax.close();
});

const check = async (...args: string[]) => {
  const result = await runCli(['check', '--json', ...args], { env: sandboxEnv({ OAUTH_STORE: 'memory' }) });
  expect(result.stderr).not.toMatch(STACK_TRACE);
  const report = result.stdout ? JSON.parse(result.stdout) : undefined;
  return {
    ...result,
    report,
    ids: (severity: string) =>
      (report?.findings ?? [])
        .filter((item: { severity: string }) => item.severity === severity)
        .map((item: { id: string }) => item.id),
  };
};
const soundPublicClient = () => [
  '--issuer',
  as.issuer,
  '--client-id',
  'oauth-cli',
  '--redirect-uri',
  'http://127.0.0.1/callback',
  '--public',
  '--scope',
  'openid offline_access api:read',
];

describe('a sound public client at a real oidc-provider', () => {
  it('has no error findings and exits 0', async () => {
    const result = await check(...soundPublicClient());
    expect(result.ids('error')).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('passes the live probes too', async () => {
    const result = await check(...soundPublicClient(), '--probe');
    expect(result.ids('error')).toEqual([]);
    expect(result.ids('warn')).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.ids('info')).toEqual(
      expect.arrayContaining(['probe-redirect-uri-refused', 'probe-pkce-enforced', 'probe-token-endpoint-ok']),
    );
    expect(
      result.report.findings.filter((item: { id: string }) => item.id === 'probe-redirect-uri-refused'),
    ).toHaveLength(5);
  });

  it('prints findings grouped by area, with spec and fix, for humans', async () => {
    const result = await runCli([
      'check',
      '--issuer',
      as.issuer,
      '--client-id',
      'oauth-cli',
      '--redirect-uri',
      'http://localhost/callback',
      '--public',
      '--probe',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Redirect URIs');
    expect(result.stdout).toContain('redirect-uri-localhost');
    expect(result.stdout).toContain('RFC 8252 §8.3 · fix:');
    expect(result.stdout).toMatch(/Passed: 0 errors, 1 warning, \d+ notes/);
  });
});

describe('a broken client', () => {
  it('exits 3 with one error finding naming each mistake', async () => {
    const bad = [
      'https://*.example.com/cb',
      'http://app.example.com/cb',
      'https://app.example.com/cb#frag',
      'javascript:alert(1)',
    ];
    const result = await check(
      '--client-id',
      'web',
      ...bad.flatMap((uri) => ['--redirect-uri', uri]),
      '--scope',
      'openid,profile',
    );
    expect(result.code).toBe(3);
    const errors = result.report.findings.filter((item: { severity: string }) => item.severity === 'error');
    expect(errors.map((item: { id: string; subject: string }) => [item.id, item.subject])).toEqual([
      ['redirect-uri-wildcard', bad[0]],
      ['redirect-uri-http', bad[1]],
      ['redirect-uri-fragment', bad[2]],
      ['redirect-uri-dangerous-scheme', bad[3]],
      ['scope-syntax', 'openid,profile'],
    ]);
    expect(result.report.summary).toMatchObject({ error: 5, failed: true });
  });

  it('reads an RFC 7591 registration with --client-file', async () => {
    const env = sandboxEnv();
    const file = join(env.HOME!, 'client.json');
    writeFileSync(
      file,
      JSON.stringify({
        client_id: 'legacy',
        redirect_uris: ['https://app.example.com/cb'],
        grant_types: ['password', 'implicit'],
        response_types: ['token'],
        token_endpoint_auth_method: 'client_secret_post',
      }),
    );
    const result = await check('--client-file', file);
    expect(result.code).toBe(3);
    expect(result.ids('error')).toEqual(['client-password-grant']);
    expect(result.ids('warn')).toContain('client-implicit-grant');
  });

  it('--fail-on warn fails on warnings alone', async () => {
    expect((await check('--redirect-uri', 'http://localhost/cb', '--client-id', 'x')).code).toBe(0);
    expect((await check('--redirect-uri', 'http://localhost/cb', '--client-id', 'x', '--fail-on', 'warn')).code).toBe(
      3,
    );
  });
});

describe('a misconfigured server', () => {
  it('flags plain PKCE, implicit and password grants, alg none, a published private key and a 1024-bit key', async () => {
    const result = await check('--issuer', misconfigured.url);
    expect(result.code).toBe(3);
    expect(result.ids('error')).toEqual(
      expect.arrayContaining(['server-password-grant', 'server-alg-none', 'jwks-private-key', 'jwks-weak-rsa']),
    );
    expect(result.ids('warn')).toEqual(expect.arrayContaining(['server-pkce-plain', 'server-implicit']));
    const subjects = result.report.findings.map((item: { subject: string }) => item.subject);
    expect(subjects).toEqual(
      expect.arrayContaining(['kid leaked', 'kid short', 'id_token_signing_alg_values_supported']),
    );
    expect(result.stdout).not.toMatch(/"d":"/);
  });

  it('exits 5 when the metadata cannot be fetched', async () => {
    const result = await check('--issuer', `http://127.0.0.1:${await closedPort()}`);
    expect(result.code).toBe(5);
  });
});

describe('--probe against a lax server', () => {
  it('catches redirects to unregistered URIs and missing PKCE enforcement', async () => {
    const result = await check(
      '--issuer',
      lax.url,
      '--client-id',
      'app',
      '--redirect-uri',
      'https://app.example.com/cb',
      '--public',
      '--probe',
    );
    expect(result.code).toBe(3);
    const matching = result.report.findings.filter((item: { id: string }) => item.id === 'probe-redirect-uri-matching');
    expect(matching.map((item: { subject: string }) => item.subject)).toEqual(
      expect.arrayContaining([
        'https://app.example.com/cb/evil',
        'https://oauth-check.invalid/cb',
        'http://app.example.com/cb',
      ]),
    );
    expect(matching[0].evidence).toMatchObject({ status: 302 });
    expect(result.ids('error')).toEqual(expect.arrayContaining(['probe-pkce-required', 'probe-pkce-plain-accepted']));
    expect(result.ids('warn')).toContain('probe-token-endpoint');
  });
});

describe('tokens', () => {
  it('audits a fresh client-credentials token from the real server', async () => {
    const result = await runCli(
      [
        'check',
        '--json',
        '--issuer',
        as.issuer,
        '--client-id',
        'service',
        '--client-credentials',
        '--scope',
        'api:read',
      ],
      {
        env: sandboxEnv({ OAUTH_CLIENT_SECRET: SECRETS.service, OAUTH_STORE: 'memory' }),
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const ids = JSON.parse(result.stdout).findings.map((item: { id: string }) => item.id);
    expect(ids).not.toContain('token-typ');
    expect(ids).not.toContain('token-no-aud');
  });

  it('flags a long-lived token given with --token', async () => {
    const token = await as.clientCredentialsToken('api:read');
    const result = await check('--token', token, '--max-token-lifetime', '60');
    expect(result.ids('warn')).toEqual(['token-lifetime']);
    expect(result.code).toBe(0);
  });

  it('nothing to check is a usage error', async () => {
    const result = await runCli(['check']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Nothing to check');
  });
});
