// `oauth discover` end to end: the metadata of a real oidc-provider, as a table and as JSON; with --resource, an API's
// RFC 9728 metadata first (found at its well-known URL or through its challenge), then its authorization server's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { json, raw, startServer, type TestServer } from '../helpers/server.js';

let as: TestAuthorizationServer;
let api: TestServer;
beforeAll(async () => {
  as = await startAuthorizationServer();
  api = await startServer();
});
afterAll(async () => {
  await api.close();
  await as.close();
});

describe('oauth discover', () => {
  it('shows the metadata', async () => {
    const human = await spawnCli(['discover', as.issuer]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/token_endpoint\s+http:\/\/127\.0\.0\.1:\d+\/token/);
    const json = JSON.parse((await spawnCli(['discover', as.issuer, '--json'])).stdout);
    expect(json.issuer).toBe(as.issuer);
    expect(json.code_challenge_methods_supported).toEqual(['S256']);
  });
});

describe('oauth discover --resource', () => {
  it("shows an API's metadata from its well-known URL, then its authorization server's", async () => {
    api.route('/.well-known/oauth-protected-resource/orders', (request, response) =>
      json({
        resource: `${api.origin}/orders`,
        authorization_servers: [as.issuer],
        scopes_supported: ['api:read'],
        bearer_methods_supported: ['header'],
      })(request, response),
    );
    const human = await spawnCli(['discover', '--resource', `${api.origin}/orders/42`]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Protected resource (RFC 9728');
    expect(human.stdout).toMatch(new RegExp(`resource\\s+${api.origin}/orders\\n`));
    expect(human.stdout).toContain(`Authorization server ${as.issuer}`);
    expect(human.stdout).toMatch(/token_endpoint\s+http:\/\/127\.0\.0\.1:\d+\/token/);

    const result = JSON.parse((await spawnCli(['discover', '--resource', `${api.origin}/orders`, '--json'])).stdout);
    expect(result.resource_metadata.authorization_servers).toEqual([as.issuer]);
    expect(result.authorization_server.issuer).toBe(as.issuer);
  });

  it('follows the challenge of an API that publishes its metadata elsewhere', async () => {
    api.route(
      '/invoices',
      raw(401, '', { 'www-authenticate': `Bearer resource_metadata="${api.origin}/meta/invoices"` }),
    );
    api.route('/meta/invoices', (request, response) =>
      json({ resource: `${api.origin}/invoices`, authorization_servers: [as.issuer] })(request, response),
    );
    const result = await spawnCli(['discover', '--resource', `${api.origin}/invoices`, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).resource_metadata_url).toBe(`${api.origin}/meta/invoices`);
  });

  it('refuses metadata that names another resource (exit 5), and says an --issuer the API does not list (exit 2)', async () => {
    api.route('/.well-known/oauth-protected-resource/lies', json({ resource: 'https://bank.example/' }));
    const lies = await spawnCli(['discover', '--resource', `${api.origin}/lies`]);
    expect(lies.code).toBe(5);
    expect(lies.stderr).toContain('RFC 9728 §3.3');

    const other = await spawnCli(['discover', '--resource', `${api.origin}/orders`, '--issuer', 'https://id.example']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`is not one of the authorization servers`);
  });

  it("says an authorization server the API names outside the URL policy is the API's error (exit 5), not the user's", async () => {
    for (const [path, issuer] of [
      ['/file-as', 'file:///etc/passwd'],
      ['/remote-http-as', 'http://10.255.255.1/'],
    ]) {
      api.route(`/.well-known/oauth-protected-resource${path}`, (request, response) =>
        json({ resource: `${api.origin}${path}`, authorization_servers: [issuer] })(request, response),
      );
      const result = await spawnCli(['discover', '--resource', `${api.origin}${path}`]);
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toContain('authorization_servers[0] from the protected resource metadata');
    }
  });

  it('shows what a hostile API puts in its metadata as text, never as escape sequences', async () => {
    api.route('/.well-known/oauth-protected-resource/hostile', (request, response) =>
      json({
        resource: `${api.origin}/hostile`,
        resource_name: 'Orders\u001b]52;c;cHduZWQ=\u0007\u001b[2J\r\nhint: run rm -rf',
        authorization_servers: [`${api.origin}/no-such-issuer`],
      })(request, response),
    );
    const result = await spawnCli(['discover', '--resource', `${api.origin}/hostile`]);
    expect(result.code).toBe(5);
    const printed = result.stdout + result.stderr;
    expect(printed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(printed).not.toMatch(STACK_TRACE);
  });
});
