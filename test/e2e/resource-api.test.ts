// The example APIs of `oauth serve` as a user tries them: the URLs in the first JSON line and the banner, a token from
// `oauth mint` and one from `oauth token --resource`, the 401 challenge that leads to the RFC 9728 metadata, and the
// lax API's mistake next to the correct API's refusal.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';
import { BIN, killAfterFile, serve, stopEveryServe } from '../helpers/serve.js';

afterAll(stopEveryServe);

const bearer = (url: string, token?: string) =>
  fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('oauth serve: the example APIs', () => {
  it('lists the APIs; a minted token works, none gets a challenge that leads to metadata naming the API', async () => {
    const env = sandboxEnv();
    const server = await serve(env, '--lax-api');
    const { issuer, api, api_metadata, lax_api, lax_api_metadata } = server.info;
    expect(api).toBe(`${issuer}/api/orders`);
    expect(api_metadata).toBe(`${issuer}/.well-known/oauth-protected-resource/api/orders`);
    expect(lax_api).toBe(`${issuer}/lax-api/orders`);
    expect(lax_api_metadata).toBe(`${issuer}/.well-known/oauth-protected-resource/lax-api/orders`);

    const anonymous = await bearer(api);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${api_metadata}"`);
    const metadata = await (await fetch(api_metadata)).json();
    expect(metadata).toMatchObject({
      resource: api,
      authorization_servers: [issuer],
      bearer_methods_supported: ['header'],
    });

    const minted = await spawnCli(['mint', '--issuer', issuer], { env });
    expect(minted.code, minted.stderr).toBe(0);
    const ok = await bearer(api, minted.stdout.trim());
    expect(ok.status).toBe(200);
    expect((await ok.json()).orders.length).toBeGreaterThan(0);

    const expired = (await spawnCli(['mint', '--issuer', issuer, '--expired'], { env })).stdout.trim();
    const refused = await bearer(api, expired);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="[^"]+", error="invalid_token"/);
    expect((await bearer(lax_api!, expired)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('issues a token for the resource named in the metadata, which the API accepts', async () => {
    const env = sandboxEnv();
    const server = await serve(env);
    const { issuer, api, api_metadata } = server.info;
    expect(server.info.lax_api).toBeUndefined();
    expect((await fetch(`${issuer}/lax-api/orders`)).status).toBe(404);
    const { resource } = await (await fetch(api_metadata)).json();
    // The client side of RFC 9728 in this tool finds the same metadata from the API's URL alone.
    const discovered = await spawnCli(['discover', '--resource', api, '--json'], { env });
    expect(discovered.code, discovered.stderr).toBe(0);
    expect(JSON.parse(discovered.stdout)).toMatchObject({
      resource_metadata_url: api_metadata,
      resource_metadata: { resource },
    });
    const audited = await spawnCli(['check', '--resource', api], { env });
    expect(audited.code, audited.stdout).toBe(0);
    expect(audited.stdout).toContain('Nothing to report.');
    const service = server.info.clients.find((client) => client.client_id === 'service')!;
    const issued = await spawnCli(
      ['token', '--client-credentials', '--issuer', issuer, '--client-id', 'service', '--scope', 'api:read api:write'],
      { env: { ...env, OAUTH_CLIENT_SECRET: service.client_secret, OAUTH_RESOURCE: resource } },
    );
    expect(issued.code, issued.stderr).toBe(0);
    const token = issued.stdout.trim();
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).aud).toBe(api);
    const placed = await fetch(api, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(placed.status).toBe(201);
    expect(await server.stop()).toBe(0);
  });

  it('traces API requests with -v by path only: a token sent in the query string is not printed', async () => {
    const env = sandboxEnv();
    const server = await serve(env, '-v', '--ephemeral');
    let stderr = '';
    server.child.stderr.on('data', (chunk) => (stderr += chunk));
    const token = (await spawnCli(['mint', '--issuer', server.info.issuer], { env })).stdout.trim();
    expect((await fetch(`${server.info.api}?access_token=${token}`)).status).toBe(400);
    expect((await fetch(`${server.info.issuer}/api/%1b%5b2J`)).status).toBe(404);
    expect(await server.stop()).toBe(0);
    expect(stderr).toContain('server: GET /api/orders 400');
    expect(stderr).toContain('server: GET /api/%1b%5b2J 404');
    expect(stderr).not.toContain(token.split('.')[2]!);
    expect(stderr).not.toMatch(/\x1b/);
  });

  it('says in its banner where the APIs are and that the lax one is deliberately insecure', async () => {
    const env = sandboxEnv();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--lax-api', '--ephemeral'], {
      env: { PATH: process.env.PATH, ...env, NO_COLOR: '1' } as NodeJS.ProcessEnv,
    });
    killAfterFile(child);
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('oauth check --issuer')) resolve();
      });
      child.on('close', (code) => reject(new Error(`serve exited ${code}`)));
    });
    expect(stdout).toMatch(/API +http:\/\/127\.0\.0\.1:\d+\/api\/orders/);
    expect(stdout).toMatch(/metadata +http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/api\/orders/);
    expect(stdout).toMatch(/lax API +http:\/\/127\.0\.0\.1:\d+\/lax-api\/orders DELIBERATELY INSECURE/);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await closed).toBe(0);
  });
});
