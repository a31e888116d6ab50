// `oauth login` with PAR, request objects, JARM and RAR end to end: real processes against oidc-provider with those
// features on, signed in by the simulated user set as BROWSER.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { login, userHome } from '../helpers/sign-in.js';

const PAYMENT = JSON.stringify([
  {
    type: 'payment_initiation',
    actions: ['initiate'],
    instructedAmount: { currency: 'EUR', amount: '12.50' },
    creditorName: 'Merchant A',
    creditorAccount: { iban: 'DE02100100109307118603' },
  },
]);

let as: TestAuthorizationServer;
let required: TestAuthorizationServer;
beforeAll(async () => {
  [as, required] = await Promise.all([
    startAuthorizationServer({ features: { par: {}, requestObjects: true, jarm: true, rar: true } }),
    startAuthorizationServer({ features: { par: { required: true } } }),
  ]);
});
afterAll(() => Promise.all([as.close(), required.close()]));

/** The URLs the simulated browser was given, one per line. */
function browserLog(): { file: string; urls(): URL[] } {
  const file = join(mkdtempSync(join(tmpdir(), 'oauth-browser-')), 'urls');
  return {
    file,
    urls: () =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => new URL(line)),
  };
}

describe('PAR', () => {
  it('--par signs in; the browser got only client_id and request_uri', async () => {
    const log = browserLog();
    const { env } = userHome({ SIMULATED_BROWSER_LOG: log.file });
    const result = await login(as, env, '--par');
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code, result.stderr).toBe(0);
    const [url] = log.urls();
    expect([...url!.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url!.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('pushes on its own where the server requires it, and says so', async () => {
    const { env } = userHome();
    const result = await login(required, env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('requires pushed authorization requests (RFC 9126): pushing the request first.');
  });
});

describe('request objects', () => {
  it('--request-object with the client key, pushed with --par, signs in as jwt-client', async () => {
    const log = browserLog();
    const { env } = userHome({ SIMULATED_BROWSER_LOG: log.file });
    const key = join(env.HOME!, 'client.jwk');
    writeFileSync(key, JSON.stringify(as.jwtClientKey));
    for (const extra of [[], ['--par']]) {
      const result = await spawnCli(
        [
          'login',
          '--issuer',
          as.issuer,
          '--client-id',
          'jwt-client',
          '--private-key',
          key,
          '--scope',
          'openid',
          '--request-object',
          ...extra,
        ],
        { env },
      );
      expect(result.code, result.stderr).toBe(0);
    }
    const [plain, pushed] = log.urls();
    expect([...plain!.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
    expect([...pushed!.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
  });
});

describe('JARM', () => {
  it.each(['jwt', 'query.jwt', 'form_post.jwt'])('--response-mode %s signs in', async (mode) => {
    const { env } = userHome();
    const result = await login(as, env, '--response-mode', mode);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Signed in as "alice"');
    expect(result.stderr).not.toContain('response_modes_supported');
  });

  it('with PAR too', async () => {
    const { env } = userHome();
    const result = await login(as, env, '--response-mode', 'jwt', '--par');
    expect(result.code, result.stderr).toBe(0);
  });
});

describe('RAR', () => {
  it('--authorization-details: granted, stored, shown by status and decode', async () => {
    const { env, storedSession } = userHome();
    const result = await login(as, env, '--authorization-details', PAYMENT, '--par');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('payment_initiation (initiate)');
    expect(storedSession().authorization_details).toEqual(JSON.parse(PAYMENT));
    const status = await spawnCli(['status'], { env });
    expect(status.stdout).toContain('authorization details payment_initiation (initiate)');
    const decoded = await spawnCli(['decode', storedSession().access_token, '--json'], { env });
    expect(decoded.stdout).toContain('Grants RFC 9396 authorization details of type payment_initiation.');
  });

  it('a detail the server refuses is its error, exit 5', async () => {
    const { env } = userHome();
    const result = await login(
      as,
      env,
      '--authorization-details',
      '[{"type":"payment_initiation","bogus":1}]',
      '--par',
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('invalid_authorization_details');
  });

  it('token --client-credentials --authorization-details gets a token granting them', async () => {
    const { env } = userHome({ OAUTH_CLIENT_SECRET: 'service-secret-8c1f2e7a9b3d4c5e6f70812934a5b6c7' });
    const result = await spawnCli(
      [
        'token',
        '--client-credentials',
        '--issuer',
        as.issuer,
        '--client-id',
        'service',
        '--authorization-details',
        PAYMENT,
        '-o',
        'json',
      ],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).authorization_details).toEqual(JSON.parse(PAYMENT));
  });
});
