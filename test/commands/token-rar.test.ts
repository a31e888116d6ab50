// `oauth token --client-credentials --authorization-details` (RFC 9396): sent, granted details shown, and a cached
// token is only ever handed out for the same details.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
const requests: URLSearchParams[] = [];
beforeAll(async () => {
  server = await startServer();
  server.route(
    '/.well-known/openid-configuration',
    json({ issuer: server.url, token_endpoint: `${server.url}/token`, jwks_uri: `${server.url}/jwks` }),
  );
  server.route('/token', async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const form = new URLSearchParams(body);
    requests.push(form);
    const asked = JSON.parse(form.get('authorization_details') ?? '[]') as Array<{ type: string }>;
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        access_token: `service-token-${requests.length}-0123456789`,
        token_type: 'Bearer',
        expires_in: 300,
        ...(asked.length ? { authorization_details: asked.map((detail) => ({ ...detail, granted: true })) } : {}),
      }),
    );
  });
});
afterAll(() => server.close());

const env = sandboxEnv({ OAUTH_STORE: 'file', OAUTH_CLIENT_SECRET: 'the-client-secret-0123456789' });
const token = (...extra: string[]) =>
  runCli(['token', '--client-credentials', '--issuer', server.url, '--client-id', 'svc', ...extra], { env });

describe('token --client-credentials --authorization-details', () => {
  it('sends them, shows the granted ones in --output json, and caches per details', async () => {
    const a = '[{"type":"api_access","locations":["https://api.example"]}]';
    const b = '[{"type":"payment_initiation"}]';
    const first = await token('--authorization-details', a, '-o', 'json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(requests.at(-1)!.get('authorization_details')!)).toEqual(JSON.parse(a));
    expect(JSON.parse(first.stdout).authorization_details).toEqual([{ ...JSON.parse(a)[0], granted: true }]);
    const count = requests.length;
    const again = await token('--authorization-details', a, '-o', 'json');
    expect(requests.length).toBe(count);
    expect(JSON.parse(again.stdout).access_token).toBe(JSON.parse(first.stdout).access_token);
    const other = await token('--authorization-details', b, '-o', 'json');
    expect(requests.length).toBe(count + 1);
    expect(JSON.parse(other.stdout).access_token).not.toBe(JSON.parse(first.stdout).access_token);
    const none = await token('-o', 'json');
    expect(requests.length).toBe(count + 2);
    expect(JSON.parse(none.stdout)).not.toHaveProperty('authorization_details');
  });

  it('refuses malformed details before any request (exit 2)', async () => {
    const count = requests.length;
    const result = await token('--authorization-details', '[{"type":""}]');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('each needs a non-empty string "type"');
    expect(requests.length).toBe(count);
  });

  it('is a usage error without --client-credentials', async () => {
    const result = await runCli(['token', '--authorization-details', '[{"type":"x"}]'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--client-credentials');
  });
});
