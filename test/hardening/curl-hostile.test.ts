// `oauth curl` against hostile and broken APIs: what they put in challenges, metadata, redirects and bodies never
// reaches the terminal raw, never carries the token anywhere but the URL the user named, and ends with the right code.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, hang, raw, startServer, type TestServer } from '../helpers/server.js';
import { runCli, sandboxWithTokenFile } from '../helpers/cli.js';
import { main } from '../../src/cli.js';
import { bufferIO } from '../../src/term/io-buffer.js';

const TOKEN = 'stored-access-token-hostile-0123456789abcdef';
const SESSION = {
  version: 1,
  issuer: 'https://id.example.test',
  client_id: 'cli',
  access_token: TOKEN,
  token_type: 'Bearer',
  obtained_at: 1,
  expires_at: 4102444800,
  scope: 'openid api:read',
};

/** A home whose default profile holds SESSION, and the settings that name its server and client. */
function signedIn(): Record<string, string | undefined> {
  const { env } = sandboxWithTokenFile(
    JSON.stringify({ version: 1, entries: { 'profile:default': JSON.stringify(SESSION) } }),
  );
  return { ...env, OAUTH_ISSUER: SESSION.issuer, OAUTH_CLIENT_ID: SESSION.client_id, OAUTH_NO_CACHE: '1' };
}

function notSignedIn(): Record<string, string | undefined> {
  const { env } = sandboxWithTokenFile(JSON.stringify({ version: 1, entries: {} }));
  return { ...env, OAUTH_CLIENT_ID: 'cli', OAUTH_NO_CACHE: '1' };
}

/** Every byte value, invalid UTF-8 included. */
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, index) => 255 - index));

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/**
 * Node's HTTP server refuses to send control characters in a header; a hostile API sends them anyway: raw bytes on a
 * socket. A header cannot carry C0 controls past the HTTP parser (it refuses the answer: exit 5), but it passes C1
 * ones (CSI, NEL: obs-text); the body carries ESC and BEL.
 */
async function startRawApi(): Promise<{ origin: string; close(): Promise<void> }> {
  const challenge =
    'Bearer error="insufficient_scope", scope="api:write \u009b31mred", error_description="go \u009b2J\u0085away"';
  const body = 'denied\u001b]0;owned\u0007';
  const server: Server = createServer((socket) => {
    socket.once('data', () => {
      socket.end(
        Buffer.from(
          `HTTP/1.1 403 Forbidden\r\nwww-authenticate: ${challenge}\r\ncontent-length: ${Buffer.byteLength(body, 'latin1')}\r\nconnection: close\r\n\r\n${body}`,
          'latin1',
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An API whose whole answer is `head` (a status line and headers, as raw bytes): what Node's server cannot send. */
async function startRawAnswer(head: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.once('data', () =>
      socket.end(Buffer.from(`${head}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`, 'latin1')),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let rawApi: { origin: string; close(): Promise<void> };
let api: TestServer;
let elsewhere: TestServer;
const received: string[] = [];

beforeAll(async () => {
  rawApi = await startRawApi();
  elsewhere = await startServer({ '/landing': raw(200, 'you followed the redirect') });
  api = await startServer({
    '/empty-403': raw(403, ''),
    '/binary': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BINARY);
    },
    '/echo': (request, response) => {
      received.push(`${request.url} ${request.headers.authorization ?? ''}`);
      response
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer error="invalid_token"' })
        .end(`you sent: ${request.headers.authorization}\n`);
    },
    '/slow': hang,
    '/not-modified': raw(304, ''),
    '/choices': raw(300, ''),
    '/moved': raw(302, '', { location: 'http://127.0.0.1:1/landing' }),
    // Declared beyond the cap of a streamed 2xx body (1 GiB), and of an error held in memory (100 MiB).
    '/huge': (_request, response) => {
      response.writeHead(200, { 'content-length': String(2 * 1024 * 1024 * 1024) });
      response.write('x');
    },
    '/huge-error': (_request, response) => {
      response.writeHead(500, { 'content-length': String(200 * 1024 * 1024) });
      response.write('x');
    },
    '/file-metadata': raw(401, '', { 'www-authenticate': 'Bearer resource_metadata="file:///etc/passwd"' }),
    '/remote-metadata': raw(401, '', {
      'www-authenticate': 'Bearer resource_metadata="http://metadata.example.com/.well-known/oauth-protected-resource"',
    }),
    '/lying': raw(401, '', {
      'www-authenticate': 'Bearer resource_metadata="/lying-metadata"',
    }),
    '/nowhere': raw(401, ''),
  });
  // Redirects point at the other server, whose hits say whether it was followed.
  api.route('/moved', raw(302, '', { location: `${elsewhere.origin}/landing` }));
  api.route('/lying', raw(401, '', { 'www-authenticate': `Bearer resource_metadata="${api.origin}/lying-metadata"` }));
  api.route('/lying-metadata', (_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ resource: 'https://bank.example', authorization_servers: ['https://id.example.test'] }));
  });
  const dead = await closedPort();
  api.route('/.well-known/oauth-protected-resource/nowhere', (_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ resource: `${api.origin}/nowhere`, authorization_servers: [`http://127.0.0.1:${dead}`] }));
  });
});
afterAll(async () => {
  await api?.close();
  await elsewhere?.close();
  await rawApi?.close();
});

function clean(result: { stdout: string; stderr: string }, options: { stdoutToo: boolean }): void {
  expect(result.stderr).not.toMatch(CONTROL);
  expect(result.stderr).not.toContain(TOKEN);
  if (options.stdoutToo) expect(result.stdout).not.toMatch(CONTROL);
}

describe('oauth curl against hostile APIs', () => {
  it('shows a challenge full of escape sequences escaped (exit 3); on a terminal the body too', async () => {
    const piped = await runCli(['curl', `${rawApi.origin}/escape`], { env: signedIn() });
    expect(piped.code, piped.stderr).toBe(3);
    clean(piped, { stdoutToo: false });
    expect(piped.stderr).toContain('insufficient_scope');
    expect(piped.stderr).toContain('\\u009b2J');
    // On a pipe the body is the user's data, byte for byte.
    expect(piped.stdout).toBe('denied\u001b]0;owned\u0007');

    // Our own colours are escape sequences too: off, so that any left would be the API's.
    const terminal = await runCli(['curl', `${rawApi.origin}/escape`], {
      env: { ...signedIn(), NO_COLOR: '1' },
      tty: true,
    });
    expect(terminal.code).toBe(3);
    clean(terminal, { stdoutToo: true });
    expect(terminal.stdout).toContain('denied\\u001b]0;owned\\u0007');
  });

  it('passes a binary body to a pipe byte for byte, and shows none of it on a terminal', async () => {
    const piped = bufferIO({ env: signedIn() });
    expect(await main(['curl', `${api.origin}/binary`], piped)).toBe(0);
    expect(piped.outBytes().equals(BINARY)).toBe(true);
    // -o - is stdout, as in curl.
    const dash = bufferIO({ env: signedIn() });
    expect(await main(['curl', '-o', '-', `${api.origin}/binary`], dash)).toBe(0);
    expect(dash.outBytes().equals(BINARY)).toBe(true);
    const terminal = bufferIO({ env: { ...signedIn(), NO_COLOR: '1' }, tty: true });
    expect(await main(['curl', `${api.origin}/binary`], terminal)).toBe(0);
    expect(terminal.out()).toBe('');
    expect(terminal.err()).toContain('The body is binary (256 bytes)');
  });

  it('takes --json as curl does (a body), so a usage error is not printed as JSON', async () => {
    const result = await runCli(['curl', `${api.origin}/binary`, '--json'], { env: signedIn() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error\[USAGE\]: .*--json <json>/);
  });

  it('an empty 403 is exit 3 with its status named', async () => {
    const result = await runCli(['curl', `${api.origin}/empty-403`], { env: signedIn() });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('error[API_REFUSED]: The API answered 403 Forbidden.');
  });

  it('an API that echoes the token: never in the URL, never on stderr (even with -v -i), redacted on a terminal', async () => {
    const piped = await runCli(['curl', '-v', '-i', `${api.origin}/echo?x=1`], { env: signedIn() });
    expect(piped.code).toBe(3);
    expect(received.at(-1)).toBe(`/echo?x=1 Bearer ${TOKEN}`);
    clean(piped, { stdoutToo: false });
    expect(piped.stderr).toContain('invalid_token');
    const terminal = await runCli(['curl', `${api.origin}/echo`], { env: { ...signedIn(), NO_COLOR: '1' }, tty: true });
    expect(terminal.stdout).toContain('you sent: Bearer ');
    expect(terminal.stdout).not.toContain(TOKEN);
  });

  it('-v shows an API key header (X-Api-Key, X-Auth-Token) redacted', async () => {
    const key = 'api-key-value-0123456789abcdef';
    const result = await runCli(
      ['curl', '-v', '-H', `X-Api-Key: ${key}`, '-H', `X-Auth-Token: ${key}-2`, `${api.origin}/binary`],
      { env: signedIn() },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/> x-api-key: \S*… \(30 chars\)/);
    expect(result.stderr).toMatch(/> x-auth-token: \S*… ?\S* \(32 chars\)/);
    expect(result.stderr).not.toContain(key.slice(8));
  });

  it('does not follow a redirect to another host (exit 5, the Location said); --no-fail exits 0', async () => {
    const result = await runCli(['curl', `${api.origin}/moved`], { env: signedIn() });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('error[HTTP_REDIRECT]');
    expect(result.stderr).toContain(`${elsewhere.origin}/landing`);
    const kept = await runCli(['curl', '--no-fail', '-i', `${api.origin}/moved`], { env: signedIn() });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`location: ${elsewhere.origin}/landing`);
    expect(elsewhere.hits.get('/landing')).toBeUndefined();
  });

  it('gives up on a slow API at --timeout (exit 5)', async () => {
    const result = await runCli(['curl', '--timeout', '1', `${api.origin}/slow`], { env: signedIn() });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('error[HTTP_TIMEOUT]');
  });

  it('refuses a body beyond the cap (exit 5)', async () => {
    for (const path of ['/huge', '/huge-error']) {
      const result = await runCli(['curl', `${api.origin}${path}`], { env: signedIn() });
      expect(result.code, path).toBe(5);
      expect(result.stderr, path).toContain('error[HTTP_TOO_LARGE]');
      expect(result.stdout, path).toBe('');
    }
  });

  it('refuses resource_metadata that is a file: URL or plain http to another host (exit 5)', async () => {
    for (const path of ['/file-metadata', '/remote-metadata']) {
      const result = await runCli(['curl', '--login', `${api.origin}${path}`], { env: notSignedIn() });
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toContain('error[METADATA_INVALID]');
      expect(result.stderr).toContain('resource_metadata');
    }
  });

  it('refuses metadata that names another resource (exit 5): its server is never asked', async () => {
    const result = await runCli(['curl', '--login', `${api.origin}/lying`], { env: notSignedIn() });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain('error[METADATA_INVALID]');
    expect(result.stderr).toContain('https://bank.example');
  });

  it('says an authorization server that does not answer (exit 5)', async () => {
    const result = await runCli(['curl', '--login', `${api.origin}/nowhere`], { env: notSignedIn() });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toContain('connection refused');
  });

  it('refuses a header with a line break, a method that is no token, and plain http to another host (exit 2)', async () => {
    for (const args of [
      ['-H', 'X-A: 1\r\nX-Injected: 2'],
      ['-X', 'GET /x HTTP/1.1'],
    ]) {
      const result = await runCli(['curl', ...args, `${api.origin}/echo`], { env: signedIn() });
      expect(result.code, result.stderr).toBe(2);
    }
    const before = received.length;
    const insecure = await runCli(['curl', 'http://api.example.com/orders'], { env: signedIn() });
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toContain('error[INSECURE_URL]');
    expect(received.length).toBe(before);
  });

  it('says an answer that is not valid HTTP (status 099, a bare 101) in its own words, exit 5', async () => {
    for (const head of ['HTTP/1.1 099 Odd', 'HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 abc']) {
      const server = await startRawAnswer(head);
      try {
        const io = bufferIO({ env: signedIn() });
        expect(await main(['curl', `${server.origin}/x`], io), head).toBe(5);
        expect(io.err(), head).toContain('error[PROTOCOL_ERROR]');
        expect(io.err(), head).toContain('not valid HTTP');
        expect(io.err(), head).not.toMatch(/assert|ERR_ASSERTION|network/i);
      } finally {
        await server.close();
      }
    }
  });

  it('takes a 304 as an answer (exit 0, no body) and a 3xx without a Location as a status, not a redirect (exit 5)', async () => {
    const fresh = bufferIO({ env: signedIn() });
    expect(await main(['curl', '-H', 'If-None-Match: "v1"', `${api.origin}/not-modified`], fresh), fresh.err()).toBe(0);
    expect(fresh.out()).toBe('');
    const choices = bufferIO({ env: signedIn() });
    expect(await main(['curl', `${api.origin}/choices`], choices)).toBe(5);
    expect(choices.err()).toContain('error[HTTP_STATUS]: The API answered 300 Multiple Choices.');
    expect(choices.err()).not.toContain('redirect');
  });

  it('says a failure to write the answer (stdout or -o on a full device) as local, OUTPUT_FAILED, exit 2', async () => {
    const toFile = bufferIO({ env: signedIn() });
    expect(await main(['curl', '-o', '/dev/full', `${api.origin}/binary`], toFile)).toBe(2);
    expect(toFile.err()).toContain('error[OUTPUT_FAILED]: Cannot write -o /dev/full: ENOSPC.');
    expect(toFile.err()).not.toMatch(/network|reach/i);

    // The built CLI with its stdout on /dev/full, as `oauth curl URL > /dev/full` runs it.
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, '..', '..', 'bin', 'oauth.js'), 'curl', `${api.origin}/binary`],
        {
          env: { PATH: process.env.PATH, ...signedIn() } as NodeJS.ProcessEnv,
          stdio: ['ignore', full, 'pipe'],
        },
      );
      let stderr = '';
      child.stderr?.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, stderr).toBe(2);
      expect(stderr).toContain('error[OUTPUT_FAILED]: Cannot write stdout: ENOSPC.');
      expect(stderr).not.toMatch(/network|reach/i);
    } finally {
      closeSync(full);
    }
  });

  it('refuses a body from @- together with --client-secret-stdin: both would read stdin (exit 2)', async () => {
    for (const body of [
      ['--json', '@-'],
      ['-d', 'a=1', '-d', '@-'],
      ['--data-binary', '@-'],
    ]) {
      const io = bufferIO({ env: signedIn(), stdin: '{"a":1}\n' });
      expect(await main(['curl', '--client-secret-stdin', ...body, `${api.origin}/binary`], io), body.join(' ')).toBe(
        2,
      );
      expect(io.err()).toContain('both read stdin');
    }
  });

  it('-o keeps the old file when the answer is cut short mid-body, and says so (exit 5); a whole answer replaces it', async () => {
    api.route('/cut', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
      response.write(Buffer.alloc(44, 'a'), () => response.socket?.destroy());
    });
    const dir = mkdtempSync(join(tmpdir(), 'oauth-curl-o-'));
    const file = join(dir, 'f');
    writeFileSync(file, 'the old contents');
    const io = bufferIO({ env: signedIn() });
    expect(await main(['curl', '-o', file, `${api.origin}/cut`], io)).toBe(5);
    expect(io.err()).toContain('was cut short after 44 bytes');
    expect(io.err()).not.toContain('Cannot reach');
    expect(readFileSync(file, 'utf8')).toBe('the old contents');
    expect(readdirSync(dir)).toEqual(['f']);

    const whole = bufferIO({ env: signedIn() });
    expect(await main(['curl', '-o', file, `${api.origin}/binary`], whole)).toBe(0);
    expect(readFileSync(file).equals(BINARY)).toBe(true);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('refuses before any request (exit 2) a method undici cannot send and a header value RFC 9110 forbids', async () => {
    const before = received.length;
    for (const args of [
      ['-X', 'CONNECT'],
      ['-X', 'connect'],
      ['-H', 'X: \ufffd\u001b'],
      ['-H', 'X: a\u0007b'],
      ['-H', 'X: \u0100'],
    ]) {
      const result = await runCli(['curl', ...args, `${api.origin}/echo`], { env: signedIn() });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('error[USAGE]');
      expect(result.stderr).not.toContain('HTTP_NETWORK');
      clean(result, { stdoutToo: true });
    }
    expect(received.length).toBe(before);
    // A tab and bytes beyond ASCII (obs-text) are a field value's own: that request is sent (the API says 401, exit 3).
    const fine = await runCli(['curl', '-X', 'TRACE', '-H', 'X: a\tb\u00e9', `${api.origin}/echo`], {
      env: signedIn(),
    });
    expect(fine.code, fine.stderr).toBe(3);
    expect(received.length).toBe(before + 1);
  });
});
