// Token-endpoint answers no real server gives: each ends in a clear message and exit 5, in bounded time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-as.js';
import { hang, json, raw, type Route } from '../helpers/server.js';

let hostile: HostileServer;
beforeAll(async () => {
  hostile = await startHostileServer();
});
afterAll(() => hostile.close());

const SECRET = 'client-secret-for-hostile-tests-0123456789';
const serviceToken = () =>
  spawnCli(['token', '--client-credentials', '--issuer', hostile.issuer, '--client-id', 'svc', '--timeout', '1'], {
    env: sandboxEnv({ OAUTH_CLIENT_SECRET: SECRET, OAUTH_STORE: 'memory' }),
  });

const endless: Route = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  const timer = setInterval(() => response.write(`{"padding":"${'x'.repeat(64 * 1024)}"}`), 5);
  response.on('close', () => clearInterval(timer));
};
const stalledBody: Route = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.write('{"access_token":"abc');
};

const answers: Array<[string, Route, RegExp]> = [
  [
    'an HTML page',
    raw(200, '<html><body>Login</body></html>', { 'content-type': 'text/html' }),
    /HTTP 200 with an HTML page, which is not a JSON object \(content-type text\/html\)/,
  ],
  [
    'plain text',
    raw(200, 'access_token=abc&token_type=bearer', { 'content-type': 'text/plain' }),
    /HTTP 200: access_token=.*, which is not a JSON object \(content-type text\/plain\)/,
  ],
  ['JSON that is not an object', json(['access_token', 'x']), /object|JSON/i],
  ['no access_token', json({ token_type: 'Bearer', expires_in: 300 }), /access_token/],
  ['no token_type', json({ access_token: 'opaque-token-value-1234567890' }), /token_type/],
  [
    'token_type mac',
    json({ access_token: 'opaque-token-value-1234567890', token_type: 'mac' }),
    /token_type.*mac|mac.*Bearer/i,
  ],
  [
    'expires_in negative',
    json({ access_token: 'opaque-token-value-1234567890', token_type: 'Bearer', expires_in: -5 }),
    /expires_in/,
  ],
  [
    'expires_in a string that is no number',
    json({ access_token: 'opaque-token-value-1234567890', token_type: 'Bearer', expires_in: 'soon' }),
    /expires_in/,
  ],
  [
    'an access_token carrying a second header line',
    json({ access_token: 'opaque-token-value\r\nX-Injected: 1', token_type: 'Bearer' }),
    /access_token holds characters a token cannot have/,
  ],
  [
    'a refresh_token carrying an escape sequence',
    json({
      access_token: 'opaque-token-value-1234567890',
      token_type: 'Bearer',
      refresh_token: 'r\u001b]52;c;ZXZpbA==\u0007',
    }),
    /refresh_token holds characters/,
  ],
  [
    'a 401 with a Bearer challenge (the client, not a token, is refused there)',
    raw(401, '', { 'www-authenticate': 'Bearer error="invalid_token"' }),
    /refused the client's credentials/,
  ],
  [
    'an error_description that is an object',
    raw(400, JSON.stringify({ error: 'invalid_request', error_description: { reason: 'typed wrong' } }), {
      'content-type': 'application/json',
    }),
    /invalid_request \(\{"reason":"typed wrong"\}\)/,
  ],
  [
    'an error that is a number',
    raw(400, JSON.stringify({ error: 5 }), { 'content-type': 'application/json' }),
    /HTTP 400/,
  ],
  [
    'JSON nested ten thousand levels deep',
    raw(200, `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, { 'content-type': 'application/json' }),
    /nested deeper than 64 levels/,
  ],
  ['a 302', raw(302, '', { location: 'https://elsewhere.example/token' }), /302|redirect/i],
  ['a huge body', endless, /larger than/],
  ['a body that stops halfway', stalledBody, /Timed out/],
  ['nothing at all', hang, /Timed out after 1s/],
];

describe('oauth token --client-credentials against a hostile token endpoint', () => {
  it('reads a JSON token response served as text/plain as the JSON it is', async () => {
    hostile.token(
      raw(
        200,
        JSON.stringify({ access_token: 'opaque-token-value-1234567890', token_type: 'Bearer', expires_in: 300 }),
        { 'content-type': 'text/plain' },
      ),
    );
    const result = await serviceToken();
    expect(result.code, result.stderr).toBe(0);
  });

  it('accepts expires_in as a numeric string, as oauth4webapi does (Azure AD v1 sends "3599")', async () => {
    hostile.token(json({ access_token: 'opaque-token-value-1234567890', token_type: 'Bearer', expires_in: '300' }));
    const result = await spawnCli(
      ['token', '--client-credentials', '--issuer', hostile.issuer, '--client-id', 'svc', '-o', 'json'],
      {
        env: sandboxEnv({ OAUTH_CLIENT_SECRET: SECRET, OAUTH_STORE: 'memory' }),
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).expires_in).toBeGreaterThan(290);
  });

  it('shows a lifetime past any calendar date as such (expires_in 1e20 is a number)', async () => {
    hostile.token(json({ access_token: 'opaque-token-value-1234567890', token_type: 'Bearer', expires_in: 1e20 }));
    const env = sandboxEnv({ OAUTH_CLIENT_SECRET: SECRET, OAUTH_STORE: 'memory' });
    const args = ['token', '--client-credentials', '--issuer', hostile.issuer, '--client-id', 'svc'];
    const human = await spawnCli([...args, '-o', 'human'], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('expires beyond any calendar date');
    expect(human.stdout).not.toContain('undefined');
  });

  for (const [name, route, message] of answers) {
    it(name, async () => {
      hostile.token(route);
      const started = Date.now();
      const result = await serviceToken();
      expect(result.stderr).not.toMatch(STACK_TRACE);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(5);
      expect(result.stdout).toBe('');
      expect(Date.now() - started).toBeLessThan(8000);
      expect(result.stderr).not.toContain(SECRET);
    });
  }
});

describe('client secrets as users keep them', () => {
  const args = () => [
    'token',
    '--client-credentials',
    '--no-cache',
    '--issuer',
    hostile.issuer,
    '--client-id',
    'svc',
    '--auth-method',
    'client_secret_post',
    '-o',
    'json',
  ];
  it('a blank OAUTH_CLIENT_SECRET is unset: exit 2 naming where a secret comes from, before any request', async () => {
    let requests = 0;
    hostile.token((_request, response) => {
      requests++;
      response.writeHead(500).end();
    });
    const result = await spawnCli(args(), { env: sandboxEnv({ OAUTH_CLIENT_SECRET: '  ', OAUTH_STORE: 'memory' }) });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('OAUTH_CLIENT_SECRET');
    expect(requests).toBe(0);
  });

  it('a secret file: its byte-order mark and final newlines are no part of the secret, and an empty one is said to be empty', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    const file = join(env.HOME!, 'svc.secret');
    let sent: string | null = null;
    hostile.token(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      sent = new URLSearchParams(body).get('client_secret');
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: 'opaque-token-value-1234567890', token_type: 'Bearer' }));
    });
    writeFileSync(file, '\ufeffthe-service-secret-0123456789\r\n\n');
    const ok = await spawnCli([...args(), '--client-secret-file', file], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(sent).toBe('the-service-secret-0123456789');
    writeFileSync(file, '\n');
    const empty = await spawnCli([...args(), '--client-secret-file', file], { env });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`--client-secret-file ${file} is empty.`);
  });
});

describe('profiles', () => {
  it('a file named by the profile is named as the profile’s setting, not as a flag the user never gave', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'oauth'), { recursive: true });
    writeFileSync(
      join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json'),
      JSON.stringify({ profiles: { default: { issuer: hostile.issuer, client_id: 'svc', private_key: '/dev/zero' } } }),
    );
    const result = await spawnCli(['token', '--client-credentials', '--no-cache'], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('"private_key" in profile default /dev/zero is a device');
  });

  it('a blank OAUTH_PROFILE is the default profile', async () => {
    const result = await spawnCli(['status'], { env: sandboxEnv({ OAUTH_PROFILE: ' ', OAUTH_STORE: 'memory' }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('--profile  ');
  });
});
