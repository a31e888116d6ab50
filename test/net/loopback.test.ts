// The loopback callback server refuses everything but one good callback, over real sockets.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startCallbackServer, type CallbackServer } from '../../src/net/loopback.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(server: CallbackServer, path: string, options: { method?: string; host?: string } = {}): Promise<Reply> {
  const url = new URL(server.redirectUri);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? url.host },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const start = (overrides: Partial<Parameters<typeof startCallbackServer>[0]> = {}) =>
  startCallbackServer({
    host: '127.0.0.1',
    port: 0,
    path: '/callback',
    expectedState: 'the-state',
    timeoutMs: 10_000,
    ...overrides,
  });

describe('the callback server', () => {
  it('binds 127.0.0.1 on a random port and gives an exact redirect URI', async () => {
    const server = await start();
    expect(server.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    await server.close();
  });

  it('ignores other paths, other methods, foreign hosts, duplicated parameters and a wrong state, then accepts the right callback', async () => {
    const refused: string[] = [];
    const server = await start({ onRefused: (reason) => refused.push(reason) });
    expect((await send(server, '/favicon.ico')).status).toBe(404);
    expect((await send(server, '/callback?code=c&state=the-state', { method: 'POST' })).status).toBe(405);
    expect((await send(server, '/callback?code=c&state=the-state', { host: 'evil.example:80' })).status).toBe(400);
    expect((await send(server, '/callback?code=c&state=the-state&state=the-state')).status).toBe(400);
    expect((await send(server, '/callback?code=c&code=d&state=the-state')).status).toBe(400);
    const wrong = await send(server, '/callback?code=c&state=another-state');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('does not belong');
    expect((await send(server, '/callback?code=c')).status).toBe(400);
    expect(refused).toHaveLength(7);

    const good = send(server, '/callback?code=the-code&state=the-state');
    expect((await server.callback).get('code')).toBe('the-code');
    server.respond({ ok: true });
    const page = await good;
    expect(page.status).toBe(200);
    expect(page.body).toContain('Signed in');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'none'");
    expect(page.body).not.toMatch(/<script|<link|https?:\/\//);
    await server.close();
    await expect(send(server, '/callback?code=again&state=the-state')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('holds the browser on the callback until the sign-in is complete, and answers every later callback 410 Gone', async () => {
    const refused: string[] = [];
    const server = await start({ onRefused: (reason) => refused.push(reason) });
    let answered = false;
    const first = send(server, '/callback?code=the-code&state=the-state').finally(() => (answered = true));
    await server.callback;
    // While the code is exchanged: the same callback again, another code, another state, an error: none is a sign-in.
    for (const query of [
      'code=the-code&state=the-state',
      'code=other&state=the-state',
      'code=c&state=another-state',
      'error=access_denied&state=the-state',
    ]) {
      const later = await send(server, `/callback?${query}`);
      expect({ query, status: later.status }).toEqual({ query, status: 410 });
      expect(later.body).not.toContain('Signed in');
    }
    expect(refused).toEqual(Array(4).fill('callback after the sign-in had already arrived'));
    expect(answered).toBe(false);
    server.respond({ ok: true });
    expect((await first).body).toContain('Signed in');
    server.respond({ ok: false, message: 'too late' });
    expect((await send(server, '/callback?code=the-code&state=the-state')).status).toBe(410);
    await server.close();
  });

  it('shows a failed sign-in as failed, escaped, with control and bidi characters shown escaped', async () => {
    const server = await start();
    const first = send(server, '/callback?code=the-code&state=the-state');
    await server.callback;
    server.respond({
      ok: false,
      message: 'The code exchange failed: invalid_grant (\u001b[31m<script>alert(1)</script> bad \u202ecode\u2066).',
    });
    const page = await first;
    expect(page.status).toBe(400);
    expect(page.body).toContain('Sign-in failed');
    expect(page.body).not.toContain('Signed in');
    expect(page.body).toContain('invalid_grant');
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toMatch(/[\u001b\u202e\u2066]/);
    expect(page.body).toContain('\\u202ecode');
    expect(page.body).toContain('&lt;script&gt;');
    await server.close();
  });

  it('an error callback is handed over like a code, for the login to show', async () => {
    const server = await start();
    const first = send(server, '/callback?error=access_denied&error_description=no&state=the-state');
    expect((await server.callback).get('error')).toBe('access_denied');
    await server.close();
    const page = await first;
    expect(page.body).toContain('Sign-in failed');
    expect(page.body).toContain('did not complete');
  });

  it('keeps the held page open past the request timeout (a slow code exchange is not a slow client)', async () => {
    const server = await start({ requestTimeoutMs: 200 });
    const first = send(server, '/callback?code=the-code&state=the-state');
    await server.callback;
    // Several of Node's connection checks (every 200 ms here) pass while the page is held.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    server.respond({ ok: true });
    expect(await first).toMatchObject({ status: 200, body: expect.stringContaining('Signed in') });
    await server.close();
  });

  it('refuses an oversized request line', async () => {
    const server = await start();
    const reply = await send(server, `/callback?state=the-state&code=${'x'.repeat(20_000)}`);
    expect(reply.status).toBe(431);
    await server.close();
  });

  it('drops a slow-loris connection and still accepts the real callback', async () => {
    const { connect } = await import('node:net');
    const server = await start({ requestTimeoutMs: 300 });
    const port = Number(new URL(server.redirectUri).port);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /callback?state=the-state HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      socket.on('close', () => resolve(Date.now() - started));
    });
    clearInterval(drip);
    expect(closedAfter).toBeLessThan(3000);
    const real = send(server, '/callback?code=after&state=the-state');
    expect((await server.callback).get('code')).toBe('after');
    server.respond({ ok: true });
    expect((await real).status).toBe(200);
    await server.close();
  });

  it('ends the wait at the timeout and on cancel', async () => {
    const timed = await start({ timeoutMs: 100 });
    await expect(timed.callback).rejects.toMatchObject({ code: 'LOGIN_TIMED_OUT', exitCode: 4 });
    await timed.close();
    const controller = new AbortController();
    const cancelled = await start({ signal: controller.signal });
    controller.abort();
    await expect(cancelled.callback).rejects.toMatchObject({ code: 'CANCELLED', exitCode: 130 });
    await cancelled.close();
  });

  it('a timeout longer than a timer can hold still waits (Node would turn it into 1 ms)', async () => {
    const server = await start({ timeoutMs: 2 ** 40 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = send(server, '/callback?code=late&state=the-state');
    expect((await server.callback).get('code')).toBe('late');
    server.respond({ ok: true });
    expect((await first).status).toBe(200);
    await server.close();
  });

  it('says which port is taken', async () => {
    const first = await start();
    const port = Number(new URL(first.redirectUri).port);
    await expect(start({ port })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
    await first.close();
  });
});
