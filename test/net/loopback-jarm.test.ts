// The callback server for JARM response modes: a `response` JWT (its state is inside it, for the verifier), and
// form_post.jwt's POST, bounded and only as a form.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type CallbackServer, startCallbackServer } from '../../src/net/loopback.js';

function post(server: CallbackServer, body: string | Buffer, type = 'application/x-www-form-urlencoded') {
  const url = new URL(server.redirectUri);
  return new Promise<{ status: number; body: string }>((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { host: url.host, 'content-type': type },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    // The server may stop reading a body that is too large: its answer is what counts.
    req.on('error', () => resolve({ status: -1, body: '' }));
    req.end(body);
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

describe('JARM callbacks', () => {
  it('holds a query callback with one "response" and no state, for the verifier', async () => {
    const server = await start({ jwtResponse: true });
    const reply = fetch(`${server.redirectUri}?response=a.b.c`);
    expect((await server.callback).get('response')).toBe('a.b.c');
    server.respond({ ok: true });
    expect((await reply).status).toBe(200);
    await server.close();
  });

  it('without JARM a "response" alone is no callback (no state)', async () => {
    const server = await start();
    expect((await fetch(`${server.redirectUri}?response=a.b.c`)).status).toBe(400);
    await server.close();
  });

  it('refuses two "response" parameters', async () => {
    const server = await start({ jwtResponse: true });
    expect((await fetch(`${server.redirectUri}?response=a&response=b`)).status).toBe(400);
    await server.close();
  });
});

describe('form_post callbacks', () => {
  it('accepts a form POST at the callback path', async () => {
    const server = await start({ jwtResponse: true, formPost: true });
    const reply = post(server, 'response=x.y.z');
    expect((await server.callback).get('response')).toBe('x.y.z');
    server.respond({ ok: true });
    expect((await reply).status).toBe(200);
    await server.close();
  });

  it('refuses a POST that is not a form, a form too large, duplicated parameters; then takes the good one', async () => {
    const refused: string[] = [];
    const server = await start({ jwtResponse: true, formPost: true, onRefused: (reason) => refused.push(reason) });
    expect((await post(server, '{"response":"x"}', 'application/json')).status).toBe(400);
    const large = await post(server, `response=${'a'.repeat(100 * 1024)}`);
    expect(large.status === 400 || large.status === -1).toBe(true);
    expect((await post(server, 'response=a&response=b')).status).toBe(400);
    expect(refused.join('\n')).toMatch(/application\/json/);
    expect(refused.join('\n')).toMatch(/more than 65536 bytes/);
    expect(refused.join('\n')).toMatch(/duplicated "response"/);
    const reply = post(server, 'response=good');
    expect((await server.callback).get('response')).toBe('good');
    server.respond({ ok: true });
    expect((await reply).status).toBe(200);
    await server.close();
  });

  it('a POST is still 405 when the mode is not form_post', async () => {
    const server = await start({ jwtResponse: true });
    expect((await post(server, 'response=x')).status).toBe(405);
    await server.close();
  });
});
