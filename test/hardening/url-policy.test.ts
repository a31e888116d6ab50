// The URL policy for everything a server hands us: an endpoint that is not https (or http on loopback), not a URL or
// not a string is the server's failure, exit 5 naming the member, before any use; the browser never sees it.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-as.js';
import { json, startServer } from '../helpers/server.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

const BAD_URLS: unknown[] = [
  'smb://attacker.example/share',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'http://evil.example.com/authorize',
  'not a url',
  5,
  null,
  ['https://a.example'],
];

let hostile: HostileServer | undefined;
afterEach(async () => {
  await hostile?.close();
  hostile = undefined;
});

function userEnv() {
  const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, OAUTH_STORE: 'memory', PATH: process.env.PATH });
  const browserLog = join(env.HOME!, 'browser.log');
  return { env: { ...env, SIMULATED_BROWSER_LOG: browserLog }, browserLog };
}

function expectServerFault(result: { code: number; stderr: string }, member: string) {
  expect(result.code, result.stderr).toBe(5);
  expect(result.stderr).toContain('error[METADATA_INVALID]');
  expect(result.stderr).toContain(member);
  expect(result.stderr).not.toMatch(STACK_TRACE);
}

describe('endpoints from metadata', () => {
  for (const value of BAD_URLS) {
    it(`refuses authorization_endpoint ${JSON.stringify(value)} before any browser is opened`, async () => {
      hostile = await startHostileServer({ authorization_endpoint: value });
      const { env, browserLog } = userEnv();
      const result = await runCli(['login', '--issuer', hostile.issuer, '--client-id', 'cli', '--login-timeout', '5'], {
        env,
      });
      expectServerFault(result, 'authorization_endpoint');
      expect(existsSync(browserLog) ? readFileSync(browserLog, 'utf8') : '').toBe('');
    });
  }

  it('refuses a bad token, JWKS, userinfo or revocation endpoint for every command that would call it', async () => {
    hostile = await startHostileServer({ token_endpoint: 'ftp://files.example/token', jwks_uri: 'javascript:void(0)' });
    const { env } = userEnv();
    const service = await runCli(['token', '--client-credentials', '--issuer', hostile.issuer, '--client-id', 'svc'], {
      env: { ...env, OAUTH_CLIENT_SECRET: 'service-secret-0123' },
    });
    expectServerFault(service, 'token_endpoint');
    const verify = await runCli(['decode', await hostile.idToken(), '--verify', '--issuer', hostile.issuer], { env });
    expect(verify.code, verify.stderr).toBe(5);
    expect(verify.stderr).not.toMatch(STACK_TRACE);
  });

  it('lets --insecure allow plain http to another host, and nothing else', async () => {
    hostile = await startHostileServer({
      userinfo_endpoint: 'http://userinfo.example.com/me',
      revocation_endpoint: 'gopher://x.example/',
    });
    const { env } = userEnv();
    expectServerFault(
      await runCli(['discover', hostile.issuer], { env: { ...env, OAUTH_NO_CACHE: '1' } }),
      'userinfo_endpoint',
    );
    expectServerFault(
      await runCli(['--insecure', 'discover', hostile.issuer], { env: { ...env, OAUTH_NO_CACHE: '1' } }),
      'revocation_endpoint',
    );
    hostile.server.route(
      '/.well-known/openid-configuration',
      json({
        issuer: hostile.issuer,
        authorization_endpoint: `${hostile.issuer}/authorize`,
        token_endpoint: `${hostile.issuer}/token`,
        jwks_uri: `${hostile.issuer}/jwks`,
        userinfo_endpoint: 'http://userinfo.example.com/me',
      }),
    );
    const refused = await runCli(['discover', hostile.issuer], { env: { ...env, OAUTH_NO_CACHE: '1' } });
    expectServerFault(refused, 'userinfo_endpoint');
    const allowed = await runCli(['--insecure', 'discover', hostile.issuer], { env: { ...env, OAUTH_NO_CACHE: '1' } });
    expect(allowed.code, allowed.stderr).toBe(0);
  });
});

describe('metadata of the wrong type', () => {
  const cases: Array<[string, unknown, string?]> = [
    ['scopes_supported', 5],
    ['scopes_supported', 'openid profile'],
    ['grant_types_supported', [1, 2]],
    ['response_types_supported', ['code', null], 'not an array whose item 1 is null'],
    ['code_challenge_methods_supported', { S256: true }],
    ['authorization_response_iss_parameter_supported', 'yes'],
    ['mtls_endpoint_aliases', { token_endpoint: 'smb://x/' }],
  ];
  for (const [member, value, said] of cases) {
    it(`is exit 5 naming ${member} when it is ${JSON.stringify(value)}, never a crash`, async () => {
      hostile = await startHostileServer({ [member]: value });
      const { env } = userEnv();
      const result = await runCli(['login', '--issuer', hostile.issuer, '--client-id', 'cli', '--login-timeout', '5'], {
        env,
      });
      expectServerFault(result, member);
      if (said) expect(result.stderr).toContain(said);
    });
  }
});

describe('a refused discovery document', () => {
  it('is not kept in the cache: the next run asks the server again', async () => {
    hostile = await startHostileServer({ scopes_supported: 5 });
    const { env } = userEnv();
    const withCache = { ...env, OAUTH_NO_CACHE: undefined };
    expectServerFault(await runCli(['discover', hostile.issuer], { env: withCache }), 'scopes_supported');
    const cacheDir = join((env as Record<string, string>).XDG_CACHE_HOME!, 'oauth', 'http');
    expect(existsSync(cacheDir) ? readdirSync(cacheDir) : []).toEqual([]);
  });
});

describe('credentials in URLs', () => {
  it('drops user:password@ from an issuer, says so once, and never prints the password', async () => {
    hostile = await startHostileServer();
    const { env } = userEnv();
    const issuer = hostile.issuer.replace('http://', 'http://alice:hunter2-password@');
    for (const args of [
      ['discover', '--issuer', issuer],
      ['-vv', 'discover', '--issuer', issuer],
      ['--json', 'discover', '--issuer', issuer],
    ]) {
      const result = await runCli(args, { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toContain('hunter2');
      expect(result.stderr.match(/Ignored the user name and password/g)).toHaveLength(1);
    }
    const viaEnv = await runCli(['discover'], { env: { ...env, OAUTH_ISSUER: `${issuer}/nope` } });
    expect(viaEnv.code).toBe(5);
    expect(viaEnv.stdout + viaEnv.stderr).not.toContain('hunter2');
    expect(viaEnv.stderr).toContain('OAUTH_ISSUER');
  });

  it('says so in its own words when the password is one of them, and never prints the credentials', async () => {
    hostile = await startHostileServer();
    const { env } = userEnv();
    for (const password of ['user', 'name', 'password']) {
      const issuer = hostile.issuer.replace('http://', `http://bob:${password}@`);
      for (const run of [
        { args: ['discover', '--issuer', issuer], env },
        { args: ['discover'], env: { ...env, OAUTH_ISSUER: issuer } },
      ]) {
        const result = await runCli(run.args, { env: run.env });
        expect(result.stderr, password).toContain('Ignored the user name and password in the URL from');
        expect(result.stderr, password).not.toContain('[redacted');
      }
      const echoed = await runCli(['discover', '--issuer', issuer], { env });
      expect(echoed.stdout + echoed.stderr).not.toContain(`bob:${password}`);
    }
  });
});

describe('a user:password@ in a URL the user gives', () => {
  const PASSWORD = 'hunter2 pass@word';
  const withPassword = (url: string) => url.replace('://', `://alice:${PASSWORD}@`);
  const leaks = (text: string) =>
    [PASSWORD, encodeURIComponent(PASSWORD), 'alice:'].filter((spelling) => text.includes(spelling));

  it('is never printed nor saved, wherever it comes from: config file, environment, flag or argument', async () => {
    hostile = await startHostileServer();
    const { env } = userEnv();
    const configHome = (env as Record<string, string>).XDG_CONFIG_HOME!;
    mkdirSync(join(configHome, 'oauth'), { recursive: true });
    const configPath = join(configHome, 'oauth', 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ profiles: { stored: { issuer: withPassword(hostile.issuer), client_id: 'cli' } } }),
    );
    const audit = [
      'check',
      '--issuer',
      hostile.issuer,
      '--client-id',
      'cli',
      '--redirect-uri',
      withPassword('http://127.0.0.1:8080/callback'),
    ];
    const runs = [
      ['status'],
      ['--json', 'status'],
      ['--profile', 'stored', 'discover'],
      ['discover', withPassword(hostile.issuer)],
      ['--json', 'discover', withPassword('https://exa mple.com')],
      [
        'decode',
        'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
        '--verify',
        '--jwks',
        withPassword(`${hostile.issuer}/jwks`),
      ],
      audit,
      ['--json', ...audit],
      [
        'login',
        '--issuer',
        hostile.issuer,
        '--client-id',
        'cli',
        '--token-endpoint',
        withPassword(`${hostile.issuer}/token`),
        '--login-timeout',
        '5',
      ],
    ];
    for (const args of runs) {
      const result = await runCli(args, { env });
      const what = `oauth ${args.join(' ')}\n${result.stdout}${result.stderr}`;
      expect(leaks(result.stdout + result.stderr), what).toEqual([]);
      expect(result.code, what).not.toBe(1);
      // A redirect URI under audit keeps its credentials for the rule that reports them, and still never shows them.
      if (args[0] === '--json' && args[1] === 'check') expect(result.stdout, what).toContain('redirect-uri-userinfo');
    }
    const fromEnv = await runCli(['discover'], { env: { ...env, OAUTH_ISSUER: withPassword(hostile.issuer) } });
    expect(leaks(fromEnv.stdout + fromEnv.stderr)).toEqual([]);
    expect(fromEnv.stderr).toContain('Ignored the user name and password in the URL from OAUTH_ISSUER');
    const saved = readFileSync(configPath, 'utf8');
    expect(saved.match(/hunter2/g)).toHaveLength(1);
  });
});

describe('a secret in the query of a URL the user gives', () => {
  const TOKEN = 'QRYsecret-access-token-0123456789';

  it('is never printed whole, whichever command reports that URL (it may still be sent: the user put it there)', async () => {
    const api = await startServer({
      '/api': (_request, response) => {
        response.writeHead(401, { 'www-authenticate': 'Bearer realm="api"' }).end();
      },
    });
    try {
      for (const args of [
        ['check', '--resource', `${api.origin}/api?access_token=${TOKEN}`],
        ['--json', 'check', '--resource', `${api.origin}/api?access_token=${TOKEN}&code=${TOKEN}-code`],
        ['discover', '--resource', `${api.origin}/api?client_secret=${TOKEN}`],
        ['--json', 'check', '--api', `${api.origin}/api?token=${TOKEN}`],
        ['check', '--resource', `${api.origin}/api#id_token=${TOKEN}`],
        ['--json', 'check', '--api', `${api.origin}/api#access_token=${TOKEN}`],
        ['check', '--resource', `${api.origin}/api?client_secret[]=${TOKEN}`],
        ['discover', `http://10.0.0.1/?access_token%5B0%5D=${TOKEN}`],
      ]) {
        const result = await runCli(args, { env: sandboxEnv() });
        const what = `oauth ${args.join(' ')}\n${result.stdout}${result.stderr}`;
        expect(result.code, what).not.toBe(1);
        expect(result.stdout + result.stderr, what).not.toContain(TOKEN);
      }
    } finally {
      await api.close();
    }
  });
});
