// `oauth login --register` checks that the server can do the sign-in asked for before it registers a client there.
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

describe('oauth login --register', () => {
  it('--device at a server without a device authorization endpoint: exit 2 and nothing registered', async () => {
    const result = await runCli(['login', '--register', '--device', '--issuer', server.origin]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('device authorization endpoint');
    expect(server.hits.get('/reg') ?? 0).toBe(0);
  });

  it('the browser flow at a server without an authorization endpoint: exit 2 and nothing registered', async () => {
    const result = await runCli(['login', '--register', '--no-browser', '--issuer', server.origin]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('authorization endpoint');
    expect(server.hits.get('/reg') ?? 0).toBe(0);
  });
});
