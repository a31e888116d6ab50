// The example APIs of `oauth serve` as a user tries them: the URLs in the first JSON line and the banner, a token from
// `oauth mint` and one from `oauth token --resource`, the 401 challenge that leads to the RFC 9728 metadata, and the
// lax API's mistake next to the correct API's refusal.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('mint and check --api follow the running server: its real port and --audience; not once it is gone', async () => {
    const env = sandboxEnv();
    const audience = 'https://api.example.test';
    const server = await serve(env, '--audience', audience);
    const { issuer, api } = server.info;
    const minted = await spawnCli(['mint'], { env });
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stderr).toContain(`issuer ${issuer} and audience ${audience} of the running oauth serve`);
    const payload = JSON.parse(Buffer.from(minted.stdout.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({ iss: issuer, aud: audience });
    expect((await bearer(api, minted.stdout.trim())).status).toBe(200);
    // Flags still win.
    const flagged = await spawnCli(['mint', '--aud', 'https://other.example'], { env });
    expect(JSON.parse(Buffer.from(flagged.stdout.split('.')[1]!, 'base64url').toString()).aud).toBe(
      'https://other.example',
    );
    const checked = await spawnCli(['check', '--api', api], { env });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);

    const record = join(env.XDG_STATE_HOME!, 'oauth', 'serve', 'running.json');
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ issuer, audience, alg: 'RS256' });
    // A second server warns and takes the record over; stopped cleanly, it hands it back to the first.
    const second = await serve(env);
    expect(JSON.parse(readFileSync(record, 'utf8')).issuer).toBe(second.info.issuer);
    expect(await second.stop()).toBe(0);
    expect(second.stderr()).toContain(
      `Another oauth serve runs on this state directory (pid ${server.child.pid}, ${issuer})`,
    );
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ pid: server.child.pid, issuer });
    expect((await spawnCli(['mint'], { env })).stderr).toContain(
      `of the running oauth serve (pid ${server.child.pid})`,
    );

    // A killed server leaves its record behind; nobody follows it.
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('close', resolve));
    expect(existsSync(record)).toBe(true);
    const after = await spawnCli(['mint'], { env });
    expect(after.stderr).not.toContain('running oauth serve');
    expect(JSON.parse(Buffer.from(after.stdout.split('.')[1]!, 'base64url').toString()).iss).toBe(
      'http://127.0.0.1:9400',
    );
  });

  it('an --ephemeral server is recorded as such: mint and check --api refuse to sign for it without --issuer', async () => {
    const env = sandboxEnv();
    const server = await serve(env, '--ephemeral');
    const { api } = server.info;
    expect(server.info).toMatchObject({ keys: 'ephemeral', mintable: false });
    const pid = server.child.pid!;
    const refusal = `the running oauth serve (pid ${pid}) uses throwaway keys (--ephemeral): restart it without --ephemeral to mint for it`;
    const minted = await spawnCli(['mint'], { env });
    expect(minted.code, minted.stderr).toBe(2);
    expect(minted.stdout).toBe('');
    expect(minted.stderr.toLowerCase()).toContain(refusal);
    const checked = await spawnCli(['check', '--api', api], { env });
    expect(checked.code, checked.stderr).toBe(2);
    expect(checked.stderr.toLowerCase()).toContain(refusal);
    // An issuer named on purpose is the user's choice.
    expect((await spawnCli(['mint', '--issuer', 'https://as.example'], { env })).code).toBe(0);
    expect(await server.stop()).toBe(0);
    expect((await spawnCli(['mint'], { env })).code).toBe(0);
  });

  it("check --api's inconclusive hint names the valid token's issuer and audience and where each came from", async () => {
    const env = sandboxEnv();
    const server = await serve(env);
    const { issuer, api } = server.info;
    const checked = await spawnCli(['check', '--api', api, '--audience', 'https://not-this-api.example'], { env });
    expect(checked.code, checked.stderr).toBe(5);
    expect(checked.stderr).toContain(
      `The valid token carried iss ${issuer} (from the running oauth serve, pid ${server.child.pid}) and aud https://not-this-api.example (from --audience).`,
    );
    expect(await server.stop()).toBe(0);
  });

  it('without --lax-api, /lax-api/orders is a JSON 404 that names the flag; the first line says registration is off', async () => {
    const env = sandboxEnv();
    const server = await serve(env, '--ephemeral');
    expect(server.info.registration).toBe(false);
    const missing = await fetch(`${server.info.issuer}/lax-api/orders`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: 'not_found',
      error_description: expect.stringContaining('only when oauth serve runs with --lax-api'),
    });
    expect(await server.stop()).toBe(0);
    const open = await serve(env, '--ephemeral', '--registration');
    expect(open.info.registration).toBe(true);
    expect(await open.stop()).toBe(0);
  });

  it('says in its help what survives a restart (keys, secrets) and what does not (sessions, refresh tokens)', async () => {
    const help = await spawnCli(['serve', '--help'], { env: sandboxEnv() });
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(
      /kept in the state directory.*refresh tokens live in memory and are gone after a restart/,
    );
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
    expect(stdout).toMatch(/register +off \(--registration opens dynamic client registration\)/);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await closed).toBe(0);
  });
});
