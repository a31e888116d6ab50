// `oauth check --client-id <url>`: a client id that is a URL names a client ID metadata document, which the check
// fetches and audits as the client's registration — its own rules, and the redirect-URI and client rules over it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { INJECTED } from '../helpers/echo-as.js';
import { recordSecret } from '../helpers/leak-scan.js';
import { json, raw, startServer, type TestServer } from '../helpers/server.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const PUBLISHED_SECRET = 'published-client-secret-0123456789abcdef';
recordSecret(PUBLISHED_SECRET);

let server: TestServer;
beforeAll(async () => {
  server = await startServer({});
});
afterAll(() => server.close());

async function check(path: string, document: Parameters<typeof json>[0] | null, ...extra: string[]) {
  const url = `${server.url}${path}`;
  server.route(path, document === null ? raw(404, '') : json(document));
  const result = await runCli(['check', '--client-id', url, '--json', ...extra], { env: sandboxEnv() });
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(result.stdout + result.stderr).not.toMatch(CONTROL);
  const { findings } = JSON.parse(result.stdout) as { findings: Array<{ id: string; message: string }> };
  return { url, result, ids: findings.map((item) => item.id), findings };
}

describe('check --client-id <url> (client ID metadata document)', () => {
  it('a sound document: only the plain-http URL of this test server is an error', async () => {
    const { url, ids, result } = await check('/clients/sound.json', {
      client_id: `${server.url}/clients/sound.json`,
      client_name: 'Sound',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
    });
    expect(result.code).toBe(3);
    expect(ids).toEqual(['client-document-url']);
    expect(server.hits.get('/clients/sound.json')).toBe(1);
    expect(url).toContain('127.0.0.1');
  });

  it('a document with a secret, another client_id and no redirect URIs: each is a finding, the secret is not printed', async () => {
    const { ids, result } = await check('/clients/bad.json', {
      client_id: 'https://elsewhere.example/clients/bad.json',
      client_secret: PUBLISHED_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      jwks_uri: 'http://keys.example/jwks',
    });
    expect(result.code).toBe(3);
    for (const id of [
      'client-document-client-id',
      'client-document-redirect-uris',
      'client-document-secret',
      'client-document-jwks-uri',
    ])
      expect(ids).toContain(id);
    expect(result.stdout + result.stderr).not.toContain(PUBLISHED_SECRET);
  });

  it("the document's redirect URIs go through the redirect-URI rules", async () => {
    const path = '/clients/redirects.json';
    const { ids } = await check(path, {
      client_id: `${server.url}${path}`,
      redirect_uris: ['http://app.example.com/cb', 'https://app.example.com/*'],
      token_endpoint_auth_method: 'none',
    });
    expect(ids).toContain('redirect-uri-http');
    expect(ids).toContain('redirect-uri-wildcard');
  });

  it('a document that is not there (404), or full of control characters', async () => {
    const missing = await check('/clients/missing.json', null);
    expect(missing.result.code).toBe(3);
    expect(missing.ids).toContain('client-document-unavailable');
    expect(missing.findings.find((item) => item.id === 'client-document-unavailable')?.message).toMatch(/HTTP 404/);

    const injected = await check('/clients/injected.json', {
      client_id: INJECTED,
      redirect_uris: [`https://app.example.com/${INJECTED}`],
    });
    expect(injected.ids).toContain('client-document-client-id');
    const human = await runCli(['check', '--client-id', `${server.url}/clients/injected.json`], { env: sandboxEnv() });
    expect(human.stdout + human.stderr).not.toMatch(CONTROL);
    expect(human.stdout).not.toContain('\nhint: forged-line');
  });

  it('a plain-http URL to a host that is not loopback is a finding, and is not fetched', async () => {
    const result = await runCli(['check', '--client-id', 'http://client.invalid/doc.json', '--json'], {
      env: sandboxEnv(),
    });
    expect(result.code).toBe(3);
    const ids = (JSON.parse(result.stdout) as { findings: Array<{ id: string }> }).findings.map((item) => item.id);
    expect(ids).toContain('client-document-url');
    expect(ids).toContain('client-document-unavailable');
  });

  it('a client id that is no URL is a client id as before: no document rule applies', async () => {
    const result = await runCli(
      ['check', '--client-id', 'my-cli', '--redirect-uri', 'http://127.0.0.1/callback', '--public', '--json'],
      { env: sandboxEnv() },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('client-document');
  });
});
