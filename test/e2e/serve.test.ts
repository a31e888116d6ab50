// `oauth serve`, `oauth mint` and `oauth demo` as a new user runs them.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
const running: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

interface Served {
  child: ChildProcessWithoutNullStreams;
  info: {
    issuer: string;
    audience: string;
    access_tokens: string;
    jwks_uri: string;
    keys: string;
    clients: Array<{ client_id: string; client_secret?: string; grant_types: string[]; redirect_uris: string[] }>;
  };
  stop(): Promise<number | null>;
}

async function serve(env: Record<string, string | undefined>, ...args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], {
    env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
  });
  running.push(child);
  let stdout = '';
  const info = await new Promise<Served['info']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve printed nothing')), 15_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(stdout.split('\n')[0]!));
      }
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, info, stop: () => (child.kill('SIGINT'), exited) };
}

describe('oauth serve', () => {
  const env = sandboxEnv({ OAUTH_STORE: 'file', BROWSER: SIMULATED_BROWSER });

  it('prints its issuer and clients as the first JSON line; login, tokens and Ctrl-C work', async () => {
    const server = await serve(env);
    const { issuer, clients } = server.info;
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(clients.map((client) => client.client_id)).toEqual(['oauth-cli', 'confidential-app', 'service']);
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
    running.push(child as ChildProcessWithoutNullStreams);
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

  it('refuses bad flags with exit 2', async () => {
    expect((await spawnCli(['serve', '--alg', 'HS256'], { env })).code).toBe(2);
    expect((await spawnCli(['serve', '--port', 'eighty'], { env })).code).toBe(2);
  });
});

describe('oauth mint', () => {
  it('each variant of the suite gets the stated verdict from oauth decode --verify, and jose accepts the valid one', async () => {
    const env = sandboxEnv();
    const server = await serve(env);
    const { issuer, audience, jwks_uri } = server.info;
    const suite = await spawnCli(['mint', '--suite', '--issuer', issuer], { env });
    expect(suite.code, suite.stderr).toBe(0);
    const lines = suite.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.name)).toEqual(
      expect.arrayContaining([
        'valid',
        'expired',
        'not-yet-valid',
        'wrong-issuer',
        'wrong-audience',
        'bad-signature',
        'alg-none',
        'unknown-kid',
        'hs256-with-public-key',
        'missing-exp',
      ]),
    );
    for (const line of lines) {
      const result = await spawnCli(
        [
          'decode',
          '-',
          '--verify',
          '--jwks',
          jwks_uri,
          '--issuer',
          issuer,
          '--audience',
          audience,
          '--typ',
          'at+jwt',
          '--json',
        ],
        { env, stdin: line.token },
      );
      expect(result.stderr).not.toMatch(STACK_TRACE);
      if (line.expect === 'accept') {
        expect({ name: line.name, code: result.code }).toEqual({ name: line.name, code: 0 });
      } else {
        expect({ name: line.name, code: result.code, error: JSON.parse(result.stderr).error.code }).toEqual({
          name: line.name,
          code: 3,
          error: line.error_code,
        });
      }
    }
    const valid = lines.find((line) => line.name === 'valid')!;
    const { payload, protectedHeader } = await jose.jwtVerify(valid.token, jose.createRemoteJWKSet(new URL(jwks_uri)), {
      issuer,
      audience,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: 'test-user', scope: 'api:read', client_id: 'oauth-cli' });
    await server.stop();
  });

  it('mints one token per flag, raw on stdout, with the verdict on stderr', async () => {
    const env = sandboxEnv();
    const expired = await spawnCli(
      ['mint', '--expired', '--sub', 'bob', '--claim', 'tenant=acme', '--claim', 'level=3'],
      { env },
    );
    expect(expired.code).toBe(0);
    expect(expired.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(expired.stderr).toContain('expired: a correct API rejects it');
    const payload = JSON.parse(Buffer.from(expired.stdout.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({ sub: 'bob', tenant: 'acme', level: 3 });
    expect(payload.exp).toBeLessThan(Date.now() / 1000);
    const none = await spawnCli(['mint', '--alg', 'none'], { env });
    expect(none.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.\n$/);
    const two = await spawnCli(['mint', '--expired', '--wrong-issuer'], { env });
    expect(two.code).toBe(2);
  });
});

describe('oauth demo', () => {
  it('completes with exit 0 without a TTY and removes its temporary store', async () => {
    const result = await spawnCli(['demo'], {
      env: sandboxEnv({ OAUTH_ISSUER: 'https://should-not-leak-in.example' }),
      timeoutMs: 60_000,
    });
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('a simulated user fills the login and consent forms');
    expect(result.stdout).toContain('(rotated)');
    expect(result.stdout).toContain('✓ valid');
    expect(result.stdout).toContain('Done.');
    const store = /stored in\s+file (\S+tokens\.json)/.exec(result.stdout)?.[1];
    expect(store).toBeDefined();
    expect(existsSync(store!)).toBe(false);
  }, 90_000);
});
