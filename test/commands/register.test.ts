// `oauth register` refuses a redirect URI no server should accept before it asks any server (exit 2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startRegistrationServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startRegistrationServer();
});
afterAll(async () => {
  await server.close();
});

describe('oauth register --redirect-uri', () => {
  it('refuses a dangerous scheme, a fragment or a relative URI before any request', async () => {
    for (const uri of ['javascript:alert(1)', 'data:text/html,x', 'http://127.0.0.1/cb#frag', '/callback']) {
      const result = await runCli(['register', '--issuer', server.origin, '--redirect-uri', uri]);
      expect(result.code, `${uri}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('--redirect-uri');
    }
    expect(server.hits.get('/reg') ?? 0).toBe(0);
    expect(server.hits.get('/.well-known/openid-configuration') ?? 0).toBe(0);
  });
});
