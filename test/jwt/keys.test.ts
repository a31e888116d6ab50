// Remote key sets: refetch on an unknown kid, but only after the cooldown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/http.js';
import { createDocumentCache } from '../../src/http-cache.js';
import { REFETCH_COOLDOWN_SECONDS, remoteKeySet } from '../../src/jwt/keys.js';
import { verifyToken } from '../../src/jwt/verify.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { jwks, makeKey, sign, type TestKey } from '../helpers/tokens.js';

let server: TestServer;
let current: { keys: unknown[] };
let oldKey: TestKey;
let newKey: TestKey;

beforeAll(async () => {
  oldKey = await makeKey('RS256', 'old');
  newKey = await makeKey('RS256', 'new');
  current = jwks(oldKey);
  server = await startServer({
    '/jwks': (_request, response) => void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(current)),
  });
});
afterAll(() => server.close());

describe('remoteKeySet', () => {
  it('refetches once when a token names an unknown kid after the cooldown, and then verifies', async () => {
    let clock = Date.parse('2026-11-24T00:00:00Z');
    const http = createHttpClient({ timeoutMs: 2000, insecure: false, verbosity: 0, trace: () => undefined, env: {} });
    const cache = createDocumentCache({ http, directory: undefined, now: () => clock });
    const keys = await remoteKeySet(new URL(`${server.url}/jwks`), { cache, insecure: false, now: () => clock });
    expect(server.hits.get('/jwks')).toBe(1);

    current = jwks(oldKey, newKey); // the issuer rotates
    const token = await sign(newKey, { claims: { iss: 'https://issuer.test' } });
    const now = Math.floor(Date.now() / 1000);
    await expect(verifyToken(token, keys, { clockSkewSeconds: 30 }, now)).rejects.toMatchObject({ code: 'JWT_NO_MATCHING_KEY' });
    expect(server.hits.get('/jwks')).toBe(1);

    clock += (REFETCH_COOLDOWN_SECONDS + 1) * 1000;
    const verified = await verifyToken(token, keys, { clockSkewSeconds: 30 }, now);
    expect(verified.header.kid).toBe('new');
    expect(server.hits.get('/jwks')).toBe(2);
    await http.close();
  });
});
