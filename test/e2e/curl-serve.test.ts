// `oauth curl` against `oauth serve`'s example API, as a user first meets it: no session, no profile, only the API's
// URL; the RFC 9728 metadata leads to the local server, where the simulated user signs in for the API's resource.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { serve, stopEveryServe } from '../helpers/serve.js';
import { userHome } from '../helpers/sign-in.js';

afterAll(stopEveryServe);

describe('oauth curl against oauth serve', () => {
  it('discovers the server, signs in for the API, reads and places orders, and says what the API refuses', async () => {
    const home = userHome();
    const server = await serve(home.env);
    const { issuer, api } = server.info;

    const read = await spawnCli(['curl', '--login', '--client-id', 'oauth-cli', api], { env: home.env });
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout).orders.length).toBeGreaterThan(0);
    expect(read.stderr).toContain(`Signing in at ${issuer} for ${api}`);
    expect(JSON.parse(readFileSync(home.configFile, 'utf8')).profiles.default).toMatchObject({
      issuer,
      client_id: 'oauth-cli',
      resource: api,
    });

    // The metadata's scopes were asked for: placing an order (api:write) needs no second sign-in.
    const placed = await spawnCli(['curl', '-i', '--json', '{"item":"tea","quantity":2}', api], { env: home.env });
    expect(placed.code, placed.stderr).toBe(0);
    expect(placed.stdout).toMatch(/^HTTP\/1\.1 201 Created\n/);
    expect(placed.stdout).toContain('"item":"tea"');
    expect(placed.stderr).toBe('');

    const refused = await spawnCli(['curl', '-X', 'DELETE', api], { env: home.env });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('error[HTTP_STATUS]: The API answered 405 Method Not Allowed.');
    expect(JSON.parse(refused.stdout)).toEqual({ error: 'method_not_allowed' });
    expect(await server.stop()).toBe(0);
  });
});
