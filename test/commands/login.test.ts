// What the browser is told at the end of `oauth login`: "signed in" only once the tokens are exchanged, checked and
// stored; the failure otherwise; and 410 Gone for any callback after the first. The browser here follows the hostile
// server's /authorize redirect to the loopback callback and keeps the page it gets.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-as.js';

const PAGE_BROWSER = join(import.meta.dirname, '..', 'helpers', 'page-browser.mjs');

let hostile: HostileServer;
beforeAll(async () => {
  hostile = await startHostileServer();
});
afterAll(() => hostile.close());

interface Page {
  status: number;
  body: string;
}

/** The page the browser wrote; it may finish writing a moment after the run ended. */
async function pageIn(file: string): Promise<Page> {
  for (let wait = 0; wait < 100 && !existsSync(file); wait++) await new Promise((resolve) => setTimeout(resolve, 50));
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Runs `oauth login` in-process with a browser that loads the sign-in URL and records the page it ends on. */
async function login(...extra: string[]) {
  const env = sandboxEnv({ OAUTH_STORE: 'memory', BROWSER: PAGE_BROWSER, PATH: process.env.PATH });
  const pageFile = join(env.HOME!, 'page.json');
  const args = ['login', '--issuer', hostile.issuer, '--client-id', 'cli', '--scope', 'openid'];
  const result = await runCli([...args, '--login-timeout', '10', ...extra], {
    env: { ...env, BROWSER_PAGE_FILE: pageFile },
  });
  return { ...result, page: await pageIn(pageFile) };
}

const callbackUrl = () => {
  const url = new URL(hostile.last.redirectUri!);
  url.search = new URLSearchParams({
    code: 'hostile-code-0123456789',
    state: hostile.last.state!,
    iss: hostile.issuer,
  }).toString();
  return url.href;
};

function tokenResponse(extra: Record<string, unknown> = {}) {
  return async (idToken: string | undefined) =>
    JSON.stringify({
      access_token: 'hostile-access-token-0123456789',
      token_type: 'Bearer',
      expires_in: 300,
      ...(idToken ? { id_token: idToken } : {}),
      ...extra,
    });
}

describe('the page the browser ends on', () => {
  it('says "Signed in" only after the code exchange, and a callback replayed meanwhile gets 410 Gone', async () => {
    const replays: number[] = [];
    const body = tokenResponse();
    hostile.token(async (_request, response) => {
      // The same callback again, while the first one's exchange is still running.
      replays.push((await fetch(callbackUrl())).status);
      replays.push((await fetch(callbackUrl().replace(/state=[^&]+/, 'state=forged'))).status);
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(await body(await hostile.idToken()));
    });
    const result = await login();
    expect(result.code, result.stderr).toBe(0);
    expect(replays).toEqual([410, 410]);
    expect(result.page.status).toBe(200);
    expect(result.page.body).toContain('<h1>Signed in</h1>');
  });

  it('shows the failure when the token endpoint refuses the code, redacted like the terminal', async () => {
    let verifier = '';
    hostile.token(async (request, response) => {
      let form = '';
      for await (const chunk of request) form += chunk;
      verifier = new URLSearchParams(form).get('code_verifier')!;
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_grant', error_description: `bad verifier ${verifier}` }));
    });
    const result = await login();
    expect(result.code).toBe(5);
    expect(result.page.status).toBe(400);
    expect(result.page.body).toContain('<h1>Sign-in failed</h1>');
    expect(result.page.body).toContain('invalid_grant');
    expect(result.page.body).not.toContain('Signed in');
    expect(verifier).toMatch(/^[\w-]{43}$/);
    expect(result.page.body).not.toContain(verifier);
  });

  it('shows the failure when the exchange succeeds but the ID token does not verify', async () => {
    const body = tokenResponse();
    hostile.token(async (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(await body(await hostile.idToken({ aud: 'someone-else' })));
    });
    const result = await login();
    expect(result.code).toBe(3);
    expect(result.page.body).toContain('<h1>Sign-in failed</h1>');
    expect(result.page.body).not.toContain('Signed in');
  });

  it('shows an error the server sent to the callback as a failed sign-in', async () => {
    hostile.callbackExtras = { code: null, error: 'access_denied', error_description: 'the user said no' };
    try {
      const result = await login();
      expect(result.code).toBe(4);
      expect(result.page.body).toContain('<h1>Sign-in failed</h1>');
      expect(result.page.body).toContain('access_denied');
    } finally {
      hostile.callbackExtras = {};
    }
  });
});

describe('while it waits', () => {
  it('names the callback address it waits on, not the authorization server', async () => {
    const body = tokenResponse();
    hostile.token(async (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(await body(await hostile.idToken()));
    });
    const result = await login('--port', '0');
    expect(result.code, result.stderr).toBe(0);
    const redirectUri = hostile.last.redirectUri!;
    expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(result.stderr).toContain(`Waiting for the browser to come back to ${redirectUri} (Ctrl-C to cancel)…`);
    expect(result.stderr).not.toContain(`Waiting for the sign-in at ${new URL(hostile.issuer).host}`);
  });
});

describe('flags are checked before any request', () => {
  it('refuses a port or redirect URI it cannot listen on, exit 2, without asking the server anything', async () => {
    for (const flags of [
      ['--port', '99999'],
      ['--port', 'eighty'],
      ['--redirect-uri', 'https://127.0.0.1/cb'],
      ['--redirect-uri', 'http://example.com/cb'],
    ]) {
      // An issuer nothing answers for: reaching it would be exit 5, not the usage error expected here.
      const result = await runCli(['login', '--issuer', 'https://id.example.invalid', '--client-id', 'cli', ...flags], {
        env: sandboxEnv({ OAUTH_STORE: 'memory' }),
      });
      expect(result.code, `${flags.join(' ')}\n${result.stderr}`).toBe(2);
      expect(result.stderr, flags.join(' ')).toContain(`error[USAGE]: ${flags[0]} must be`);
    }
  });
});
