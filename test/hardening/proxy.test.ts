// Proxy variables are the user's settings like any other: a malformed one is exit 2 naming the variable, a bare
// host:port works as curl reads it, and a proxy password is a secret the run knows even when the proxy echoes it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';

let proxy: Server;
let proxyPort: number;
beforeAll(async () => {
  // A proxy that refuses every request and says what credentials it was given, decoded.
  proxy = createServer((request, response) => {
    const credentials = Buffer.from(
      (request.headers['proxy-authorization'] ?? '').replace(/^Basic /, ''),
      'base64',
    ).toString();
    response
      .writeHead(400, { 'content-type': 'text/plain' })
      .end(`bad proxy credentials ${credentials} for ${request.url}`);
  });
  // A tunnel (CONNECT, for https) it refuses for want of credentials.
  proxy.on('connect', (_request, socket) =>
    socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="p"\r\n\r\n'),
  );
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

describe('proxy settings', () => {
  it('names a proxy variable it cannot use, exit 2, without its password', async () => {
    const commands = [
      ['discover', 'https://id.example.com'],
      ['decode', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', '--verify', '--jwks', 'https://id.example.com/jwks'],
    ];
    for (const [value, args] of [
      ['http://user:hunter2pass@[bad', commands[0]!],
      ['ftp://proxy.example:21', commands[1]!],
    ] as const) {
      const result = await runCli([...args], { env: sandboxEnv({ HTTPS_PROXY: value, OAUTH_NO_CACHE: '1' }) });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('HTTPS_PROXY is not a proxy URL');
      expect(result.stderr).not.toContain('hunter2pass');
      expect(result.stderr).not.toMatch(STACK_TRACE);
    }
  });

  it('reads a bare host:port as curl does, and never prints the proxy password a proxy echoes', async () => {
    for (const value of [`127.0.0.1:${proxyPort}`, `http://proxyuser:Pr0xyPassw0rd@127.0.0.1:${proxyPort}`]) {
      for (const mode of [[], ['--json'], ['-vv']]) {
        const env = sandboxEnv({ HTTP_PROXY: value, NO_PROXY: '', OAUTH_NO_CACHE: '1' });
        const result = await runCli([...mode, 'discover', '--insecure', 'http://id.example.com'], { env });
        expect(result.code, result.stderr).toBe(5);
        expect(result.stderr).toContain('HTTP 400');
        expect(result.stdout + result.stderr).not.toContain('Pr0xyPassw0rd');
      }
    }
  });

  it('says that a proxy refused the tunnel, with its status and what to do', async () => {
    const env = sandboxEnv({ HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: '', OAUTH_NO_CACHE: '1' });
    const result = await runCli(['discover', 'https://id.example.com'], { env });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain('the proxy answered HTTP 407');
    expect(result.stderr).toContain('hint: The proxy wants credentials');
  });
});
