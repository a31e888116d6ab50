// `oauth check --resource` against small protected resources written here: one that publishes its challenge and
// RFC 9728 metadata correctly, and ones whose metadata lies, whose authorization server does not list them, that
// accept tokens in the query, send no challenge, name an authorization server that is gone, or write escapes.
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { closedPort, json, type Route, startServer, type TestServer } from '../helpers/server.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Setup {
  /** The resource's answer to a request without a token. */
  challenge?: (origin: string) => Route;
  metadata?: (resource: string, issuer: string) => Record<string, unknown>;
  /** What the authorization server's metadata adds (protected_resources by default lists the resource). */
  server?: (resource: string) => Record<string, unknown>;
  issuer?: string;
}

/** An authorization server and a resource at /api whose metadata is at the well-known URL for /api. */
async function setUp(setup: Setup = {}): Promise<{ url: string; resource: string; issuer: string }> {
  const as = await startServer();
  const api = await startServer();
  servers.push(as, api);
  const resource = `${api.origin}/api`;
  const issuer = setup.issuer ?? as.origin;
  const discovery = {
    issuer: as.origin,
    authorization_endpoint: `${as.origin}/authorize`,
    token_endpoint: `${as.origin}/token`,
    scopes_supported: ['openid', 'orders:read'],
    ...(setup.server ? setup.server(resource) : { protected_resources: [resource] }),
  };
  as.route('/.well-known/openid-configuration', json(discovery));
  const metadataUrl = `${api.origin}/.well-known/oauth-protected-resource/api`;
  api.route(
    '/api/orders',
    setup.challenge?.(api.origin) ??
      ((_request, response) => {
        response.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${metadataUrl}"` }).end();
      }),
  );
  api.route(
    '/.well-known/oauth-protected-resource/api',
    json(
      setup.metadata?.(resource, issuer) ?? {
        resource,
        authorization_servers: [issuer],
        bearer_methods_supported: ['header'],
        scopes_supported: ['orders:read'],
      },
    ),
  );
  return { url: `${api.origin}/api/orders`, resource, issuer };
}

const check = async (url: string, ...args: string[]) => {
  const result = await runCli(['check', '--resource', url, '--json', ...args], {
    env: sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_NO_CACHE: '1' }),
  });
  expect(result.stderr).not.toMatch(STACK_TRACE);
  const report = result.stdout ? JSON.parse(result.stdout) : undefined;
  const ids: string[] = [...new Set<string>((report?.findings ?? []).map((item: { id: string }) => item.id))].sort();
  return { ...result, report, ids };
};

describe('oauth check --resource', () => {
  it('reports nothing for a resource with a challenge, truthful metadata and an authorization server listing it', async () => {
    const { url, resource, issuer } = await setUp();
    const result = await check(url);
    expect(result.code, result.stderr).toBe(0);
    expect(result.ids).toEqual([]);
    expect(result.report).toMatchObject({
      status: 401,
      challenge: { scheme: 'Bearer' },
      metadata: { resource, authorization_servers: [issuer] },
    });
    const words = await runCli(['check', '--resource', url], { env: sandboxEnv({ OAUTH_NO_CACHE: '1' }) });
    expect(words.code).toBe(0);
    expect(words.stdout).toContain(
      `metadata: ${resource.replace('/api', '')}/.well-known/oauth-protected-resource/api`,
    );
    expect(words.stdout).toContain('Nothing to report.');
  });

  it('names metadata whose resource lies (another origin) and exits 3', async () => {
    const { url } = await setUp({
      metadata: (_resource, issuer) => ({ resource: 'https://bank.example/', authorization_servers: [issuer] }),
    });
    const result = await check(url);
    expect(result.code).toBe(3);
    expect(result.ids).toEqual(['resource-metadata-mismatch']);
    expect(result.report.findings[0].evidence.resource).toBe('https://bank.example/');
  });

  it('names an authorization server whose protected_resources does not list the resource', async () => {
    const { url, issuer } = await setUp({ server: () => ({ protected_resources: ['https://other.example/api'] }) });
    const result = await check(url);
    expect(result.code).toBe(3);
    expect(result.ids).toEqual(['resource-not-listed-by-authorization-server']);
    expect(result.report.findings[0].subject).toBe(issuer);
  });

  it('names bearer_methods_supported with query', async () => {
    const { url } = await setUp({
      metadata: (resource, issuer) => ({
        resource,
        authorization_servers: [issuer],
        bearer_methods_supported: ['header', 'query'],
      }),
    });
    const result = await check(url);
    expect(result.code).toBe(3);
    expect(result.ids).toEqual(['resource-bearer-methods-query']);
  });

  it('names a 401 without a challenge, and still finds the metadata at the well-known URL', async () => {
    const { url, resource } = await setUp({
      challenge: () => (_request, response) => void response.writeHead(401).end(),
    });
    const result = await check(url);
    expect(result.code).toBe(3);
    expect(result.ids).toEqual(['resource-challenge-missing']);
    expect(result.report.metadata.resource).toBe(resource);
  });

  it('names an authorization server that does not answer, a scope it does not offer, and a challenge without metadata', async () => {
    const gone = `http://127.0.0.1:${await closedPort()}`;
    const { url } = await setUp({
      challenge: () => (_request, response) => void response.writeHead(401, { 'www-authenticate': 'Bearer' }).end(),
      metadata: (resource, issuer) => ({
        resource,
        authorization_servers: [issuer, gone],
        scopes_supported: ['orders:read', 'orders:purge'],
      }),
    });
    const result = await check(url);
    expect(result.code).toBe(3);
    expect(result.ids).toEqual([
      'resource-authorization-server-unreachable',
      'resource-challenge-no-metadata',
      'resource-scope-not-offered',
    ]);
  });

  it('an http authorization server on another host is a finding and is not fetched, unless --insecure', async () => {
    const plain = 'http://as.invalid';
    const { url } = await setUp({
      metadata: (resource, issuer) => ({ resource, authorization_servers: [issuer, plain] }),
    });
    const result = await check(url);
    expect(result.code, result.stderr).toBe(3);
    // Not asked: a fetch of a host that cannot resolve would have been an unreachable server.
    expect(result.ids).toEqual(['resource-not-https']);
    expect(result.report.findings[0].message).toContain('not fetched');
    expect(result.report.findings[0].message).toContain('--insecure fetches plain http');
    const insecure = await check(url, '--insecure');
    expect(insecure.ids).toEqual(['resource-authorization-server-unreachable', 'resource-not-https']);
    expect(insecure.report.findings.find((item: { id: string }) => item.id === 'resource-not-https').message).toBe(
      'The authorization server http://as.invalid is not https.',
    );
  });

  it('an authorization server that is not an http(s) URL is never fetched, and --insecure is not offered for it', async () => {
    for (const other of ['file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      const { url } = await setUp({
        metadata: (resource, issuer) => ({ resource, authorization_servers: [issuer, other] }),
      });
      for (const extra of [[], ['--insecure']]) {
        const result = await check(url, ...extra);
        expect(result.code, result.stderr).toBe(3);
        expect(result.ids).toEqual(['resource-not-https']);
        const message = result.report.findings[0].message;
        expect(message, other).toMatch(/not (an http\(s\) URL|a URL), so it was not fetched/);
        expect(message, other).not.toContain('--insecure');
      }
    }
  });

  it('a resource_metadata URL a client may not fetch, or one that redirects: a finding about the URL, the audit goes on', async () => {
    for (const target of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'http://api.invalid/meta',
      '/relative',
      'redirect',
    ]) {
      const { url } = await setUp({
        challenge: (origin) => (_request, response) => {
          const metadata = target === 'redirect' ? `${origin}/moved` : target;
          response.writeHead(401, { 'www-authenticate': `Bearer realm="api", resource_metadata="${metadata}"` }).end();
        },
      });
      const api = servers.at(-1);
      api?.route('/moved', (_request, response) => void response.writeHead(302, { location: '/elsewhere' }).end());
      const result = await check(url);
      expect(result.code, `${target}: ${result.stderr}`).toBe(3);
      expect(result.ids, target).toEqual(['resource-metadata-url-invalid']);
      expect(result.report.findings[0].fix).not.toContain('Serve a JSON object');
    }
  });

  it('a metadata listing thousands of authorization servers: five are asked and printed, the rest counted', async () => {
    const many = Array.from({ length: 5000 }, (_, index) => `https://as${index}.invalid`);
    const { url } = await setUp({
      metadata: (resource, issuer) => ({ resource, authorization_servers: [issuer, ...many] }),
    });
    const result = await runCli(['check', '--resource', url], {
      env: sandboxEnv({ OAUTH_STORE: 'memory', OAUTH_NO_CACHE: '1' }),
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout.match(/authorization server: /g)?.length).toBe(5);
    expect(result.stdout).toContain('and 4996 more, not checked');
  });

  it('warns when there is no metadata at all (exit 0, or 3 with --fail-on warn)', async () => {
    const api = await startServer({
      '/orders': (_request, response) => void response.writeHead(401, { 'www-authenticate': 'Bearer' }).end(),
    });
    servers.push(api);
    const result = await check(`${api.origin}/orders`);
    expect(result.code).toBe(0);
    expect(result.ids).toEqual(['resource-challenge-no-metadata', 'resource-metadata-missing']);
    expect((await check(`${api.origin}/orders`, '--fail-on', 'warn')).code).toBe(3);
  });

  it('names a resource that answers without a token', async () => {
    const { url } = await setUp({ challenge: () => json({ orders: [] }) });
    const result = await check(url);
    expect(result.code).toBe(3);
    expect(result.ids).toEqual(['resource-unprotected']);
  });

  it('a hostile resource: escapes in the challenge and metadata never reach the terminal raw', async () => {
    const { url } = await setUp({
      challenge: () => (_request, response) =>
        void response
          .writeHead(401, { 'www-authenticate': 'Bearer error="\u009b2J", error_description="\u0085\u009d0;x"' })
          .end(),
      metadata: (_resource, issuer) => ({
        resource: 'https://evil.example/\u001b[2J\u0007',
        authorization_servers: [issuer],
      }),
    });
    for (const json of [true, false]) {
      const result = await runCli(['check', '--resource', url, ...(json ? ['--json'] : [])], {
        env: sandboxEnv({ OAUTH_NO_CACHE: '1' }),
      });
      expect(result.code).toBe(3);
      expect(result.stdout + result.stderr).not.toMatch(CONTROL);
      expect(result.stdout).toContain('resource-metadata-mismatch');
    }
  });

  it('refuses bad flags with exit 2', async () => {
    const env = sandboxEnv();
    expect((await runCli(['check', '--resource', 'http://api.example.com/orders'], { env })).code).toBe(2);
    expect((await runCli(['check', '--resource', 'ftp://127.0.0.1/x'], { env })).code).toBe(2);
    expect(
      (await runCli(['check', '--resource', 'http://127.0.0.1/x', '--api', 'http://127.0.0.1/y'], { env })).code,
    ).toBe(2);
    expect((await runCli(['check', '--resource', 'http://127.0.0.1/x', '--scope', 'a'], { env })).code).toBe(2);
  });
});
