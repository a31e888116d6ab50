// `oauth serve` as a new user runs it: the first JSON line, sign-in and tokens against it, its state across restarts,
// the tokens it issues, the README's script example, and bad flags.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';
import { BIN, killAfterFile, serve, stopEveryServe } from '../helpers/serve.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

afterAll(stopEveryServe);

describe('oauth serve', () => {
  const env = sandboxEnv({ OAUTH_STORE: 'file', BROWSER: SIMULATED_BROWSER });

  it('prints its issuer and clients as the first JSON line; login, tokens and Ctrl-C work', async () => {
    const server = await serve(env);
    const { issuer, clients } = server.info;
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(clients.map((client) => client.client_id)).toEqual([
      'oauth-cli',
      'confidential-app',
      'service',
      'jwt-client',
      'mtls-client',
    ]);
    const service = clients.find((client) => client.client_id === 'service')!;
    expect(service.client_secret).toMatch(/^[\w-]{43}$/);
    expect(clients[0]!.redirect_uris).toContain('http://127.0.0.1/callback');

    const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({
      issuer,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining([
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
      ]),
    );

    const login = await spawnCli(
      ['login', '--issuer', issuer, '--client-id', 'oauth-cli', '--scope', 'openid offline_access api:read'],
      { env },
    );
    expect(login.code, login.stderr).toBe(0);
    const token = await spawnCli(['token'], { env });
    const verified = await spawnCli(
      ['decode', '-', '--verify', '--issuer', issuer, '--audience', server.info.audience, '--typ', 'at+jwt'],
      { env, stdin: token.stdout },
    );
    expect(verified.code, verified.stderr).toBe(0);

    const service_token = await spawnCli(
      ['token', '--client-credentials', '--issuer', issuer, '--client-id', 'service', '--scope', 'api:read'],
      { env: { ...env, OAUTH_CLIENT_SECRET: service.client_secret } },
    );
    expect(service_token.code, service_token.stderr).toBe(0);
    expect(service_token.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);

    expect(await server.stop()).toBe(0);
    await expect(fetch(`${issuer}/jwks`)).rejects.toThrow();
  });

  it('keeps its keys and secrets across restarts, unless --ephemeral', async () => {
    const first = await serve(env);
    const secret = first.info.clients.find((client) => client.client_id === 'service')!.client_secret!;
    const issued = await spawnCli(
      [
        'token',
        '--client-credentials',
        '--no-cache',
        '--issuer',
        first.info.issuer,
        '--client-id',
        'service',
        '--scope',
        'api:read',
      ],
      { env: { ...env, OAUTH_CLIENT_SECRET: secret } },
    );
    await first.stop();
    const second = await serve(env);
    expect(second.info.clients.find((client) => client.client_id === 'service')!.client_secret).toBe(secret);
    const verified = await spawnCli(
      ['decode', '-', '--verify', '--jwks', second.info.jwks_uri, '--issuer', first.info.issuer],
      { env, stdin: issued.stdout },
    );
    expect(verified.code, verified.stderr).toBe(0);
    await second.stop();
    const throwaway = await serve(env, '--ephemeral');
    expect(throwaway.info.keys).toBe('ephemeral');
    const rejected = await spawnCli(['decode', '-', '--verify', '--jwks', throwaway.info.jwks_uri], {
      env,
      stdin: issued.stdout,
    });
    expect(rejected.code).toBe(3);
    await throwaway.stop();
  });

  it('issues JWT access tokens for its audience to every grant, also without an API scope or a resource', async () => {
    const server = await serve(env, '--ephemeral');
    const { issuer, audience } = server.info;
    expect(server.info.access_tokens).toBe('jwt');
    const secret = server.info.clients.find((client) => client.client_id === 'service')!.client_secret!;
    const verify = (token: string) =>
      spawnCli(['decode', '-', '--verify', '--issuer', issuer, '--audience', audience, '--typ', 'at+jwt', '--json'], {
        env,
        stdin: token,
      });

    const service = await spawnCli(
      ['token', '--client-credentials', '--no-cache', '--issuer', issuer, '--client-id', 'service'],
      { env: { ...env, OAUTH_CLIENT_SECRET: secret } },
    );
    expect(service.code, service.stderr).toBe(0);
    const verified = await verify(service.stdout);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).payload).toMatchObject({ iss: issuer, aud: audience, client_id: 'service' });

    // A sign-in with the default scopes (openid offline_access): its access token and its refreshed one are JWTs too.
    const home = sandboxEnv({ OAUTH_STORE: 'file', BROWSER: SIMULATED_BROWSER });
    expect((await spawnCli(['login', '--issuer', issuer, '--client-id', 'oauth-cli'], { env: home })).code).toBe(0);
    expect((await verify((await spawnCli(['token'], { env: home })).stdout)).code).toBe(0);
    expect((await verify((await spawnCli(['token', '--refresh', '-o', 'raw'], { env: home })).stdout)).code).toBe(0);
    await server.stop();
  });

  it('--opaque-tokens gives opaque access tokens, and a JWT only to a client that asks for the audience', async () => {
    const server = await serve(env, '--ephemeral', '--opaque-tokens');
    const { issuer, audience } = server.info;
    expect(server.info.access_tokens).toBe('opaque');
    const serviceEnv = {
      ...env,
      OAUTH_CLIENT_SECRET: server.info.clients.find((client) => client.client_id === 'service')!.client_secret!,
    };
    const opaque = await spawnCli(
      ['token', '--client-credentials', '--no-cache', '--issuer', issuer, '--client-id', 'service'],
      { env: serviceEnv },
    );
    expect(opaque.code, opaque.stderr).toBe(0);
    expect(opaque.stdout).not.toMatch(/^eyJ/);
    const asked = await spawnCli(
      [
        'token',
        '--client-credentials',
        '--no-cache',
        '--issuer',
        issuer,
        '--client-id',
        'service',
        '--resource',
        audience,
      ],
      { env: serviceEnv },
    );
    expect(asked.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    await server.stop();
  });

  it("the README's script example reads the issuer, uses the server and stops it", async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const example = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((match) => match[1]!)
      .find((block) => block.includes('<(oauth serve'));
    expect(example).toBeDefined();
    const bin = mkdtempSync(join(tmpdir(), 'oauth-bin-'));
    writeFileSync(join(bin, 'oauth'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'oauth'), 0o755);
    // The example as written, then: did the server it started really stop?
    const script = `${example}wait "$server"; echo "serve exited $?"\n`;
    const child = spawn('bash', ['-c', script], {
      env: { ...sandboxEnv(), PATH: `${bin}:${process.env.PATH}` } as NodeJS.ProcessEnv,
    });
    killAfterFile(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/issuer\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toContain('serve exited 0');
  });

  it.each(['PS256', 'ES256', 'EdDSA'])(
    '--alg %s signs every token with it: client credentials, and a login with its ID token',
    async (alg) => {
      const server = await serve(env, '--ephemeral', '--alg', alg);
      const { issuer, audience } = server.info;
      const secret = server.info.clients.find((client) => client.client_id === 'service')!.client_secret!;
      const service = await spawnCli(
        ['token', '--client-credentials', '--no-cache', '--issuer', issuer, '--client-id', 'service'],
        { env: { ...env, OAUTH_CLIENT_SECRET: secret } },
      );
      expect(service.code, service.stderr).toBe(0);
      const verified = await spawnCli(
        ['decode', '-', '--verify', '--issuer', issuer, '--audience', audience, '--alg', alg, '--json'],
        { env, stdin: service.stdout },
      );
      expect(verified.code, verified.stderr).toBe(0);
      expect(JSON.parse(verified.stdout).header.alg).toBe(alg);

      const home = sandboxEnv({ OAUTH_STORE: 'file', BROWSER: SIMULATED_BROWSER });
      const login = await spawnCli(['login', '--issuer', issuer, '--client-id', 'oauth-cli'], { env: home });
      expect(login.code, login.stderr).toBe(0);
      // The login verified the ID token's signature; this is the alg it was verified under.
      const session = await spawnCli(['token', '--output', 'json'], { env: home });
      expect(session.code, session.stderr).toBe(0);
      const { id_token: idToken } = JSON.parse(session.stdout);
      expect(JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString()).alg).toBe(alg);
      await server.stop();
    },
  );

  it('advertises DPoP, PAR, JAR, JARM and RAR, and writes the key of its private_key_jwt client for the CLI', async () => {
    const server = await serve(env);
    const { issuer, client_key: keyPath } = server.info;
    expect(server.info).toMatchObject({
      features: ['dpop', 'par', 'jar', 'jarm', 'rar', 'mtls'],
      dpop_nonce_required: false,
      par_required: false,
    });
    const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
      pushed_authorization_request_endpoint: `${issuer}/request`,
      request_parameter_supported: true,
      response_modes_supported: expect.arrayContaining(['jwt']),
      authorization_details_types_supported: ['payment_initiation'],
    });
    expect(discovery.require_pushed_authorization_requests).not.toBe(true);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const key = JSON.parse(readFileSync(keyPath, 'utf8'));
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', d: expect.any(String) });
    const jwtClient = server.info.clients.find((client) => client.client_id === 'jwt-client');
    expect(jwtClient).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt' });
    expect(jwtClient).not.toHaveProperty('client_secret');
    const issued = await spawnCli(
      [
        'token',
        '--client-credentials',
        '--no-cache',
        '--issuer',
        issuer,
        '--client-id',
        'jwt-client',
        '--private-key',
        keyPath,
        '--scope',
        'api:read',
      ],
      { env },
    );
    expect(issued.code, issued.stderr).toBe(0);
    const login = await spawnCli(
      [
        'login',
        '--issuer',
        issuer,
        '--client-id',
        'jwt-client',
        '--private-key',
        keyPath,
        '--scope',
        'openid api:read',
      ],
      { env },
    );
    expect(login.code, login.stderr).toBe(0);
    for (const run of [issued, login]) expect(`${run.stdout}${run.stderr}`).not.toContain(key.d);
    expect(server.stderr()).not.toContain(key.d);
    await server.stop();

    // The same key after a restart: a path a user saved keeps working.
    const again = await serve(env, '--dpop-nonce', '--require-par');
    expect(again.info.client_key).toBe(keyPath);
    expect(JSON.parse(readFileSync(keyPath, 'utf8')).d).toBe(key.d);
    expect(again.info).toMatchObject({ dpop_nonce_required: true, par_required: true });
    const strict = await (await fetch(`${again.info.issuer}/.well-known/openid-configuration`)).json();
    expect(strict.require_pushed_authorization_requests).toBe(true);
    await again.stop();

    // A throwaway server's client key lives only as long as the server.
    const throwaway = await serve(env, '--ephemeral');
    expect(throwaway.info.client_key).not.toBe(keyPath);
    expect(existsSync(throwaway.info.client_key)).toBe(true);
    await throwaway.stop();
    expect(existsSync(throwaway.info.client_key)).toBe(false);
  });

  it('signs jwt-client in with a signed request object (JAR), pushed (PAR) or in the browser URL', async () => {
    const server = await serve(env);
    const { issuer, client_key: keyPath } = server.info;
    const key = JSON.parse(readFileSync(keyPath, 'utf8'));
    const args = ['login', '--issuer', issuer, '--client-id', 'jwt-client', '--private-key', keyPath, '-v'];
    for (const par of [[], ['--par']]) {
      const login = await spawnCli([...args, '--scope', 'openid api:read', '--request-object', ...par], { env });
      expect(login.code, login.stderr).toBe(0);
      const trace = login.stderr;
      // The authorization request carries the request object (or its request_uri), never its parameters in the clear.
      if (par.length) expect(trace).toMatch(new RegExp(`POST ${issuer}/request\\b`));
      else expect(trace).not.toMatch(new RegExp(`POST ${issuer}/request\\b`));
      expect(`${login.stdout}${trace}`).not.toContain(key.d);
      const status = await spawnCli(['status', '--json'], { env });
      expect(JSON.parse(status.stdout).profiles[0].session).toMatchObject({ issuer, client_id: 'jwt-client' });
    }
    await server.stop();
  });

  it('lists its features and the client key in the banner', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--dpop-nonce'], {
      env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
    });
    killAfterFile(child);
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${stdout}`)), 15_000);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('--request-object')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('close', resolve));
    expect(stdout).toMatch(/features {3}dpop \(nonces required\), par, jar, jarm, rar \(payment_initiation\)/);
    expect(stdout).toMatch(/client key: \S+jwt-client\.jwk/);
    expect(stdout).toMatch(/--client-id jwt-client --private-key \S+jwt-client\.jwk --request-object/);
  });

  it('refuses bad flags with exit 2', async () => {
    expect((await spawnCli(['serve', '--alg', 'HS256'], { env })).code).toBe(2);
    expect((await spawnCli(['serve', '--port', 'eighty'], { env })).code).toBe(2);
  });
});
