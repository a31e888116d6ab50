// What an API's challenge says and where its RFC 9728 metadata is: the parser against the RFC 9110 grammar (and
// servers that do not follow it), the resource rule, and discovery against small APIs that tell the truth or lie.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCliError } from '../../src/errors.js';
import { createDocumentCache } from '../../src/net/http-cache.js';
import { createHttpClient } from '../../src/net/http.js';
import {
  bearerChallenge,
  discoverResource,
  parseChallenges,
  resourceIdentifier,
  resourceMatches,
  wellKnownMetadataUrls,
} from '../../src/oauth/resource.js';
import { json, raw, startServer, type TestServer } from '../helpers/server.js';

describe('parseChallenges (RFC 9110 §11.6.1)', () => {
  it('reads the parameters of a Bearer challenge, quoted or not, names in lower case', () => {
    expect(
      parseChallenges('Bearer realm="example", ERROR=invalid_token, error_description="The access token expired"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'example', error: 'invalid_token', error_description: 'The access token expired' },
      },
    ]);
  });

  it('reads several challenges in one header, and a scheme alone', () => {
    expect(parseChallenges('Basic realm="x", Bearer scope="a b", Negotiate')).toEqual([
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { scope: 'a b' } },
      { scheme: 'negotiate', params: {} },
    ]);
  });

  it('reads a token68 and a quoted string with escapes and commas in it', () => {
    expect(parseChallenges('Negotiate YII=, Bearer error_description="say \\"hi\\", then go"')).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'YII=' },
      { scheme: 'bearer', params: { error_description: 'say "hi", then go' } },
    ]);
  });

  it('keeps the first value of a parameter given twice', () => {
    expect(parseChallenges('Bearer scope="a", scope="b"')?.[0]?.params.scope).toBe('a');
  });

  it('says a header that does not follow the grammar is unreadable instead of guessing', () => {
    for (const header of [
      'Bearer error="unterminated',
      '"Bearer"',
      'Bearer error="a" junk',
      'Bearer a=b c',
      'Bearer,=x',
    ])
      expect(parseChallenges(header), header).toBeUndefined();
  });

  it('ends on every input (each turn consumes the header)', () => {
    const header = `Bearer ${'a=b, '.repeat(20_000)}`;
    expect(parseChallenges(header)?.[0]?.params.a).toBe('b');
  });
});

describe('bearerChallenge', () => {
  it('gives the RFC 6750 and RFC 9728 parameters of the Bearer challenge among others', () => {
    expect(
      bearerChallenge({
        'www-authenticate':
          'Basic realm="x", Bearer error="insufficient_scope", scope="orders:write", resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
      }),
    ).toEqual({
      scheme: 'Bearer',
      error: 'insufficient_scope',
      scope: 'orders:write',
      resourceMetadata: 'https://api.example/.well-known/oauth-protected-resource',
    });
  });

  it('is undefined without a Bearer or DPoP challenge', () => {
    expect(bearerChallenge({})).toBeUndefined();
    expect(bearerChallenge({ 'www-authenticate': 'Basic realm="x"' })).toBeUndefined();
    expect(bearerChallenge({ 'www-authenticate': 'DPoP error="invalid_token"' })?.scheme).toBe('DPoP');
  });
});

describe('the resource identifier and where its metadata is (RFC 9728 §3.1)', () => {
  it('inserts the well-known segment before the path, then tries each parent up to the root', () => {
    expect(wellKnownMetadataUrls(new URL('https://api.example/v1/orders/42?x=1')).map(String)).toEqual([
      'https://api.example/.well-known/oauth-protected-resource/v1/orders/42',
      'https://api.example/.well-known/oauth-protected-resource/v1/orders',
      'https://api.example/.well-known/oauth-protected-resource/v1',
      'https://api.example/.well-known/oauth-protected-resource',
    ]);
    expect(wellKnownMetadataUrls(new URL('https://api.example/')).map(String)).toEqual([
      'https://api.example/.well-known/oauth-protected-resource',
    ]);
  });

  it('tries a bounded number of URLs for a long path, the root last', () => {
    const urls = wellKnownMetadataUrls(new URL(`https://api.example/${'a/'.repeat(100)}`));
    expect(urls.length).toBeLessThanOrEqual(6);
    expect(urls.at(-1)?.href).toBe('https://api.example/.well-known/oauth-protected-resource');
  });

  it('drops the query and fragment from a URL to name its resource', () => {
    expect(resourceIdentifier(new URL('https://api.example/orders?page=2#top'))).toBe('https://api.example/orders');
  });

  it('lets metadata speak for its own path and below, on its own origin only', () => {
    const target = new URL('https://api.example/v1/orders/42');
    expect(resourceMatches('https://api.example/v1/orders/42', target)).toBe(true);
    expect(resourceMatches('https://api.example/v1', target)).toBe(true);
    expect(resourceMatches('https://api.example/v1/', target)).toBe(true);
    expect(resourceMatches('https://api.example', target)).toBe(true);
    expect(resourceMatches('https://api.example/v', target)).toBe(false);
    expect(resourceMatches('https://api.example/v1/orders/42/items', target)).toBe(false);
    expect(resourceMatches('https://api.example:8443/v1', target)).toBe(false);
    expect(resourceMatches('http://api.example/v1', target)).toBe(false);
    expect(resourceMatches('https://evil.example/v1', target)).toBe(false);
    expect(resourceMatches('https://api.example/v1#x', target)).toBe(false);
    expect(resourceMatches('not a url', target)).toBe(false);
  });

  it('compares decoded paths: a segment hiding a slash, a backslash or a dot segment is under no resource', () => {
    const under = (url: string) => resourceMatches('http://h/api', new URL(url));
    for (const hidden of ['..%2fevil', '..%2Fevil', '..%5cevil', '%2e%2e%2fevil', 'x%2f..%2f..%2fevil', '%2e%2e'])
      expect(under(`http://h/api/${hidden}`), hidden).toBe(false);
    expect(under('http://h/api%2fx')).toBe(false);
    expect(under('http://h/api/100%')).toBe(false);
    expect(under('http://h/%61pi/orders')).toBe(true);
    expect(under('http://h/api/a%20b')).toBe(true);
    expect(resourceMatches('http://h/a%20b', new URL('http://h/a%20b/c'))).toBe(true);
  });
});

describe('discoverResource', () => {
  let api: TestServer | undefined;
  afterEach(() => api?.close());

  const deps = () => {
    const http = createHttpClient({ timeoutMs: 5000, insecure: false, verbosity: 0, trace: () => undefined, env: {} });
    const documents = createDocumentCache({ http, directory: undefined, now: Date.now });
    return { documents: async () => documents, insecure: false };
  };
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!isCliError(error)) throw new Error(`expected a CliError, got ${String(error)}`);
    return error;
  };

  it('reads the metadata a challenge points at when it names the resource called', async () => {
    api = await startServer();
    api.route('/meta', (request, response) =>
      json({ resource: `${api!.origin}/v1`, authorization_servers: ['https://id.example'] })(request, response),
    );
    const found = await discoverResource(new URL(`${api.origin}/v1/orders`), deps(), {
      metadataUrl: `${api.origin}/meta`,
    });
    expect(found).toMatchObject({ source: 'challenge', metadata: { authorization_servers: ['https://id.example'] } });
  });

  it('refuses metadata that names a resource on another origin (exit 5): its sign-in is not this API’s', async () => {
    api = await startServer({ '/meta': json({ resource: 'https://bank.example/' }) });
    const error = await failure(
      discoverResource(new URL(`${api.origin}/v1/orders`), deps(), { metadataUrl: `${api.origin}/meta` }),
    );
    expect(error.code).toBe('METADATA_INVALID');
    expect(error.exitCode).toBe(5);
    expect(error.message).toContain('bank.example');
    // What check --resource reports as the finding's evidence: the resource named, and where.
    expect(error.details).toMatchObject({
      reason: 'RESOURCE_MISMATCH',
      resource: 'https://bank.example/',
      url: `${api.origin}/meta`,
    });
  });

  it('finds the metadata of a parent path at its well-known URL, and wants exactly that identifier there', async () => {
    api = await startServer();
    api.route('/.well-known/oauth-protected-resource/v1', (request, response) =>
      json({ resource: `${api!.origin}/v1` })(request, response),
    );
    const found = await discoverResource(new URL(`${api.origin}/v1/orders/42`), deps());
    expect(found).toMatchObject({ source: 'well-known', metadata: { resource: `${api.origin}/v1` } });
    expect(api.hits.get('/.well-known/oauth-protected-resource/v1/orders/42')).toBe(1);

    api.route('/.well-known/oauth-protected-resource/v1', (request, response) =>
      json({ resource: `${api!.origin}/` })(request, response),
    );
    const error = await failure(discoverResource(new URL(`${api.origin}/v1/orders/42`), deps()));
    expect(error.message).toContain(`not "${api.origin}/v1"`);
  });

  it('asks the API again when told to be fresh, instead of the document a cache still holds', async () => {
    let named = 'https://id-a.example';
    api = await startServer();
    api.route('/.well-known/oauth-protected-resource/orders', (request, response) =>
      json({ resource: `${api!.origin}/orders`, authorization_servers: [named] })(request, response),
    );
    const http = createHttpClient({ timeoutMs: 5000, insecure: false, verbosity: 0, trace: () => undefined, env: {} });
    const documents = createDocumentCache({
      http,
      directory: mkdtempSync(join(tmpdir(), 'prm-cache-')),
      now: Date.now,
    });
    const cached = { documents: async () => documents, insecure: false };
    const target = new URL(`${api.origin}/orders`);
    expect((await discoverResource(target, cached)).metadata.authorization_servers).toEqual([named]);
    named = 'https://id-b.example';
    expect((await discoverResource(target, cached)).metadata.authorization_servers).toEqual(['https://id-a.example']);
    expect((await discoverResource(target, cached, { fresh: true })).metadata.authorization_servers).toEqual([named]);
  });

  it('says no metadata was found (exit 5) when every well-known URL answers 404, naming them', async () => {
    api = await startServer();
    const error = await failure(discoverResource(new URL(`${api.origin}/orders`), deps()));
    expect(error.code).toBe('DISCOVERY_FAILED');
    expect(error.message).toContain('/.well-known/oauth-protected-resource/orders');
  });

  it('refuses a resource_metadata URL outside the URL policy before any request', async () => {
    api = await startServer();
    for (const metadataUrl of ['file:///etc/passwd', 'http://metadata.example/x', 'javascript:alert(1)']) {
      const error = await failure(discoverResource(new URL(`${api.origin}/orders`), deps(), { metadataUrl }));
      expect(error.code, metadataUrl).toBe('METADATA_INVALID');
      expect(error.message).toContain('resource_metadata');
    }
    expect([...api.hits.values()].reduce((sum, count) => sum + count, 0)).toBe(0);
  });

  it('names what is wrong with metadata of the wrong shape, and an empty error status keeps its status', async () => {
    api = await startServer({
      '/list': json([1]),
      '/noresource': json({ authorization_servers: ['x'] }),
      '/types': json({ resource: 'http://127.0.0.1/', authorization_servers: 'https://id.example' }),
      '/empty': raw(503, ''),
    });
    const target = new URL(`${api.origin}/orders`);
    const message = async (path: string) =>
      (await failure(discoverResource(target, deps(), { metadataUrl: `${api!.origin}${path}` }))).message;
    expect(await message('/list')).toContain('not a JSON object');
    expect(await message('/noresource')).toContain('no resource string');
    expect(await message('/types')).toContain('authorization_servers that is not a list of strings');
    expect(await message('/empty')).toMatch(/503 with an empty body/);
  });
});
