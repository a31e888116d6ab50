// --private-key for private_key_jwt: any file that cannot sign a client assertion is KEY_INVALID (exit 2) naming the
// file and what is wrong — before any request, never exit 1.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { chooseAuthMethod, loadPrivateKey, type CredentialFacts } from '../../src/oauth/client.js';
import { requireEndpoint } from '../../src/oauth/server.js';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { damagedJwk } from '../helpers/jwk-damage.js';

const dir = mkdtempSync(join(tmpdir(), 'oauth-private-keys-'));
const file = (name: string, content: string | object) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const jwkOf = (type: 'ec' | 'rsa' | 'ed25519' | 'ed448' | 'x25519', options: object = {}) =>
  (generateKeyPairSync as (type: string, options: object) => { privateKey: KeyObject })(
    type,
    options,
  ).privateKey.export({ format: 'jwk' }) as Record<string, unknown>;

const pem = (type: string, options: object) =>
  (generateKeyPairSync as (type: string, options: object) => { privateKey: KeyObject })(
    type,
    options,
  ).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const ec = jwkOf('ec', { namedCurve: 'P-256' });
const rsa = jwkOf('rsa', { modulusLength: 2048 });
const ed = jwkOf('ed25519');
const { x: _x, y: _y, ...ecWithoutXY } = ec;
const { n: _n, ...rsaWithoutN } = rsa;

/** Each file, and the words the error must use about it. */
const BAD: Array<[string, string | object, RegExp]> = [
  [
    'x25519.pem',
    generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    /X25519 key, which is for key agreement/,
  ],
  ['x25519.json', jwkOf('x25519'), /X25519 key, which is for key agreement/],
  ['ec-without-xy.json', ecWithoutXY, /EC key without "x"/],
  ['ec-alg-rs256.json', { ...ec, alg: 'RS256' }, /declares alg RS256, which does not fit an EC P-256 key/],
  ['ec-off-curve.json', { ...ec, x: ec.y, y: ec.x }, /cannot be imported/],
  ['rsa-without-n.json', rsaWithoutN, /RSA key without "n"/],
  ['rsa-n-5.json', { ...rsa, n: '5' }, /malformed "n"/],
  ['rsa-1024.json', jwkOf('rsa', { modulusLength: 1024 }), /RSA key of 1024 bits/],
  ['oct-with-d.json', { kty: 'oct', k: 'c2VjcmV0', d: 'c2VjcmV0' }, /symmetric key/],
  [
    'okp-x25519-jwk.json',
    {
      kty: 'OKP',
      crv: 'X25519',
      x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo',
      d: 'dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo',
    },
    /X25519/,
  ],
  ['ed448.json', jwkOf('ed448'), /Ed448/],
  ['public.json', { kty: ec.kty, crv: ec.crv, x: ec.x, y: ec.y }, /holds a public key/],
  [
    'public.pem',
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string,
    /not a usable private key \(PUBLIC KEY/,
  ],
  ['two-keys.json', { keys: [ec, rsa] }, /key set of 2 keys/],
  ['null-in-set.json', { keys: [null] }, /not a JWK/],
  ['broken.json', '{"kty": "EC",', /not valid JSON/],
  ['garbage.txt', 'hello', /neither a JWK nor a PEM private key/],
  ['rsa-pss.pem', pem('rsa-pss', { modulusLength: 2048 }), /an RSA-PSS key/],
  ['brainpool.pem', pem('ec', { namedCurve: 'brainpoolP256r1' }), /an EC key on curve brainpoolP256r1/],
  ['dsa.pem', pem('dsa', { modulusLength: 1024, divisorLength: 160 }), /a DSA key/],
  ['kty-foo.json', { kty: 'foo', d: 'AAAA' }, /key type "foo"/],
  ['empty.pem', '', /is empty/],
  ['blank.pem', ' \n', /is empty/],
  ['array.json', [ec], /holds an array, not a JWK/],
  ['null.json', 'null', /holds null, not a JWK/],
  ['number.json', '42', /holds a number, not a JWK/],
  [
    'encrypted.pem',
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    }) as string,
    /is encrypted \(passphrase-protected\); decrypt it first/,
  ],
  [
    'two-pems.pem',
    pem('ec', { namedCurve: 'P-256' }) + pem('ec', { namedCurve: 'P-256' }),
    /holds 2 PEM blocks \(PRIVATE KEY, PRIVATE KEY\); give a file with the one private key/,
  ],
];

describe('loadPrivateKey', () => {
  it('loads RSA, EC and Ed25519 private keys, as JWK and PEM', async () => {
    for (const jwk of [ec, rsa, ed, { ...ec, kid: 'k1', alg: 'ES256' }])
      await expect(loadPrivateKey(file('good.json', jwk))).resolves.toHaveProperty('key');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect((await loadPrivateKey(file('good.pem', pem))).key.algorithm.name).toBe('ECDSA');
    expect(await loadPrivateKey(file('kid.json', { ...rsa, kid: 'the-kid' }))).toMatchObject({ kid: 'the-kid' });
    // The key's RFC 7638 thumbprint names the key itself: the same in PEM and JWK, another for another key.
    expect((await loadPrivateKey(file('same.pem', pem))).thumbprint).toBe(
      (await loadPrivateKey(file('same.json', createPrivateKey(pem).export({ format: 'jwk' })))).thumbprint,
    );
    expect((await loadPrivateKey(file('ec.json', ec))).thumbprint).not.toBe(
      (await loadPrivateKey(file('same.pem', pem))).thumbprint,
    );
  });

  it('refuses every file that cannot sign a client assertion with KEY_INVALID (exit 2), naming the file and the problem', async () => {
    for (const [name, content, words] of BAD) {
      const path = file(name, content);
      const error = await loadPrivateKey(path).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error, name).toBeInstanceOf(CliError);
      expect({ name, code: (error as CliError).code, exit: (error as CliError).exitCode }).toEqual({
        name,
        code: 'KEY_INVALID',
        exit: 2,
      });
      expect((error as CliError).message, name).toContain(`--private-key ${path}`);
      expect((error as CliError).message, name).toMatch(words);
    }
  });

  it('random damage to good private keys: a key or KEY_INVALID, never anything else', async () => {
    const members = ['kty', 'crv', 'x', 'y', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'alg', 'use', 'key_ops'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(ec, rsa, ed).chain((good) => damagedJwk(good, members)),
        async (jwk) => {
          return loadPrivateKey(file('damaged.json', jwk)).then(
            () => true,
            (error: unknown) => error instanceof CliError && error.code === 'KEY_INVALID',
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('oauth token --client-credentials --private-key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({});
  });
  afterAll(() => server.close());

  it('exits 2 naming the file before any request', async () => {
    for (const [name, content] of BAD.slice(0, 8)) {
      const path = file(name, content);
      const result = await runCli(
        [
          'token',
          '--client-credentials',
          '--client-id',
          'svc',
          '--token-endpoint',
          `${server.url}/token`,
          '--private-key',
          path,
        ],
        { env: sandboxEnv({ OAUTH_STORE: 'memory' }) },
      );
      expect({ name, code: result.code }).toEqual({ name, code: 2 });
      expect(result.stderr).toContain(`error[KEY_INVALID]: --private-key ${path}`);
      expect(result.stderr).not.toMatch(STACK_TRACE);
    }
    expect(server.hits.size).toBe(0);
  });
});

describe('chooseAuthMethod: flags beat what the sign-in saved; an explicit --auth-method beats both but must fit the credential', () => {
  const none = { hasSecret: false, secretGiven: false, hasKey: false, keyGiven: false };
  const flag = (value: string) => ({ value, origin: '--auth-method' });
  const cases: Array<[string, CredentialFacts, string]> = [
    [
      'signed in with a secret, --private-key now',
      { ...none, saved: 'client_secret_basic', hasSecret: true, hasKey: true, keyGiven: true },
      'private_key_jwt',
    ],
    [
      'signed in with a key, OAUTH_CLIENT_SECRET now',
      { ...none, saved: 'private_key_jwt', hasKey: true, hasSecret: true, secretGiven: true },
      'client_secret_basic',
    ],
    [
      'signed in with client_secret_post, a secret file now',
      { ...none, saved: 'client_secret_post', hasSecret: true, secretGiven: true },
      'client_secret_post',
    ],
    ['nothing given: the saved method', { ...none, saved: 'private_key_jwt', hasKey: true }, 'private_key_jwt'],
    ['nothing saved, a stored secret', { ...none, hasSecret: true }, 'client_secret_basic'],
    ['nothing at all', none, 'none'],
    [
      '--auth-method client_secret_post with a secret and a saved key',
      {
        ...none,
        explicit: flag('client_secret_post'),
        saved: 'private_key_jwt',
        hasKey: true,
        hasSecret: true,
        secretGiven: true,
      },
      'client_secret_post',
    ],
    [
      '--auth-method private_key_jwt with a key from the profile and a stored secret',
      { ...none, explicit: flag('private_key_jwt'), hasKey: true, hasSecret: true },
      'private_key_jwt',
    ],
  ];
  for (const [name, facts, method] of cases)
    it(`${name}: ${method}`, () => expect(chooseAuthMethod(facts)).toBe(method));

  const conflicts: Array<[string, CredentialFacts]> = [
    [
      '--auth-method client_secret_basic with only --private-key',
      { ...none, explicit: flag('client_secret_basic'), hasKey: true, keyGiven: true },
    ],
    [
      '--auth-method private_key_jwt with only a secret',
      { ...none, explicit: flag('private_key_jwt'), hasSecret: true, secretGiven: true },
    ],
    ['--auth-method none with --private-key', { ...none, explicit: flag('none'), hasKey: true, keyGiven: true }],
  ];
  for (const [name, facts] of conflicts) {
    it(`${name}: exit 2 naming the flag`, () => {
      expect(() => chooseAuthMethod(facts)).toThrowError(
        expect.objectContaining({
          code: 'USAGE',
          exitCode: 2,
          message: expect.stringContaining('--auth-method'),
        }) as Error,
      );
    });
  }
});

describe('a missing endpoint', () => {
  it('is named with the right article', () => {
    const as = { issuer: 'https://id.example.test' };
    expect(() => requireEndpoint(as, 'introspection_endpoint', 'introspection-endpoint')).toThrow(
      'does not advertise an introspection endpoint.',
    );
    expect(() => requireEndpoint(as, 'revocation_endpoint', 'revocation-endpoint')).toThrow(
      'does not advertise a revocation endpoint.',
    );
  });
});
