// Key sets: what a set may hold and still be used, refetch on an unknown kid (after the cooldown), and no key — however
// malformed — ever failing as anything but a CliError with the documented exit code.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { createHttpClient, type HttpClient } from '../../src/net/http.js';
import { createDocumentCache } from '../../src/net/http-cache.js';
import { fileKeySet, type KeySet, REFETCH_COOLDOWN_SECONDS, remoteKeySet } from '../../src/jwt/keys.js';
import { verifyToken } from '../../src/jwt/verifier.js';
import { json, startServer, type TestServer } from '../helpers/server.js';
import { jwks, makeKey, sign, unusableKeys, type TestKey } from '../helpers/tokens.js';
import { damagedJwk } from '../helpers/jwk-damage.js';

let server: TestServer;
let current: { keys: unknown[] };
let oldKey: TestKey;
let newKey: TestKey;
let rsa: TestKey;
let ec: TestKey;
let http: HttpClient;
const dir = mkdtempSync(join(tmpdir(), 'oauth-keysets-'));
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  oldKey = await makeKey('RS256', 'old');
  newKey = await makeKey('RS256', 'new');
  rsa = await makeKey('RS256', 'good-rsa');
  ec = await makeKey('ES256', 'good-ec');
  current = jwks(oldKey);
  server = await startServer({
    '/jwks': (_request, response) =>
      void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(current)),
  });
  http = createHttpClient({ timeoutMs: 2000, insecure: false, verbosity: 0, trace: () => undefined, env: {} });
});
afterAll(async () => {
  await http.close();
  await server.close();
});

function keyFile(set: unknown): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(set));
  return file;
}

async function served(set: unknown) {
  const path = `/set-${Math.random().toString(36).slice(2)}`;
  server.route(path, json(set));
  const cache = createDocumentCache({ http, directory: undefined, now: Date.now });
  return remoteKeySet(new URL(`${server.url}${path}`), { cache, insecure: false, now: Date.now });
}

/** What a promise settles to, in the terms the CLI exits with. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof CliError ? `exit ${error.exitCode} ${error.code}` : `not a CliError: ${String(error)}`;
  }
}

describe('remoteKeySet', () => {
  it('refetches once when a token names an unknown kid after the cooldown, and then verifies', async () => {
    let clock = Date.parse('2026-11-24T00:00:00Z');
    const cache = createDocumentCache({ http, directory: undefined, now: () => clock });
    const keys = await remoteKeySet(new URL(`${server.url}/jwks`), { cache, insecure: false, now: () => clock });
    expect(server.hits.get('/jwks')).toBe(1);

    current = jwks(oldKey, newKey); // the issuer rotates
    const token = await sign(newKey, { claims: { iss: 'https://issuer.test' } });
    await expect(verifyToken(token, keys, { clockSkewSeconds: 30 }, now())).rejects.toMatchObject({
      code: 'JWT_NO_MATCHING_KEY',
    });
    expect(server.hits.get('/jwks')).toBe(1);

    clock += (REFETCH_COOLDOWN_SECONDS + 1) * 1000;
    const verified = await verifyToken(token, keys, { clockSkewSeconds: 30 }, now());
    expect(verified.header.kid).toBe('new');
    expect(server.hits.get('/jwks')).toBe(2);
  });
});

describe('keys a set may hold', () => {
  it('skips every unusable key, warns about the malformed and unsupported ones, and verifies with the rest', async () => {
    const broken = unusableKeys(rsa.publicJwk, ec.publicJwk);
    for (const load of [(set: unknown) => fileKeySet(keyFile(set)), served]) {
      const keys = await load({ keys: [...broken, rsa.publicJwk] });
      expect(keys.keys.map((key) => key.kid)).toEqual(['good-rsa']);
      const warned = keys.warnings.join('\n');
      for (const kid of [
        'ec-without-y',
        'ec-x-not-base64url',
        'ec-x-too-short',
        'ec-point-off-curve',
        'ec-unknown-curve',
        'ec-with-alg-rs256',
        'rsa-without-n',
        'rsa-n-5',
        'rsa-n-number',
        'rsa-e-empty',
        'rsa-alg-rs1',
        'rsa-key-ops-string',
        'okp-x-too-short',
        'akp',
        'kty-foo',
        'no-kty',
        'key #22',
        'key #23',
        'key #24',
        'key #25',
      ]) {
        expect(warned, kid).toContain(kid);
      }
      // Keys made for something else are no fault of the set: passed over without a word (oct is warned about as
      // published secret material, not as unusable).
      for (const kid of ['rsa-use-enc', 'rsa-oaep', 'okp-x25519', 'rsa-key-ops-encrypt'])
        expect(warned).not.toContain(kid);
      expect(warned).toMatch(/"?ec-without-y"? in .*: it is an EC key without "y"/);

      expect((await verifyToken(await sign(rsa), keys, { clockSkewSeconds: 30 }, now())).payload.sub).toBe('alice');
      // A token naming a skipped key is told why that key cannot be used.
      const named = verifyToken(
        await sign(ec, { header: { kid: 'ec-without-y' } }),
        keys,
        { clockSkewSeconds: 30 },
        now(),
      );
      await expect(named).rejects.toMatchObject({
        code: 'JWT_NO_MATCHING_KEY',
        message: expect.stringContaining('without "y"'),
      });
    }
  });

  it('without a usable signing key: KEY_INVALID (exit 2) from a file, JWKS_INVALID (exit 5) from a server, saying why', async () => {
    const broken = unusableKeys(rsa.publicJwk, ec.publicJwk);
    for (const set of [...broken.map((key) => [key]), broken]) {
      expect(await outcome(fileKeySet(keyFile({ keys: set }))), JSON.stringify(set)).toBe('exit 2 KEY_INVALID');
      expect(await outcome(served({ keys: set })), JSON.stringify(set)).toBe('exit 5 JWKS_INVALID');
    }
    const error = await fileKeySet(keyFile({ keys: [broken[0], broken[6]] })).then(
      () => undefined,
      (failure: CliError) => failure,
    );
    expect(error?.message).toMatch(
      /no key that can verify signatures: kid "ec-without-y" is an EC key without "y"; kid "rsa-without-n" is an RSA key without "n"/,
    );
  });

  it('random damage to good keys: a key set or a CliError (exit 2 from a file), and verification exit 0, 2 or 3 — never anything else', async () => {
    const tokens = new Map([
      [rsa, await sign(rsa)],
      [ec, await sign(ec)],
    ]);
    const members = ['kty', 'crv', 'x', 'y', 'n', 'e', 'alg', 'use', 'key_ops', 'kid', 'd'];
    const damaged = fc
      .constantFrom(rsa, ec)
      .chain((key) => damagedJwk(key.publicJwk, members).map((jwk) => ({ key, jwk })));
    await fc.assert(
      fc.asyncProperty(damaged, async ({ key, jwk }) => {
        let loaded: KeySet;
        try {
          loaded = await fileKeySet(keyFile({ keys: [jwk] }));
        } catch (error) {
          return error instanceof CliError && error.exitCode === 2;
        }
        const verified = await outcome(verifyToken(tokens.get(key)!, loaded, { clockSkewSeconds: 30 }, now()));
        return /^(ok|exit [23] )/.test(verified);
      }),
      { numRuns: 300 },
    );
  });
});
