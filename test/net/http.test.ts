// The one HTTP module: traces, proxies, private CAs, cancellation — against real sockets on 127.0.0.1.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpOptions } from '../../src/net/http.js';
import { runCli } from '../helpers/cli.js';
import { hang, json, startServer, startTlsServer, type TestServer, type TlsTestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    '/token': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'session=abcdef0123456789' });
      response.end(
        JSON.stringify({ access_token: 'opaque-access-token-0123456789abcdef', token_type: 'Bearer', expires_in: 300 }),
      );
    },
    '/slow': hang,
    '/big': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`[${'"x",'.repeat(600_000)}"x"]`);
    },
  });
});
afterAll(() => server.close());

function client(overrides: Partial<HttpOptions> = {}, lines: string[] = []) {
  return createHttpClient({
    timeoutMs: 2000,
    insecure: false,
    verbosity: 2,
    trace: (text) => lines.push(...[text].flat()),
    env: {},
    ...overrides,
  });
}

describe('bodies over the cap', () => {
  it('fail with HTTP_TOO_LARGE by default; with oversize truncate, answer the status with the body cut at the cap', async () => {
    const http = client({ verbosity: 0 });
    await expect(http.request({ url: `${server.url}/big`, purpose: 'list' })).rejects.toMatchObject({
      code: 'HTTP_TOO_LARGE',
    });
    const cut = await http.request({ url: `${server.url}/big`, purpose: 'list', maxBytes: 1000, oversize: 'truncate' });
    expect(cut).toMatchObject({ status: 200, truncated: true });
    expect(cut.body.length).toBe(1000);
    const whole = await http.request({ url: `${server.url}/token`, purpose: 'token', oversize: 'truncate' });
    expect(whole.truncated).toBeUndefined();
    await http.close();
  });
});

describe('JSON that readers would take differently', () => {
  const answer = (body: string) => (_request: unknown, response: import('node:http').ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  };

  it('is refused (exit 5) when one object names a member twice, however the second name is spelt', async () => {
    const http = client({ verbosity: 0 });
    for (const body of [
      '{"issuer":"https://a.example","issuer":"https://b.example"}',
      '{"iss\\u0075er":"https://a.example", "issuer" :"https://b.example"}',
      '{"keys":[{"kid":"1","kid":"2"}]}',
    ]) {
      server.route('/twice', answer(body));
      await expect(
        http.request({ url: `${server.url}/twice`, purpose: 'discovery document' }),
        body,
      ).rejects.toMatchObject({
        code: 'PROTOCOL_ERROR',
        exitCode: 5,
        message: expect.stringMatching(/names the member "(issuer|kid)" twice/),
      });
    }
    await http.close();
  });

  it('is read as usual when each object names each member once, and an API body the user asked for is theirs', async () => {
    const http = client({ verbosity: 0 });
    server.route('/once', answer('{"a":{"x":1},"b":{"x":"a:b"},"c":[{"x":1},{"x":2}],"d":"\\"x\\":"}'));
    expect((await http.request({ url: `${server.url}/once`, purpose: 'document' })).status).toBe(200);
    server.route('/twice', answer('{"id":1,"id":2}'));
    expect((await http.request({ url: `${server.url}/twice`, purpose: 'API', userData: true })).status).toBe(200);
    await http.close();
  });
});

describe('-v / -vv traces', () => {
  it('show each exchange with status, timing and bodies, with every secret redacted', async () => {
    const lines: string[] = [];
    const http = client({}, lines);
    await http.request({
      url: `${server.url}/token`,
      method: 'POST',
      purpose: 'token endpoint',
      headers: {
        authorization: 'Basic c2VydmljZTpzdXBlci1zZWNyZXQtdmFsdWU=',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&client_secret=super-secret-value',
    });
    await http.close();
    const trace = lines.join('\n');
    expect(trace).toContain(`> POST ${server.url}/token`);
    expect(trace).toMatch(/< 200 \(\d+ ms, \d+ bytes\)/);
    expect(trace).toContain('grant_type=client_credentials');
    expect(trace).toContain('"token_type":"Bearer"');
    for (const secret of [
      'c2VydmljZTpzdXBlci1zZWNyZXQtdmFsdWU=',
      'super-secret-value',
      'opaque-access-token-0123456789abcdef',
      'abcdef0123456789',
    ]) {
      expect(trace).not.toContain(secret);
    }
  });

  it('-v on the command line prints request and response lines on stderr only', async () => {
    const keyServer = await startServer({ '/jwks': json({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'x' }] }) });
    try {
      const token = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InkifQ.eyJzdWIiOiJhIn0.c2ln';
      const result = await runCli(['decode', token, '--verify', '--jwks', `${keyServer.url}/jwks`, '-v']);
      expect(result.stderr).toContain(`> GET ${keyServer.url}/jwks`);
      expect(result.stderr).toMatch(/< 200 \(\d+ ms/);
      expect(result.stdout).not.toContain('> GET');
    } finally {
      await keyServer.close();
    }
  });
});

describe('proxies', () => {
  it('sends requests through HTTP_PROXY', async () => {
    const seen: string[] = [];
    const proxy = await startServer({});
    // A forward proxy receives the absolute URL as the request target.
    const { createServer } = await import('node:http');
    const forward = createServer((request, response) => {
      seen.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"via":"proxy"}');
    });
    await new Promise<void>((resolve) => forward.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(forward.address() as AddressInfo).port}`;
    try {
      const http = client({ env: { HTTP_PROXY: proxyUrl } });
      const response = await http.request({ url: 'http://127.0.0.1:9/doc', purpose: 'document' });
      await http.close();
      expect(response.body.toString()).toBe('{"via":"proxy"}');
      expect(seen).toEqual(['http://127.0.0.1:9/doc']);
    } finally {
      forward.close();
      await proxy.close();
    }
  });
});

describe('TLS with a private CA', () => {
  let tls: TlsTestServer;
  let origin: string;
  let caFile: string;

  beforeAll(async () => {
    tls = await startTlsServer('{"ok":true}');
    ({ origin, caFile } = tls);
  });
  afterAll(() => tls.close());

  it('refuses an untrusted certificate and points at --ca-file', async () => {
    const http = client();
    const failure = await http.request({ url: `${origin}/doc`, purpose: 'document' }).catch((error) => error);
    await http.close();
    expect(failure).toMatchObject({ code: 'HTTP_TLS', exitCode: 5 });
    expect(failure.hint).toContain('--ca-file');
  });

  it('trusts it with --ca-file', async () => {
    const http = client({ caFile });
    const response = await http.request({ url: `${origin}/doc`, purpose: 'document' });
    await http.close();
    expect(response.status).toBe(200);
  });
});

describe('cancellation', () => {
  it('Ctrl-C ends a wait at once as CANCELLED (130)', async () => {
    const controller = new AbortController();
    const http = client({ signal: controller.signal, timeoutMs: 20_000 });
    const pending = http.request({ url: `${server.url}/slow`, purpose: 'document' }).catch((error) => error);
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    expect(await pending).toMatchObject({ code: 'CANCELLED', exitCode: 130 });
    expect(Date.now() - started).toBeLessThan(2000);
    await http.close();
  });
});

describe('a body passed on as it arrives (sink)', () => {
  it('goes to the sink the head chose, not into memory, bounded by the sink’s own cap', async () => {
    const http = client({ verbosity: 1 });
    const chunks: Buffer[] = [];
    const heads: number[] = [];
    const response = await http.request({
      url: `${server.url}/token`,
      purpose: 'API',
      maxBytes: 10,
      sink: (head) => {
        heads.push(head.status);
        return { write: (chunk) => chunks.push(chunk), maxBytes: 1000 };
      },
    });
    expect(heads).toEqual([200]);
    expect(response.body.length).toBe(0);
    expect(response.streamed).toBe(Buffer.concat(chunks).length);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toMatchObject({ token_type: 'Bearer' });
    await expect(
      http.request({
        url: `${server.url}/token`,
        purpose: 'API',
        sink: () => ({ write: () => undefined, maxBytes: 5 }),
      }),
    ).rejects.toMatchObject({ code: 'HTTP_TOO_LARGE' });
    // A head the sink declines is read into memory as ever.
    const held = await http.request({ url: `${server.url}/token`, purpose: 'API', sink: () => undefined });
    expect(held.streamed).toBeUndefined();
    expect(held.body.length).toBeGreaterThan(0);
    await http.close();
  });
});
