// `oauth check --api` as a user runs it: `oauth serve` is the issuer, an API written here trusts its published keys
// (the local-development setup), and the built CLI sends that API its tokens.
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { type Served, serve, stopEveryServe } from '../helpers/serve.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { apiRoute, type Mistake } from '../helpers/token-api.js';

let env: Record<string, string | undefined>;
let server: Served;
let api: TestServer;

beforeAll(async () => {
  env = sandboxEnv({ OAUTH_STORE: 'memory' });
  server = await serve(env);
  const { keys } = (await (await fetch(server.info.jwks_uri)).json()) as { keys: JWK[] };
  const route = (mistake?: Mistake) =>
    apiRoute({
      publicJwk: keys[0]!,
      issuer: server.info.issuer,
      audience: server.info.audience,
      clientId: 'oauth-cli',
      scope: 'orders:read',
      ...(mistake ? { mistake } : {}),
    });
  api = await startServer({
    '/orders': route(),
    '/lax/orders': route('audience'),
    '/jku/orders': route('jku-header'),
  });
});
afterAll(async () => {
  await api.close();
  await server.stop();
  stopEveryServe();
});

const check = async (path: string, ...args: string[]) => {
  const result = await spawnCli(
    ['check', '--api', `${api.origin}${path}`, '--issuer', server.info.issuer, '--scope', 'orders:read', ...args],
    { env },
  );
  expect(result.stderr).not.toMatch(STACK_TRACE);
  return result;
};

describe('oauth check --api against an API that trusts oauth serve', () => {
  it('a correct API: every bad token refused, nothing to report, exit 0', async () => {
    const result = await check('/orders');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/valid token: HTTP 200/);
    expect(result.stdout).toMatch(/✓ refused\s+401\s+alg-none/);
    expect(result.stdout).toContain('Nothing to report.');
  });

  it('an API that does not check the audience: named, with its RFC and fix, exit 3', async () => {
    const result = await check('/lax/orders', '--json');
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.findings.map((item: { id: string }) => item.id)).toEqual(['api-accepts-wrong-audience']);
    expect(report.findings[0]).toMatchObject({ spec: 'RFC 9068 §4, RFC 8725 §3.9', evidence: { status: 200 } });
  });

  it('an API that follows jku: seen fetching the key host and accepting the forged token', async () => {
    const result = await check('/jku/orders', '--json');
    expect(result.code).toBe(3);
    const ids = JSON.parse(result.stdout).findings.map((item: { id: string }) => item.id);
    expect(ids.sort()).toEqual(['api-fetches-header-url', 'api-trusts-jku-header']);
  });
});
