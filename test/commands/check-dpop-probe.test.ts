// `oauth check --probe`'s DPoP probe and the client-could-use-dpop rule through the command: a DPoP-bound token is
// refused at the reference oidc-provider's userinfo without its key; a lax userinfo server that takes it as Bearer, without
// a proof or with another key's proof is reported; a token userinfo refuses even with its own proof is inconclusive.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { SECRETS, startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { json, startServer, type TestServer } from '../helpers/server.js';
import { login, userHome, type UserHome } from '../helpers/sign-in.js';

/** DPoP on, opaque tokens: its userinfo takes its own DPoP-bound tokens with their proofs. */
let opaque: TestAuthorizationServer;
/** DPoP on, JWT access tokens for the API: its userinfo refuses a client-credentials token whatever the proof. */
let jwt: TestAuthorizationServer;
let lax: TestServer;
/** Issues a DPoP token, then answers userinfo with a bare 502 and no body, whatever is sent. */
let bare: TestServer;
/** DPoP with nonces required, opaque tokens. */
let nonces: TestAuthorizationServer;
let home: UserHome;
let nonceHome: UserHome;
const LAX_TOKEN = 'lax-dpop-bound-token-3c9f1e7a5b2d4c6e8f0a1b3c5d7e9f21';
const LAX_SECRET = 'lax-client-secret-7e1d3c5b9a2f4e6d8c0b1a3f5e7d9c2b';
const secretFile = (secret: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'oauth-check-')), 'secret');
  writeFileSync(file, secret);
  return file;
};

beforeAll(async () => {
  [opaque, jwt, nonces] = await Promise.all([
    startAuthorizationServer({ opaqueTokens: true, features: { dpop: {} } }),
    startAuthorizationServer({ features: { dpop: {} } }),
    startAuthorizationServer({ opaqueTokens: true, features: { dpop: { nonce: true } } }),
  ]);
  home = userHome();
  nonceHome = userHome();
  for (const [server, env] of [
    [opaque, home.env],
    [nonces, nonceHome.env],
  ] as const) {
    const signedIn = await login(server, env, '--dpop');
    if (signedIn.code !== 0) throw new Error(`oauth login --dpop exited ${signedIn.code}: ${signedIn.stderr}`);
  }

  lax = await startServer({});
  lax.route(
    '/.well-known/openid-configuration',
    json({
      issuer: lax.url,
      token_endpoint: `${lax.url}/token`,
      userinfo_endpoint: `${lax.url}/me`,
      dpop_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    }),
  );
  lax.route('/token', json({ access_token: LAX_TOKEN, token_type: 'DPoP', expires_in: 300 }));
  // Takes any Authorization header, proof or none, and echoes what it got, control characters and all.
  lax.route('/me', (request, response) => {
    if (!request.headers.authorization) {
      response.writeHead(401, { 'www-authenticate': 'DPoP error="invalid_token"' }).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ sub: '\u001b]0;pwned\u0007alice', got: request.headers.authorization }));
  });
  bare = await startServer({});
  bare.route(
    '/.well-known/openid-configuration',
    json({ issuer: bare.url, token_endpoint: `${bare.url}/token`, userinfo_endpoint: `${bare.url}/me` }),
  );
  bare.route('/token', json({ access_token: LAX_TOKEN, token_type: 'DPoP', expires_in: 300 }));
  bare.route('/me', (_request, response) => void response.writeHead(502).end());
});
afterAll(() => Promise.all([opaque?.close(), jwt?.close(), nonces?.close(), lax?.close(), bare?.close()]));

const check = async (env: Record<string, string | undefined>, ...args: string[]) => {
  const result = await runCli(['check', '--json', ...args], { env });
  expect(result.stderr).not.toMatch(STACK_TRACE);
  const report = result.stdout ? JSON.parse(result.stdout) : undefined;
  const findings: Array<{ id: string; severity: string; message: string }> = report?.findings ?? [];
  return {
    ...result,
    findings,
    ids: (severity: string) => findings.filter((item) => item.severity === severity).map((item) => item.id),
  };
};
const publicClient = (issuer: string) => [
  '--issuer',
  issuer,
  '--client-id',
  'oauth-cli',
  '--redirect-uri',
  'http://127.0.0.1/callback',
  '--public',
];

describe('the DPoP probe at the reference oidc-provider', () => {
  it('finds the signed-in DPoP-bound token refused without a proof, as Bearer and with another key', async () => {
    const result = await check(home.env, ...publicClient(opaque.issuer), '--probe');
    expect(result.code, result.stderr).toBe(0);
    expect(result.ids('error')).toEqual([]);
    const dpop = result.findings.filter((item) => item.id.startsWith('probe-dpop-'));
    expect(dpop.map((item) => item.id)).toEqual(['probe-dpop-refused', 'probe-dpop-refused', 'probe-dpop-refused']);
    expect(dpop.map((item) => item.message).join('\n')).toMatch(
      /DPoP without a DPoP proof[\s\S]*Bearer[\s\S]*another key/,
    );
    // The profile signed in with --dpop: the client already binds its tokens.
    expect(result.ids('info')).not.toContain('client-could-use-dpop');
    expect(result.stdout + result.stderr).not.toContain(home.storedSession().access_token);
    expect(result.stdout + result.stderr).not.toContain(home.storedSession().dpop_jwk!.d);
  });

  it('answers a server that wants DPoP nonces at userinfo with one retry each, and still finds the binding enforced', async () => {
    const result = await check(nonceHome.env, ...publicClient(nonces.issuer), '--probe', '-v');
    // The nonce demand is answered once; the three wrong presentations reuse the nonce: five requests in all.
    expect(result.stderr).toMatch(/use_dpop_nonce/);
    expect(result.stderr.match(/GET http[^ ]*\/me/g)).toHaveLength(5);
    expect(result.code, result.stderr).toBe(0);
    const dpop = result.findings.filter((item) => item.id.startsWith('probe-dpop-'));
    expect(dpop.map((item) => item.id)).toEqual(['probe-dpop-refused', 'probe-dpop-refused', 'probe-dpop-refused']);
  });

  it('is skipped, saying how to enable it, without a DPoP-bound token; --dpop silences client-could-use-dpop', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    const without = await check(env, ...publicClient(opaque.issuer), '--probe');
    expect(without.code, without.stderr).toBe(0);
    const skipped = without.findings.find((item) => item.id === 'probe-dpop-skipped');
    expect(skipped?.message).toContain('oauth login --dpop');
    expect(without.ids('info')).toContain('client-could-use-dpop');
    const withDpop = await check(env, ...publicClient(opaque.issuer), '--dpop');
    expect(withDpop.code, withDpop.stderr).toBe(0);
    expect(withDpop.ids('info')).not.toContain('client-could-use-dpop');
    const fromEnv = await check({ ...env, OAUTH_DPOP: '1' }, ...publicClient(opaque.issuer));
    expect(fromEnv.ids('info')).not.toContain('client-could-use-dpop');
  });

  it("reads the profile's dpop setting alone (no session) for client-could-use-dpop", async () => {
    const profile = JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default;
    expect(profile).toMatchObject({ issuer: opaque.issuer, dpop: true });
    const fresh = userHome();
    const write = (dpop: boolean) => {
      mkdirSync(dirname(fresh.configFile), { recursive: true });
      writeFileSync(fresh.configFile, JSON.stringify({ profiles: { default: { ...profile, dpop } } }));
    };
    write(true);
    const on = await check(fresh.env, ...publicClient(opaque.issuer));
    expect(on.code, on.stderr).toBe(0);
    expect(on.ids('info')).not.toContain('client-could-use-dpop');
    write(false);
    const off = await check(fresh.env, ...publicClient(opaque.issuer));
    expect(off.code, off.stderr).toBe(0);
    expect(off.ids('info')).toContain('client-could-use-dpop');
  });

  it('is inconclusive, not a pass, with a token userinfo refuses even with its own proof', async () => {
    const result = await check(
      sandboxEnv({ OAUTH_STORE: 'memory' }),
      '--issuer',
      jwt.issuer,
      '--client-id',
      'service',
      '--confidential',
      '--client-secret-file',
      secretFile(SECRETS.service),
      '--probe',
    );
    expect(result.code, result.stderr).toBe(0);
    const dpop = result.findings.filter((item) => item.id.startsWith('probe-dpop-'));
    expect(dpop.map((item) => item.id)).toEqual(['probe-dpop-inconclusive']);
    expect(dpop[0]!.message).toMatch(/refused a DPoP-bound client-credentials token even with a valid proof/);
  });
});

describe('the DPoP probe at a lax userinfo server', () => {
  it('reports each presentation it accepted, escaped, without the token or the secret', async () => {
    const result = await check(
      sandboxEnv({ OAUTH_STORE: 'memory' }),
      '--issuer',
      lax.url,
      '--client-id',
      'lax-client',
      '--confidential',
      '--client-secret-file',
      secretFile(LAX_SECRET),
      '--probe',
      '-v',
    );
    expect(result.code, result.stderr).toBe(3);
    // Proofs are traced summarised, never whole.
    expect(result.stderr).toMatch(/> dpop: eyJ\w*…\w* \(\d+ chars\)/);
    expect(result.ids('error')).toEqual(
      expect.arrayContaining([
        'probe-dpop-proof-not-required',
        'probe-dpop-bearer-accepted',
        'probe-dpop-other-key-accepted',
      ]),
    );
    expect(result.ids('info')).not.toContain('probe-dpop-refused');
    expect(result.stdout + result.stderr).not.toContain(LAX_TOKEN);
    expect(result.stdout + result.stderr).not.toContain(LAX_SECRET);
    expect(result.stdout + result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('is inconclusive when userinfo answers a bare status without a body', async () => {
    const result = await check(
      sandboxEnv({ OAUTH_STORE: 'memory' }),
      '--issuer',
      bare.url,
      '--client-id',
      'bare-client',
      '--confidential',
      '--client-secret-file',
      secretFile(LAX_SECRET),
      '--probe',
    );
    expect(result.code, result.stderr).toBe(0);
    const dpop = result.findings.filter((item) => item.id.startsWith('probe-dpop-'));
    expect(dpop.map((item) => item.id)).toEqual(['probe-dpop-inconclusive']);
    expect(dpop[0]!.message).toContain('HTTP 502');
    expect(result.stdout + result.stderr).not.toContain(LAX_TOKEN);
  });
});
