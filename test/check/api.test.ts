// `oauth check --api` against small APIs written here (test/helpers/token-api.ts): one correct, one per mistake, one
// that refuses every token, one that accepts every token, and hostile ones that echo what they were sent.
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadState, publicJwk as publicPart } from '../../src/serve/state.js';
import { stateDir } from '../../src/settings/paths.js';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { raw, startServer, type TestServer } from '../helpers/server.js';
import { apiRoute, type ApiPolicy, type Mistake, tokenApi } from '../helpers/token-api.js';

const ISSUER = 'http://127.0.0.1:9400';
const AUDIENCE = 'http://127.0.0.1/api';
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let env: Record<string, string | undefined>;
let publicJwk: JWK;
let server: TestServer;
const received: string[] = [];

/** What each mistake must be named as, and nothing else. */
const EXPECTED: Record<Mistake, string[]> = {
  expired: ['api-accepts-expired'],
  'no-expiry': ['api-accepts-no-expiry'],
  nbf: ['api-accepts-not-yet-valid'],
  issuer: ['api-accepts-issuer-prefix', 'api-accepts-wrong-issuer'],
  'issuer-prefix': ['api-accepts-issuer-prefix'],
  audience: ['api-accepts-wrong-audience'],
  'no-audience': ['api-accepts-no-audience'],
  'alg-none': ['api-accepts-alg-none'],
  hs256: ['api-accepts-hs256-public-key'],
  'forged-signature': ['api-accepts-forged-signature'],
  'jwk-header': ['api-trusts-jwk-header'],
  'jku-header': ['api-fetches-header-url', 'api-trusts-jku-header'],
  'x5u-header': ['api-fetches-header-url'],
  typ: ['api-accepts-wrong-typ'],
  'id-token': ['api-accepts-id-token'],
  scope: ['api-accepts-missing-scope'],
  tenant: ['api-accepts-other-tenant'],
  query: ['api-accepts-query-token'],
  dpop: ['api-accepts-dpop-without-proof'],
};

const policy = (mistake?: Mistake): ApiPolicy => ({
  publicJwk,
  issuer: ISSUER,
  audience: AUDIENCE,
  clientId: 'oauth-cli',
  scope: 'orders:read',
  tenant: { claim: 'tid', value: 'acme' },
  ...(mistake ? { mistake } : {}),
});

beforeAll(async () => {
  env = sandboxEnv({ OAUTH_STORE: 'memory' });
  const { key } = await loadState(stateDir(env), undefined);
  publicJwk = publicPart(key);
  server = await startServer({});
  server.route('/correct', apiRoute(policy()));
  for (const mistake of Object.keys(EXPECTED) as Mistake[]) server.route(`/${mistake}`, apiRoute(policy(mistake)));
  // The dpop mistake's API says it does DPoP in its metadata: accepting a bound token without a proof is an error there.
  server.route(
    '/.well-known/oauth-protected-resource/dpop',
    raw(200, JSON.stringify({ resource: `${server.url}/dpop`, dpop_bound_access_tokens_required: true }), {
      'content-type': 'application/json',
    }),
  );
  // A plain bearer API that knows nothing of DPoP (RFC 9449 §7.1 lets it take a bound token as a bearer token).
  server.route('/dpop-plain', apiRoute(policy('dpop')));
  // The same API, advertising DPoP in its challenge instead.
  const dpopBlind = tokenApi(policy('dpop'));
  server.route('/dpop-challenge', async (request, response) => {
    const reply = await dpopBlind({ url: request.url ?? '/', authorization: request.headers.authorization });
    const headers = request.headers.authorization ? reply.headers : { 'www-authenticate': 'DPoP algs="ES256"' };
    response.writeHead(reply.status, headers).end(reply.body);
  });
  // Auth0-style issuer with a trailing slash, checked with startsWith.
  server.route('/slash-prefix', apiRoute({ ...policy('issuer-prefix'), issuer: `${ISSUER}/` }));
  // Accepts any token and answers with a body over the HTTP client's default cap (a big list endpoint).
  server.route('/big-any-token', (request, response) => {
    if (!request.headers.authorization) response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    else response.writeHead(200, { 'content-type': 'application/json' }).end(`[${'"order",'.repeat(200_000)}"x"]`);
  });
  // Accepts any token, but rate-limits every request after the first `after` of a run (?after=N&run=id).
  const counts = new Map<string, number>();
  server.route('/limited', (request, response) => {
    const query = new URL(request.url ?? '/', 'http://x').searchParams;
    const run = query.get('run') ?? '';
    const count = (counts.get(run) ?? 0) + 1;
    counts.set(run, count);
    if (count > Number(query.get('after'))) response.writeHead(Number(query.get('status') ?? 429)).end();
    else if (!request.headers.authorization) response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    else response.writeHead(200).end('{}');
  });
  // Echoes the token cut into 7-character pieces joined by commas: too short for the redactor to find.
  server.route('/echo-split', (request, response) => {
    const token = request.headers.authorization?.slice(7) ?? '';
    received.push(token);
    const pieces = token.match(/.{1,7}/g)?.join(',') ?? '';
    response
      .writeHead(401, { 'www-authenticate': `Bearer error="invalid_token", error_description="${pieces}"` })
      .end();
  });
  // The correct API behind a limiter that answers each request's first attempt 429 with Retry-After: 0.
  const seen = new Set<string>();
  server.route('/retry-after', async (request, response) => {
    const key = `${request.url} ${request.headers.authorization ?? ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      response.writeHead(429, { 'retry-after': '0' }).end();
      return;
    }
    const reply = await correct({ url: request.url ?? '/', authorization: request.headers.authorization });
    response.writeHead(reply.status, reply.headers).end(reply.body);
  });
  server.route('/open', raw(200, '{"orders":[]}', { 'content-type': 'application/json' }));
  server.route('/any-token', (request, response) => {
    if (!request.headers.authorization) response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    else response.writeHead(200).end('{}');
  });
  server.route(
    '/refuses-all',
    raw(401, '{"error":"invalid_token"}', { 'www-authenticate': 'Bearer error="invalid_token"' }),
  );
  // The correct API, but every refusal is a bare 500 and every 401 comes without a challenge.
  const correct = tokenApi(policy());
  server.route('/broken', async (request, response) => {
    const reply = await correct({ url: request.url ?? '/', authorization: request.headers.authorization });
    if (reply.status === 200) response.writeHead(200).end(reply.body);
    else response.writeHead(request.headers.authorization ? 500 : 401).end();
  });
  // Slow: never answers an unsigned token (the socket is destroyed when the server closes).
  server.route('/hangs-on-none', async (request, response) => {
    const token = request.headers.authorization?.slice(7) ?? '';
    if (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString() || '{}').alg === 'none') return;
    const reply = await correct({ url: request.url ?? '/', authorization: request.headers.authorization });
    response.writeHead(reply.status, reply.headers).end(reply.body);
  });
  // Hostile: echoes the header it got, and puts escape sequences in every string it sends.
  const hostile = (status: (authorization: string | undefined) => number) =>
    ((request, response) => {
      const authorization = request.headers.authorization;
      if (authorization) received.push(authorization.replace(/^Bearer /, ''));
      const token = new URL(request.url ?? '/', 'http://x').searchParams.get('access_token');
      if (token) received.push(token);
      response
        .writeHead(status(authorization), {
          'content-type': 'application/json',
          'www-authenticate': `Bearer error="invalid_token", error_description="\u009b31mred\u009d0;title\u0085 ${authorization ?? ''}"`,
        })
        .end(`{"echo":"${authorization ?? ''}","note":"\u001b[2J\u0000\u0007"}`);
    }) satisfies Parameters<TestServer['route']>[1];
  server.route(
    '/hostile-refuses',
    hostile((authorization) => (authorization ? 401 : 401)),
  );
  server.route(
    '/hostile-accepts',
    hostile((authorization) => (authorization ? 200 : 401)),
  );
});
afterAll(async () => {
  await server.close();
});

const check = async (path: string, ...args: string[]) => {
  const result = await runCli(['check', '--api', `${server.url}${path}`, ...args], { env });
  expect(result.stderr).not.toMatch(STACK_TRACE);
  return result;
};
const ids = (stdout: string): string[] =>
  [...new Set<string>(JSON.parse(stdout).findings.map((item: { id: string }) => item.id))].sort();
const strict = ['--scope', 'orders:read', '--claim', 'tid=acme', '--json'];

describe('oauth check --api', () => {
  it('reports nothing against a correct API, every case refused, and exits 0', async () => {
    const result = await check('/correct', ...strict);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.findings).toEqual([]);
    expect(report.valid).toEqual({ status: 200 });
    expect(report.unauthenticated.status).toBe(401);
    expect(report.skipped).toEqual([]);
    expect(report.cases.length).toBeGreaterThanOrEqual(19);
    expect(report.cases.filter((item: { accepted: boolean }) => item.accepted)).toEqual([]);
    expect(report.summary).toMatchObject({ error: 0, failed: false });
  });

  it('in words: each case refused, then nothing to report', async () => {
    const result = await check('/correct', '--scope', 'orders:read', '--claim', 'tid=acme');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ refused\s+401\s+expired/);
    expect(result.stdout).toMatch(/✓ refused\s+403\s+missing-scope/);
    expect(result.stdout).toContain('Nothing to report.');
  });

  for (const [mistake, expected] of Object.entries(EXPECTED)) {
    it(`names the mistake of an API that ${mistake === 'query' ? 'takes tokens from the query' : `skips the ${mistake} check`}, and exits 3`, async () => {
      const result = await check(`/${mistake}`, ...strict);
      expect(result.code, result.stderr).toBe(3);
      expect(ids(result.stdout)).toEqual(expected);
      const found = JSON.parse(result.stdout).findings[0];
      expect(found.spec).toMatch(/RFC/);
      expect(found.fix).not.toBe('');
    });
  }

  it('a DPoP-bound token taken as bearer: a warning from an API that does not advertise DPoP, an error from one that does', async () => {
    const plain = await check('/dpop-plain', ...strict);
    expect(plain.code, plain.stderr).toBe(0);
    const warned = JSON.parse(plain.stdout).findings;
    expect(warned).toMatchObject([{ id: 'api-accepts-dpop-without-proof', severity: 'warn' }]);
    expect(warned[0].message).toContain('does not advertise DPoP');
    expect(warned[0].fix).toContain('RFC 9449 §7.1');
    const challenged = await check('/dpop-challenge', ...strict);
    expect(challenged.code, challenged.stderr).toBe(3);
    expect(JSON.parse(challenged.stdout).findings).toMatchObject([
      { id: 'api-accepts-dpop-without-proof', severity: 'error', message: expect.stringContaining('DPoP scheme') },
    ]);
    const metadata = JSON.parse((await check('/dpop', ...strict)).stdout).findings[0];
    expect(metadata).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('dpop_bound_access_tokens_required'),
    });
  });

  it('an issuer with a trailing slash: the prefix token starts with it exactly and a startsWith API is caught', async () => {
    const result = await check('/slash-prefix', '--issuer', `${ISSUER}/`, ...strict);
    expect(result.code, result.stderr).toBe(3);
    expect(ids(result.stdout)).toEqual(['api-accepts-issuer-prefix']);
    expect(JSON.parse(result.stdout).findings[0].message).toContain(`iss is ${ISSUER}/attacker.example/`);
  });

  it('names the case, the RFC, the status and the token shape in words, never the token', async () => {
    const result = await check('/expired', '--scope', 'orders:read', '--claim', 'tid=acme');
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/✗ accepted\s+200\s+expired/);
    expect(result.stdout).toContain('api-accepts-expired');
    expect(result.stdout).toContain('RFC 9068 §4, RFC 7519 §4.1.4');
    expect(result.stdout).toContain('exp is an hour in the past');
    const json = await check('/expired', ...strict);
    const evidence = JSON.parse(json.stdout).findings[0].evidence;
    expect(evidence.status).toBe(200);
    expect(evidence.token.header).toMatchObject({ typ: 'at+jwt', alg: publicJwk.alg, kid: publicJwk.kid });
    expect(evidence.token.claims).toEqual(expect.arrayContaining(['iss', 'aud', 'exp', 'scope', 'tid']));
    expect(JSON.stringify(evidence)).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it('skips the scope and tenant cases without --scope and a tenant claim, and says so', async () => {
    const loose = await startServer({});
    loose.route('/api', apiRoute({ ...policy(), scope: undefined, tenant: undefined } as ApiPolicy));
    const result = await runCli(['check', '--api', `${loose.url}/api`, '--json'], { env });
    await loose.close();
    expect(result.code, result.stderr).toBe(0);
    const skipped = JSON.parse(result.stdout).skipped.map((item: { name: string }) => item.name);
    expect(skipped).toEqual(['missing-scope', 'other-tenant']);
  });

  it('is inconclusive (exit 5) when the API refuses the valid token, with what it answered and a hint', async () => {
    const result = await check('/refuses-all');
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('CHECK_INCONCLUSIVE');
    expect(result.stderr).toContain('HTTP 401');
    expect(result.stderr).toContain('invalid_token');
    expect(result.stderr).toMatch(/hint:.*aud http:\/\/127\.0\.0\.1\/api \(the default\)/);
    const json = await check('/refuses-all', '--json');
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'CHECK_INCONCLUSIVE', details: { status: 401 } });
    // The report still reaches stdout, so a script can read its summary.
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ valid: { status: 401 }, cases: [], findings: [] });
    expect(report.summary).toMatchObject({ failed: false, inconclusive: true });
    expect(report).not.toHaveProperty('refusal');
  });

  it('says a 404 or 405 for the valid token is about the URL or method, not the issuer or audience', async () => {
    const missing = await check('/no-such-route');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('HTTP 404');
    expect(missing.stderr).toContain(`there is no ${server.url}/no-such-route`);
    expect(missing.stderr).toContain('--lax-api');
    expect(missing.stderr).not.toMatch(/hint:.*audience/);
  });

  it('with a wrong --audience the correct API refuses the valid token: inconclusive', async () => {
    const result = await check('/correct', '--audience', 'https://other.example', ...strict);
    expect(result.code).toBe(5);
  });

  it('an API that answers without any token is unprotected: one finding, no token sent, exit 3', async () => {
    const result = await check('/open', '--json');
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(ids(result.stdout)).toEqual(['api-unprotected']);
    expect(report.cases).toEqual([]);
  });

  it('an API that accepts any bearer token gets a finding for every case', async () => {
    const result = await check('/any-token', ...strict);
    expect(result.code).toBe(3);
    const found = ids(result.stdout);
    // Every token in the Authorization header; the one in the query string is no bearer token to this API.
    expect(found.length).toBe(18);
    expect(found).toEqual(expect.arrayContaining(['api-accepts-alg-none', 'api-accepts-expired']));
    expect(found).not.toContain('api-accepts-query-token');
  });

  it('a success body over 1 MiB does not end the run: only the status decides, and the flaw is found', async () => {
    const result = await check('/big-any-token', ...strict);
    expect(result.code, result.stderr).toBe(3);
    expect(ids(result.stdout)).toContain('api-accepts-alg-none');
  });

  it('a refusal by a 5xx and a 401 without a challenge are warnings, not failures', async () => {
    const result = await check('/broken', ...strict);
    // Accepts the valid token only (the first it was sent): every other case is a 500.
    expect(result.code, result.stderr).toBe(0);
    expect(ids(result.stdout)).toEqual(['api-401-without-challenge', 'api-refuses-with-server-error']);
    const failing = await check('/broken', '--fail-on', 'warn', ...strict);
    expect(failing.code).toBe(3);
  });

  it('a bad token the API never answers decides nothing: the run goes on, then is inconclusive (exit 5)', async () => {
    const result = await check('/hangs-on-none', '--timeout', '1', ...strict);
    expect(result.code, result.stderr).toBe(5);
    const report = JSON.parse(result.stdout);
    expect(report.cases.find((item: { name: string }) => item.name === 'alg-none')).toMatchObject({
      status: null,
      accepted: false,
      undecided: expect.stringContaining('no answer'),
    });
    expect(report.cases.filter((item: { undecided?: string }) => item.undecided).length).toBe(1);
    expect(report.summary).toMatchObject({ failed: false, inconclusive: true });
    expect(JSON.parse(result.stderr).error).toMatchObject({
      code: 'CHECK_INCONCLUSIVE',
      details: { undecided: [{ name: 'alg-none' }] },
    });
  });

  it('an API that rate-limits after the valid token: no case decided, inconclusive (exit 5) naming each and why', async () => {
    const result = await check('/limited?after=2&run=a', '--scope', 'orders:read', '--claim', 'tid=acme');
    expect(result.code, result.stderr).toBe(5);
    expect(result.stdout).not.toContain('Nothing to report');
    expect(result.stdout).toMatch(/\? undecided\s+429\s+expired/);
    expect(result.stderr).toContain('CHECK_INCONCLUSIVE');
    expect(result.stderr).toMatch(/19 of 19 cases could not be decided.*expired \(HTTP 429, rate-limited\)/);
    for (const status of ['503', '502', '504', '408']) {
      const json = await check(`/limited?after=2&run=s${status}&status=${status}`, ...strict);
      expect(json.code, json.stderr).toBe(5);
    }
  });

  it('honours Retry-After once, within the timeout: a limiter that asks to wait decides every case', async () => {
    const result = await check('/retry-after', ...strict);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ findings: [], undecided: [] });
  });

  it('a finding beats inconclusive: a bad token accepted before the rate limit still fails the run (exit 3)', async () => {
    const result = await check('/limited?after=3&run=b', ...strict);
    expect(result.code, result.stderr).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(ids(result.stdout)).toEqual(['api-accepts-expired']);
    expect(report.undecided.length).toBe(18);
  });

  it('a rate-limited valid token: inconclusive, and the hint says rate-limiting, not the issuer', async () => {
    const result = await check('/limited?after=1&run=c');
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('HTTP 429');
    expect(result.stderr).toMatch(/hint:.*rate-limiting or unavailable/);
    expect(result.stderr).not.toContain('configured to trust the issuer');
  });

  it('a hostile API that echoes the token and sends escape sequences: no token printed, no control character', async () => {
    for (const [path, code] of [
      ['/hostile-refuses', 5],
      ['/hostile-accepts', 3],
    ] as const) {
      for (const extra of [[], ['--json'], ['-vv']]) {
        received.length = 0;
        const result = await check(path, ...extra);
        expect(result.code, result.stderr).toBe(code);
        expect(received.length).toBeGreaterThan(0);
        for (const token of received) {
          expect(result.stdout + result.stderr).not.toContain(token);
          expect(result.stdout + result.stderr).not.toContain(token.split('.')[2] || token);
        }
        expect(result.stdout + result.stderr).not.toMatch(CONTROL);
      }
    }
  });

  it('an API that echoes the token in short pieces: never printed whole, in the error details or the trace', async () => {
    for (const extra of [['--json'], ['-vv'], ['--json', '-vv']]) {
      received.length = 0;
      const result = await check('/echo-split', ...extra);
      expect(result.code, result.stderr).toBe(5);
      const printed = (result.stdout + result.stderr).replaceAll(',', '');
      expect(received.length).toBeGreaterThan(0);
      for (const token of received) expect(printed).not.toContain(token.split('.')[2]);
    }
  });

  it('refuses bad flags with exit 2', async () => {
    expect((await runCli(['check', '--api', 'ftp://127.0.0.1/x'], { env })).code).toBe(2);
    expect((await runCli(['check', '--api', 'not a url'], { env })).code).toBe(2);
    expect((await runCli(['check', '--api', 'http://api.example.com/orders'], { env })).code).toBe(2);
    expect((await runCli(['check', '--api', `${server.url}/correct`, '--probe'], { env })).code).toBe(2);
    expect((await runCli(['check', '--audience', 'x', '--issuer', ISSUER], { env })).code).toBe(2);
    expect((await runCli(['check', '--api', `${server.url}/correct`, '--claim', 'novalue'], { env })).code).toBe(2);
    const lifetime = await runCli(['check', '--api', `${server.url}/correct`, '--max-token-lifetime', '60'], { env });
    expect(lifetime.code).toBe(2);
    expect(lifetime.stderr).toContain('--max-token-lifetime');
    for (const claim of ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'scope', 'client_id']) {
      const result = await runCli(['check', '--api', `${server.url}/correct`, '--claim', `${claim}=1`], { env });
      expect(result.code, claim).toBe(2);
      expect(result.stderr).toContain(`--claim ${claim} `);
    }
  });
});
