// `oauth login` with the authorization request's modern shapes against a server that misbehaves on purpose: PAR
// (RFC 9126), request objects (RFC 9101), JARM and RAR (RFC 9396). What a real server does is in test/e2e.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { type AuthzServer, startAuthzServer } from '../helpers/authz-as.js';

const PAGE_BROWSER = join(import.meta.dirname, '..', 'helpers', 'page-browser.mjs');
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let as: AuthzServer;
let exchanges: URLSearchParams[];
beforeAll(async () => {
  as = await startAuthzServer();
});
afterAll(() => as.close());
beforeEach(() => {
  exchanges = [];
  as.pushed.length = 0;
  as.authorizeQueries.length = 0;
  as.requestObjects.length = 0;
  as.jarm = {};
  as.token(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    exchanges.push(new URLSearchParams(body));
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
      JSON.stringify({
        access_token: 'authz-access-token-0123456789',
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await as.idToken(),
        authorization_details: [{ type: 'payment_initiation', actions: ['initiate'], granted: true }],
      }),
    );
  });
});

async function login(...extra: string[]) {
  const env = sandboxEnv({ OAUTH_STORE: 'memory', BROWSER: PAGE_BROWSER, PATH: process.env.PATH });
  const pageFile = join(env.HOME!, 'page.json');
  const args = ['login', '--issuer', as.issuer, '--client-id', 'cli', '--scope', 'openid', '--login-timeout', '10'];
  const result = await runCli([...args, ...extra], { env: { ...env, BROWSER_PAGE_FILE: pageFile } });
  for (let wait = 0; wait < 100 && result.code === 0 && !existsSync(pageFile); wait++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const page = existsSync(pageFile)
    ? (JSON.parse(readFileSync(pageFile, 'utf8')) as { status: number; body: string })
    : undefined;
  return { ...result, page, home: env.HOME! };
}

async function keyFile(dir: string): Promise<string> {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const file = join(dir, 'client.jwk');
  writeFileSync(file, JSON.stringify({ ...(await jose.exportJWK(privateKey)), kid: 'client-1' }));
  return file;
}

describe('PAR (RFC 9126)', () => {
  it('--par pushes the request; the browser gets only client_id and request_uri', async () => {
    const result = await login('--par');
    expect(result.code, result.stderr).toBe(0);
    expect(as.pushed).toHaveLength(1);
    expect(as.pushed[0]).toMatchObject({ client_id: 'cli', response_type: 'code', code_challenge_method: 'S256' });
    expect([...as.authorizeQueries[0]!.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(exchanges).toHaveLength(1);
  });

  it.each([
    ['201 without request_uri', 201, JSON.stringify({ expires_in: 60 }), /no request_uri|request_uri/],
    ['a non-string request_uri', 201, JSON.stringify({ request_uri: 42, expires_in: 60 }), /request_uri/],
    [
      'control characters in request_uri',
      201,
      JSON.stringify({ request_uri: 'urn:x\u001b[31m\nLocation: evil', expires_in: 60 }),
      /request_uri/,
    ],
    ['an absurd expires_in', 201, JSON.stringify({ request_uri: 'urn:x:1', expires_in: 1e12 }), /expires_in/],
    ['a negative expires_in', 201, JSON.stringify({ request_uri: 'urn:x:1', expires_in: -5 }), /expires_in/],
    ['an empty-bodied 400', 400, '', /HTTP 400/],
    [
      'an error with control characters',
      400,
      JSON.stringify({ error: 'invalid_request', error_description: 'no\u001b]0;pwned\u0007 way\r\nX: y' }),
      /invalid_request/,
    ],
  ])('refuses %s: exit 5, clear message, no browser opened', async (_name, status, body, message) => {
    as.par((_request, response) => {
      response.writeHead(status, body ? { 'content-type': 'application/json' } : {}).end(body);
    });
    try {
      const result = await login('--par');
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('pushed authorization request');
      expect(result.stderr).not.toContain('Open this URL');
      expect(result.stderr + result.stdout).not.toMatch(CONTROL);
      expect(as.authorizeQueries).toHaveLength(0);
      expect(exchanges).toHaveLength(0);
    } finally {
      as.par();
    }
  });
});

describe('PAR at an echoing server', () => {
  it('redacts the client secret a refusal echoes back, and authenticates the push as at the token endpoint', async () => {
    const secret = 'par-client-secret-0123456789abcdef';
    let authorization = '';
    as.par((request, response) => {
      authorization = request.headers.authorization ?? '';
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_client', error_description: `you sent ${authorization} = ${secret}` }));
    });
    try {
      const env = sandboxEnv({
        OAUTH_STORE: 'memory',
        BROWSER: PAGE_BROWSER,
        PATH: process.env.PATH,
        OAUTH_CLIENT_SECRET: secret,
      });
      const result = await runCli(['login', '--issuer', as.issuer, '--client-id', 'cli', '--par', '-v'], { env });
      expect(result.code).toBe(5);
      expect(authorization).toMatch(/^Basic /);
      expect(result.stderr).toContain('invalid_client');
      expect(result.stderr + result.stdout).not.toContain(secret);
      expect(result.stderr + result.stdout).not.toContain(authorization.slice(6));
      expect(result.stderr).not.toContain('Open this URL');
    } finally {
      as.par();
    }
  });
});

describe('PAR where the server has none', () => {
  it('--par at a server without a PAR endpoint is a usage error (exit 2) before the browser', async () => {
    const plain = await startAuthzServer({ pushed_authorization_request_endpoint: undefined });
    try {
      const env = sandboxEnv({ OAUTH_STORE: 'memory', BROWSER: PAGE_BROWSER, PATH: process.env.PATH });
      const result = await runCli(['login', '--issuer', plain.issuer, '--client-id', 'cli', '--par'], { env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('does not advertise a pushed authorization request endpoint');
      expect(result.stderr).not.toContain('Open this URL');
    } finally {
      await plain.close();
    }
  });

  it('a server requiring PAR without a PAR endpoint contradicts itself: exit 5', async () => {
    const broken = await startAuthzServer({
      require_pushed_authorization_requests: true,
      pushed_authorization_request_endpoint: undefined,
    });
    try {
      const env = sandboxEnv({ OAUTH_STORE: 'memory', BROWSER: PAGE_BROWSER, PATH: process.env.PATH });
      const result = await runCli(['login', '--issuer', broken.issuer, '--client-id', 'cli'], { env });
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toContain('requires pushed authorization requests but advertises no');
      expect(result.stderr).not.toContain('Open this URL');
    } finally {
      await broken.close();
    }
  });

  it('pushes on its own, saying so in one line, when the metadata requires it', async () => {
    const strict = await startAuthzServer({ require_pushed_authorization_requests: true });
    strict.token(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          access_token: 'strict-access-token-0123456789',
          token_type: 'Bearer',
          expires_in: 300,
          id_token: await strict.idToken(),
        }),
      );
    });
    try {
      const env = sandboxEnv({ OAUTH_STORE: 'memory', BROWSER: PAGE_BROWSER, PATH: process.env.PATH });
      const pageFile = join(env.HOME!, 'page.json');
      const args = ['login', '--issuer', strict.issuer, '--client-id', 'cli', '--scope', 'openid'];
      const result = await runCli(args, { env: { ...env, BROWSER_PAGE_FILE: pageFile } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('requires pushed authorization requests (RFC 9126): pushing the request first.');
      expect(strict.pushed).toHaveLength(1);
      expect([...strict.authorizeQueries[0]!.keys()].sort()).toEqual(['client_id', 'request_uri']);
    } finally {
      await strict.close();
    }
  });
});

describe('request objects (RFC 9101)', () => {
  it('--request-object signs the request as oauth-authz-req+jwt with --private-key; the browser gets client_id and request', async () => {
    const env = sandboxEnv();
    const key = await keyFile(env.HOME!);
    const result = await login('--request-object', '--private-key', key, '--auth-method', 'none');
    expect(result.code, result.stderr).toBe(0);
    expect([...as.authorizeQueries[0]!.keys()].sort()).toEqual(['client_id', 'request']);
    const [object] = as.requestObjects;
    expect(object!.header).toMatchObject({ typ: 'oauth-authz-req+jwt', alg: 'ES256', kid: 'client-1' });
    expect(object!.claims).toMatchObject({ iss: 'cli', aud: as.issuer, client_id: 'cli', response_type: 'code' });
    expect(object!.claims.code_verifier).toBeUndefined();
    // The public client still authenticates as none at the token endpoint: the key only signed the request.
    expect(exchanges[0]!.get('client_assertion')).toBeNull();
  });

  it('with --par the request object is pushed, and the browser gets request_uri', async () => {
    const env = sandboxEnv();
    const key = await keyFile(env.HOME!);
    const result = await login('--request-object', '--private-key', key, '--par');
    expect(result.code, result.stderr).toBe(0);
    expect(as.requestObjects).toHaveLength(1);
    expect([...as.authorizeQueries[0]!.keys()].sort()).toEqual(['client_id', 'request_uri']);
  });

  it('a key whose algorithm the server does not list: exit 2 before the browser, naming what it takes', async () => {
    const picky = await startAuthzServer({ request_object_signing_alg_values_supported: ['RS256', 'PS256'] });
    try {
      const env = sandboxEnv({ OAUTH_STORE: 'memory', BROWSER: PAGE_BROWSER, PATH: process.env.PATH });
      const key = await keyFile(env.HOME!);
      const args = ['login', '--issuer', picky.issuer, '--client-id', 'cli', '--scope', 'openid'];
      const result = await runCli([...args, '--request-object', '--private-key', key], {
        env: { ...env, BROWSER_PAGE_FILE: join(env.HOME!, 'page.json') },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('does not take request objects signed with ES256');
      expect(result.stderr).toContain('It takes RS256, PS256');
      expect(picky.authorizeQueries).toHaveLength(0);
      expect(existsSync(join(env.HOME!, 'page.json'))).toBe(false);
    } finally {
      await picky.close();
    }
  });

  it('without a key is a usage error naming --private-key (exit 2)', async () => {
    const result = await login('--request-object');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--private-key');
    expect(as.authorizeQueries).toHaveLength(0);
  });
});

describe('JARM', () => {
  it.each(['jwt', 'query.jwt', 'form_post.jwt'])(
    '--response-mode %s: the response JWT is verified, then its code exchanged',
    async (mode) => {
      const result = await login('--response-mode', mode);
      expect(result.code, result.stderr).toBe(0);
      expect(as.authorizeQueries[0]!.get('response_mode')).toBe(mode);
      expect(exchanges).toHaveLength(1);
      expect(exchanges[0]!.get('code')).toBe('hostile-code-0123456789');
      expect(result.page?.body).toContain('Signed in');
    },
  );

  it.each([
    [
      'signed by another key',
      async () => ({ signWith: (await jose.generateKeyPair('RS256')).privateKey, kid: 'hostile-1' }),
    ],
    [
      'signed by a key the server does not have',
      async () => ({ signWith: (await jose.generateKeyPair('RS256')).privateKey, kid: 'other' }),
    ],
    ['from another issuer', async () => ({ claims: { iss: 'https://evil.example' } })],
    ['for another client', async () => ({ claims: { aud: 'someone-else' } })],
    ['expired', async () => ({ claims: { exp: Math.floor(Date.now() / 1000) - 3600 } })],
  ])('refuses a response %s: exit 3, no code exchange', async (_name, jarm) => {
    as.jarm = await jarm();
    const result = await login('--response-mode', 'jwt');
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('JARM');
    expect(exchanges).toHaveLength(0);
    expect(result.stderr + result.stdout).not.toContain('hostile-code-0123456789');
  });

  it('an error inside a good JARM response is said escaped, exit 4, no code exchange', async () => {
    as.jarm = {
      claims: {
        code: undefined,
        error: 'access_denied',
        error_description: 'no\u001b[2J\u009b31m way\r\nSet-Cookie: x',
      },
    };
    const result = await login('--response-mode', 'query.jwt');
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('access_denied');
    expect(result.stderr + result.stdout).not.toMatch(CONTROL);
    expect(result.page?.body ?? '').not.toMatch(CONTROL);
    expect(exchanges).toHaveLength(0);
  });

  it('refuses fragment.jwt as a usage error: a fragment never reaches the loopback server', async () => {
    const result = await login('--response-mode', 'fragment.jwt');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('fragment never reaches the loopback callback server');
  });

  it('warns when the metadata does not list the mode', async () => {
    const narrow = await startAuthzServer({ response_modes_supported: ['query'] });
    try {
      const env = sandboxEnv({ OAUTH_STORE: 'memory', BROWSER: 'true', PATH: process.env.PATH });
      const result = await runCli(
        ['login', '--issuer', narrow.issuer, '--client-id', 'cli', '--response-mode', 'jwt', '--login-timeout', '1'],
        { env },
      );
      expect(result.stderr).toContain('does not list response mode jwt in response_modes_supported');
    } finally {
      await narrow.close();
    }
  });
});

describe('RAR (RFC 9396)', () => {
  const details =
    '[{"type":"payment_initiation","actions":["initiate"],"instructedAmount":{"currency":"EUR","amount":"12.00"}}]';

  it('sends authorization_details and shows the granted ones', async () => {
    const result = await login('--authorization-details', details, '--par');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(as.pushed[0]!.authorization_details!)).toEqual(JSON.parse(details));
    expect(result.stdout).toContain('payment_initiation (initiate)');
  });

  it('stores the granted details with the session; status shows them', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'file', BROWSER: PAGE_BROWSER, PATH: process.env.PATH });
    const pageFile = join(env.HOME!, 'page.json');
    const args = ['login', '--issuer', as.issuer, '--client-id', 'cli', '--scope', 'openid'];
    const signedIn = await runCli([...args, '--authorization-details', details], {
      env: { ...env, BROWSER_PAGE_FILE: pageFile },
    });
    expect(signedIn.code, signedIn.stderr).toBe(0);
    const status = await runCli(['status'], { env });
    expect(status.stdout).toContain('authorization details payment_initiation (initiate)');
    const statusJson = JSON.parse((await runCli(['status', '--json'], { env })).stdout);
    expect(statusJson.profiles[0].session.authorization_details).toEqual([
      { type: 'payment_initiation', actions: ['initiate'], granted: true },
    ]);
  });

  it('reads @file', async () => {
    const env = sandboxEnv();
    const file = join(env.HOME!, 'details.json');
    writeFileSync(file, details);
    const result = await login('--authorization-details', `@${file}`);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(as.authorizeQueries[0]!.get('authorization_details')!)).toEqual(JSON.parse(details));
  });

  it.each([
    ['{"type":"x"}', 'not a JSON array'],
    ['[]', 'empty array'],
    ['[{"actions":[]}]', 'item 0 has no "type"'],
    ['[{"type":5}]', 'item 0 has a "type" that is'],
    ['["x"]', 'item 0 is a string'],
    ['[{', 'not valid JSON'],
  ])('refuses %s before any request (exit 2)', async (value, problem) => {
    const result = await login('--authorization-details', value);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(problem);
    expect(as.authorizeQueries).toHaveLength(0);
  });
});
