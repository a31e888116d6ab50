// The call flow on its own: fake API answers and metadata, a recorded sign-in, no network.
import { describe, expect, it } from 'vitest';
import type { CachedResponse, DocumentCache } from '../../src/net/http-cache.js';
import type { HttpRequest, HttpResponse } from '../../src/net/http.js';
import {
  type AccessToken,
  callResource,
  type ResourceCallDeps,
  type SignInPlan,
} from '../../src/oauth/resource-call.js';

const API = new URL('https://api.example/orders');
const METADATA_URL = 'https://api.example/.well-known/oauth-protected-resource/orders';

function answer(status: number, headers: Record<string, string> = {}, body = ''): HttpResponse {
  return { url: API.href, status, headers, body: Buffer.from(body), elapsedMs: 1 };
}

function documents(metadata: Record<string, unknown> | undefined): DocumentCache {
  return {
    async get(url): Promise<CachedResponse> {
      const found = url === METADATA_URL && metadata;
      return {
        url,
        status: found ? 200 : 404,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(found ? JSON.stringify(metadata) : ''),
        elapsedMs: 1,
        fromCache: false,
        fetchedAt: 0,
      };
    },
    async forget() {},
  };
}

interface World {
  deps: ResourceCallDeps;
  sent: HttpRequest[];
  plans: SignInPlan[];
}

/** The API answers in turn from `answers`; a sign-in gives `after` as the token. */
function world(options: {
  answers: HttpResponse[];
  token?: AccessToken;
  after?: AccessToken;
  metadata?: Record<string, unknown>;
  signIn?: boolean;
  choose?: string;
}): World {
  const sent: HttpRequest[] = [];
  const plans: SignInPlan[] = [];
  let token = options.token;
  const deps: ResourceCallDeps = {
    http: async () => ({
      async request(request) {
        sent.push(request);
        const next = options.answers.shift();
        if (!next) throw new Error('the API was called more often than the test expects');
        return next;
      },
      async close() {},
    }),
    documents: async () => documents(options.metadata),
    insecure: false,
    token: async () => token,
    signIn: async (plan) => {
      plans.push(plan);
      if (options.signIn === false) return false;
      token = options.after;
      return true;
    },
    chooseServer: async () => options.choose,
    note: () => undefined,
  };
  return { deps, sent, plans };
}

const TOKEN: AccessToken = { value: 'old', type: 'bearer', issuer: 'https://as.one', scope: 'a', resource: [] };
const NEW: AccessToken = { value: 'new', type: 'Bearer', issuer: 'https://as.one', scope: 'a b', resource: [] };
const REQUEST = { url: API, method: 'GET', headers: {}, maxBytes: 1000 };
const CHALLENGE = { 'www-authenticate': `Bearer resource_metadata="${METADATA_URL}", scope="b"` };

describe('callResource', () => {
  it('sends the token as a Bearer header and nothing else, once, on a 2xx', async () => {
    const { deps, sent } = world({ answers: [answer(200)], token: TOKEN });
    const result = await callResource(REQUEST, { discover: false }, deps);
    expect(result.outcome).toBe('ok');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers).toEqual({ authorization: 'Bearer old' });
    expect(String(sent[0]!.url)).toBe(API.href);
  });

  it('leaves an Authorization header the user gave alone: no profile token, no sign-in', async () => {
    const { deps, sent, plans } = world({ answers: [answer(401, CHALLENGE)], token: TOKEN });
    const result = await callResource({ ...REQUEST, headers: { Authorization: 'Basic x' } }, { discover: false }, deps);
    expect(result.outcome).toBe('refused');
    expect(sent[0]!.headers).toEqual({ Authorization: 'Basic x' });
    expect(plans).toEqual([]);
  });

  it('on a 401 signs in at the server the metadata lists, for its resource and the challenge scope, then retries once', async () => {
    const { deps, sent, plans } = world({
      answers: [answer(401, CHALLENGE), answer(401, CHALLENGE)],
      after: NEW,
      metadata: { resource: 'https://api.example/orders', authorization_servers: ['https://as.one'] },
    });
    const result = await callResource(REQUEST, { discover: false }, deps);
    expect(plans).toEqual([
      { reason: 'resource', issuer: 'https://as.one', resource: ['https://api.example/orders'], scope: 'b' },
    ]);
    expect(sent.map((request) => request.headers?.authorization)).toEqual([undefined, 'Bearer new']);
    // The second 401 stands: one retry, no loop.
    expect(result.outcome).toBe('refused');
  });

  it('prefers the profile’s server, takes --issuer only if listed, and asks when several remain', async () => {
    const metadata = {
      resource: 'https://api.example/orders',
      authorization_servers: ['https://as.one', 'https://as.two/'],
    };
    const run = async (options: Parameters<typeof callResource>[1], choose?: string) => {
      const { deps, plans } = world({
        answers: [answer(401, CHALLENGE), answer(200)],
        after: NEW,
        metadata,
        ...(choose ? { choose } : {}),
      });
      await callResource(REQUEST, options, deps);
      return plans[0]?.issuer;
    };
    expect(await run({ discover: false, profileIssuer: 'https://as.two' })).toBe('https://as.two/');
    expect(await run({ discover: false, issuer: 'https://as.one' })).toBe('https://as.one');
    expect(await run({ discover: false }, 'https://as.two/')).toBe('https://as.two/');
    await expect(run({ discover: false, issuer: 'https://as.three' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run({ discover: false })).rejects.toMatchObject({ code: 'NOT_LOGGED_IN' });
  });

  it('names the missing scopes of insufficient_scope; a declined step-up leaves the refusal standing', async () => {
    const challenge = { 'www-authenticate': 'Bearer error="insufficient_scope", scope="a c d"' };
    const declined = world({ answers: [answer(403, challenge)], token: TOKEN, signIn: false });
    const result = await callResource(REQUEST, { discover: false }, declined.deps);
    expect(result).toMatchObject({ outcome: 'refused', missingScopes: ['c', 'd'] });
    expect(declined.plans).toEqual([
      { reason: 'step-up', issuer: 'https://as.one', resource: [], scope: 'a c d', missingScopes: ['c', 'd'] },
    ]);

    // After the step-up, what is still missing is said of the new token.
    const still = world({ answers: [answer(403, challenge), answer(403, challenge)], token: TOKEN, after: NEW });
    expect(await callResource(REQUEST, { discover: false }, still.deps)).toMatchObject({
      outcome: 'refused',
      missingScopes: ['c', 'd'],
    });
    const partly = world({
      answers: [answer(403, challenge), answer(403, challenge)],
      token: TOKEN,
      after: { ...NEW, scope: 'a c' },
    });
    expect((await callResource(REQUEST, { discover: false }, partly.deps)).missingScopes).toEqual(['d']);

    const accepted = world({ answers: [answer(403, challenge), answer(200)], token: TOKEN, after: NEW });
    expect((await callResource(REQUEST, { discover: false }, accepted.deps)).outcome).toBe('ok');
    expect(accepted.sent[1]!.headers?.authorization).toBe('Bearer new');
  });

  it('a rejected token with no metadata anywhere is the answer (refused); without a token it is "not signed in"', async () => {
    const rejected = world({
      answers: [answer(401, { 'www-authenticate': 'Bearer error="invalid_token"' })],
      token: TOKEN,
    });
    expect((await callResource(REQUEST, { discover: false }, rejected.deps)).outcome).toBe('refused');
    const anonymous = world({ answers: [answer(401)] });
    await expect(callResource(REQUEST, { discover: false }, anonymous.deps)).rejects.toMatchObject({
      code: 'NOT_LOGGED_IN',
    });
  });

  it('--discover signs in before the first call, so the API sees only the new token', async () => {
    const { deps, sent, plans } = world({
      answers: [answer(200)],
      after: NEW,
      metadata: {
        resource: 'https://api.example/orders',
        authorization_servers: ['https://as.one'],
        scopes_supported: ['x'],
      },
    });
    expect((await callResource(REQUEST, { discover: true }, deps)).outcome).toBe('ok');
    expect(plans[0]).toMatchObject({ reason: 'resource', scope: 'x' });
    expect(sent.map((request) => request.headers?.authorization)).toEqual(['Bearer new']);
  });

  it('says a redirect and any other status as such, never following', async () => {
    const { deps, sent } = world({ answers: [answer(302, { location: 'https://elsewhere.example/' })], token: TOKEN });
    expect((await callResource(REQUEST, { discover: false }, deps)).outcome).toBe('redirect');
    expect(sent).toHaveLength(1);
    const teapot = world({ answers: [answer(418)], token: TOKEN });
    expect((await callResource(REQUEST, { discover: false }, teapot.deps)).outcome).toBe('status');
  });
});
