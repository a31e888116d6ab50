// `oauth token --client-credentials` end to end: a service token from a real oidc-provider, with a client secret (from
// the environment, a file, stdin or argv) or a private key, cached, and what a wrong or missing setting says.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';
import { scanned } from '../helpers/leak-scan.js';
import { SECRETS, startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { closedPort } from '../helpers/server.js';

let as: TestAuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());

describe('oauth token --client-credentials', () => {
  const args = ['token', '--client-credentials', '--client-id', 'service', '--scope', 'api:read'];

  it('prints only the token on a pipe, and caches it', async () => {
    const env = sandboxEnv({ OAUTH_CLIENT_SECRET: SECRETS.service, OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'file' });
    const first = await spawnCli([...args, '-v'], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(first.stderr).toContain('> POST');
    expect(first.stderr).not.toContain(SECRETS.service);
    expect(first.stderr).not.toContain(first.stdout.trim());
    const second = await spawnCli([...args, '-v'], { env });
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).not.toContain('> POST');
    const fresh = await spawnCli([...args, '--no-cache'], { env });
    expect(fresh.stdout).not.toBe(first.stdout);
    // The cached token was fetched with the right secret: a wrong one must still be refused by the server.
    const wrong = await spawnCli(args, { env: { ...env, OAUTH_CLIENT_SECRET: 'wrong-secret-value-123456' } });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('invalid_client');
    expect(wrong.stdout).toBe('');
  });

  it('reads the secret from a file or stdin, and warns when it is on the command line', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const file = join(env.HOME!, 'secret');
    writeFileSync(file, `${SECRETS.service}\n`);
    expect((await spawnCli([...args, '--client-secret-file', file], { env })).code).toBe(0);
    expect((await spawnCli([...args, '--client-secret-stdin'], { env, stdin: `${SECRETS.service}\n` })).code).toBe(0);
    const argv = await spawnCli([...args, '--client-secret', SECRETS.service], { env });
    expect(argv.code).toBe(0);
    expect(argv.stderr).toContain('warning: --client-secret');
    expect(argv.stderr).not.toContain(SECRETS.service);
  });

  it('signs the client assertion with --private-key (private_key_jwt)', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const keyFile = join(env.HOME!, 'client-key.json');
    writeFileSync(keyFile, JSON.stringify(as.jwtClientKey));
    const result = await spawnCli(
      ['token', '--client-credentials', '--client-id', 'jwt-client', '--private-key', keyFile, '-vv'],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('client_assertion_type');
    expect(result.stderr).not.toMatch(/client_assertion=eyJ[\w-]+\.[\w-]+\.[\w-]{20,}/);
  });

  it('a wrong secret exits 5 and shows invalid_client, not the secret', async () => {
    const env = sandboxEnv({
      OAUTH_ISSUER: as.issuer,
      OAUTH_STORE: 'memory',
      OAUTH_CLIENT_SECRET: 'wrong-secret-value-123456',
    });
    const result = await spawnCli(args, { env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('invalid_client');
    expect(result.stderr).not.toContain('wrong-secret-value-123456');
    expect(result.stdout).toBe('');
  });

  it('missing settings exit 2 naming the flag and the variable, never prompting without a TTY', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory', CI: 'true' });
    const result = await spawnCli(['token', '--client-credentials', '--issuer', as.issuer], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--client-id');
    expect(result.stderr).toContain('OAUTH_CLIENT_ID');
  });

  it('an unreachable server exits 5', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_CLIENT_SECRET: 'x' });
    const result = await spawnCli(
      ['token', '--client-credentials', '--issuer', `http://127.0.0.1:${await closedPort()}`, '--client-id', 'svc'],
      { env },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('connection refused');
  });
});

describe('the leak scan over this file', () => {
  it('collected the secrets the server issued and received, and every run (checked after the file)', () => {
    expect(scanned().secrets).toBeGreaterThan(5);
    expect(scanned().runs).toBeGreaterThan(10);
  });
});
