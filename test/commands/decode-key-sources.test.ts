// Key sources that are down, slow or broken: exit 5 within the timeout, with a message naming what came back.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as jose from 'jose';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { closedPort, hang, json, raw, startServer, type TestServer } from '../helpers/server.js';
import { makeKey, sign, unusableKeys, type TestKey } from '../helpers/tokens.js';

let server: TestServer;
let key: TestKey;
let token: string;

beforeAll(async () => {
  key = await makeKey('RS256', 'k1');
  token = await sign(key);
  server = await startServer({
    '/html': raw(200, '<!doctype html><html><body>Sign in</body></html>', { 'content-type': 'text/html' }),
    '/500': raw(500, 'internal error', { 'content-type': 'text/plain' }),
    '/empty-object': json({}),
    '/keys-null': json({ keys: null }),
    '/no-keys': json({ keys: [] }),
    '/invalid-json': raw(200, '{"keys": [', { 'content-type': 'application/json' }),
    '/slow': hang,
    '/redirect': raw(302, '', { location: 'https://attacker.example/jwks' }),
    '/huge': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(1024 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 20 && response.write(chunk)) sent++;
        if (sent >= 20) response.end();
        else response.once('drain', pump);
      };
      response.on('error', () => undefined);
      pump();
    },
  });
});
afterAll(() => server.close());

const verifyWith = (jwks: string, ...extra: string[]) =>
  runCli(['decode', token, '--verify', '--jwks', jwks, ...extra]);

function expectRemoteFailure(result: { code: number; stderr: string }, code: string, words: RegExp) {
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(result.stderr).toContain(`error[${code}]`);
  expect(result.stderr).toMatch(words);
  expect(result.code).toBe(5);
}

describe('a key source that cannot be used exits 5', () => {
  it('connection refused', async () => {
    expectRemoteFailure(
      await verifyWith(`http://127.0.0.1:${await closedPort()}/jwks`),
      'JWKS_FETCH_FAILED',
      /connection refused/,
    );
  });

  it('too slow: gives up at --timeout', async () => {
    const started = Date.now();
    expectRemoteFailure(
      await verifyWith(`${server.url}/slow`, '--timeout', '1'),
      'JWKS_FETCH_FAILED',
      /Timed out after 1s/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an HTML page', async () => {
    expectRemoteFailure(await verifyWith(`${server.url}/html`), 'JWKS_INVALID', /HTML page/);
  });

  it('HTTP 500', async () => {
    expectRemoteFailure(await verifyWith(`${server.url}/500`), 'JWKS_FETCH_FAILED', /HTTP 500/);
  });

  it('invalid JSON, {}, {"keys":null} and no keys', async () => {
    expectRemoteFailure(await verifyWith(`${server.url}/invalid-json`), 'JWKS_INVALID', /not JSON/);
    expectRemoteFailure(await verifyWith(`${server.url}/empty-object`), 'JWKS_INVALID', /no "keys" array/);
    expectRemoteFailure(await verifyWith(`${server.url}/keys-null`), 'JWKS_INVALID', /no "keys" array/);
    expectRemoteFailure(await verifyWith(`${server.url}/no-keys`), 'JWKS_INVALID', /contains no keys/);
  });

  it('a redirect elsewhere is not followed', async () => {
    expectRemoteFailure(
      await verifyWith(`${server.url}/redirect`),
      'JWKS_FETCH_FAILED',
      /redirect \(302 to https:\/\/attacker\.example\/jwks\)/,
    );
  });

  it('a 20 MB body is cut off at the size cap', async () => {
    expectRemoteFailure(await verifyWith(`${server.url}/huge`), 'JWKS_FETCH_FAILED', /larger than/);
  });

  it('never caches a broken response', async () => {
    const env = sandboxEnv();
    await runCli(['decode', token, '--verify', '--jwks', `${server.url}/html`], { env });
    const before = server.hits.get('/html');
    await runCli(['decode', token, '--verify', '--jwks', `${server.url}/html`], { env });
    expect(server.hits.get('/html')).toBe(before! + 1);
  });

  it('reports as JSON on stderr with --json', async () => {
    const result = await verifyWith(`${server.url}/500`, '--json');
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    const { error } = JSON.parse(result.stderr);
    expect(error).toMatchObject({ code: 'JWKS_FETCH_FAILED', exitCode: 5, details: { reason: 'HTTP_STATUS' } });
  });
});

describe('discovery', () => {
  let discovery: TestServer;
  beforeAll(async () => {
    discovery = await startServer({});
  });
  afterAll(() => discovery.close());

  it('falls back from OpenID Connect to RFC 8414 metadata', async () => {
    discovery.route(
      '/.well-known/oauth-authorization-server/tenant',
      json({ issuer: `${discovery.url}/tenant`, jwks_uri: `${discovery.url}/tenant/jwks` }),
    );
    discovery.route('/tenant/jwks', json({ keys: [key.publicJwk] }));
    const tenantToken = await sign(key, { claims: { iss: `${discovery.url}/tenant` } });
    const result = await runCli(['decode', tenantToken, '--verify', '--issuer', `${discovery.url}/tenant`]);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(discovery.hits.get('/tenant/.well-known/openid-configuration')).toBe(1);
  });

  it('refuses metadata whose issuer is not the requested one (RFC 8414 §3.3)', async () => {
    discovery.route(
      '/.well-known/openid-configuration',
      json({ issuer: 'https://evil.test', jwks_uri: `${discovery.url}/jwks` }),
    );
    const result = await runCli(['decode', token, '--verify', '--issuer', discovery.url]);
    expectRemoteFailure(result, 'DISCOVERY_FAILED', /names issuer "https:\/\/evil.test"/);
    expect(discovery.hits.get('/jwks')).toBeUndefined();
  });

  it('says so when there is no discovery document at all', async () => {
    const result = await runCli(['decode', token, '--verify', '--issuer', `${discovery.url}/nothing-here`]);
    expectRemoteFailure(result, 'DISCOVERY_FAILED', /both answered 404/);
  });

  it('names the server that is down', async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(['decode', token, '--verify', '--issuer', issuer]);
    expectRemoteFailure(result, 'DISCOVERY_FAILED', new RegExp(`${issuer.replace(/\./g, '\\.')}.*connection refused`));
  });
});

describe('a key set holding keys that cannot be used', () => {
  let sets: TestServer;
  let ec: TestKey;
  let broken: unknown[];
  beforeAll(async () => {
    ec = await makeKey('ES256', 'ec-1');
    broken = unusableKeys(key.publicJwk, ec.publicJwk);
    sets = await startServer({
      '/mixed': json({ keys: [...broken, key.publicJwk] }),
      '/broken': json({ keys: broken }),
      '/oct': json({ keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldA', kid: 'hmac' }] }),
      '/enc': json({ keys: [{ ...key.publicJwk, use: 'enc', alg: 'RSA-OAEP' }] }),
    });
    sets.route('/.well-known/openid-configuration', json({ issuer: sets.url, jwks_uri: `${sets.url}/broken` }));
  });
  afterAll(() => sets.close());

  it('skips them with a warning naming each, and verifies with the keys that can be used', async () => {
    const result = await verifyWith(`${sets.url}/mixed`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.stderr).toMatch(/warning: Skipped kid "ec-without-y" in JWKS .*: it is an EC key without "y"\./);
    expect(result.stderr).toMatch(/warning: Skipped kid "rsa-n-5" .*"n" \(not base64url\)/);
    const json = JSON.parse((await verifyWith(`${sets.url}/mixed`, '--json')).stdout);
    expect(json.verification.valid).toBe(true);
    expect(json.verification.warnings.join('\n')).toContain('rsa-without-n');
  });

  it('with nothing usable left: exit 5 JWKS_INVALID from a server (by URL or discovery), exit 2 KEY_INVALID from a file', async () => {
    for (const path of ['/broken', '/oct', '/enc']) {
      expectRemoteFailure(
        await verifyWith(`${sets.url}${path}`),
        'JWKS_INVALID',
        /has no key that can verify signatures/,
      );
    }
    expectRemoteFailure(
      await runCli(['decode', token, '--verify', '--issuer', sets.url]),
      'JWKS_INVALID',
      /kid "ec-without-y" is an EC key without "y"/,
    );
    const env = sandboxEnv();
    const file = join(env.HOME!, 'broken.json');
    writeFileSync(file, JSON.stringify({ keys: broken }));
    const local = await runCli(['decode', token, '--verify', '--jwks', file], { env });
    expect(local.code).toBe(2);
    expect(local.stderr).toContain(`error[KEY_INVALID]: file ${file} has no key that can verify signatures`);
    expect(local.stderr).not.toMatch(STACK_TRACE);
  });

  it('each unusable key alone, from a server and from a file: 5 and 2, never 1', async () => {
    const env = sandboxEnv();
    for (const [index, jwk] of broken.entries()) {
      sets.route(`/one-${index}`, json({ keys: [jwk] }));
      const remote = await verifyWith(`${sets.url}/one-${index}`);
      expect({ key: jwk, code: remote.code }).toEqual({ key: jwk, code: 5 });
      const file = join(env.HOME!, `one-${index}.json`);
      writeFileSync(file, JSON.stringify(jwk));
      const local = await runCli(['decode', token, '--verify', '--key', file], { env });
      expect({ key: jwk, code: local.code }).toEqual({ key: jwk, code: 2 });
    }
  });
});

describe('a certificate chain as --key', () => {
  it('is read by its leaf, in either order, as openssl does: a token signed by the leaf key verifies', async () => {
    const env = sandboxEnv();
    const file = (name: string) => join(env.HOME!, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-subj',
      '/CN=test CA',
      '-days',
      '1',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('leaf.key'),
      '-out',
      file('leaf.csr'),
      '-subj',
      '/CN=signer',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file('leaf.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('leaf.pem'),
      '-days',
      '1',
    );
    writeFileSync(
      file('chain.pem'),
      `${readFileSync(file('leaf.pem'), 'utf8')}${readFileSync(file('ca.pem'), 'utf8')}`,
    );
    const signed = await new jose.SignJWT({ sub: 'a' })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(createPrivateKey(readFileSync(file('leaf.key'))));
    writeFileSync(
      file('ca-first.pem'),
      `${readFileSync(file('ca.pem'), 'utf8')}${readFileSync(file('leaf.pem'), 'utf8')}`,
    );
    for (const chain of ['chain.pem', 'ca-first.pem']) {
      const result = await runCli(['decode', signed, '--verify', '--key', file(chain)], { env });
      expect(result.code, `${chain}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toContain('✓ valid');
    }
  });
});

describe('a PEM key that OpenSSL reads but a JWK cannot hold', () => {
  const pair = (type: string, options: object) =>
    (generateKeyPairSync as (type: string, options: object) => { publicKey: KeyObject; privateKey: KeyObject })(
      type,
      options,
    );
  const pems: Array<[string, KeyObject, RegExp]> = [
    ['rsa-pss.pub.pem', pair('rsa-pss', { modulusLength: 2048 }).publicKey, /an RSA-PSS key/],
    [
      'brainpool.pub.pem',
      pair('ec', { namedCurve: 'brainpoolP256r1' }).publicKey,
      /an EC key on curve brainpoolP256r1/,
    ],
    ['dsa.pub.pem', pair('dsa', { modulusLength: 1024, divisorLength: 160 }).publicKey, /a DSA key/],
    ['dsa.pem', pair('dsa', { modulusLength: 1024, divisorLength: 160 }).privateKey, /a DSA key/],
  ];

  it('--key and --jwks FILE: exit 2 KEY_INVALID naming the file and the kind of key', async () => {
    const env = sandboxEnv();
    for (const [name, keyObject, words] of pems) {
      const file = join(env.HOME!, name);
      writeFileSync(
        file,
        keyObject.export({ type: keyObject.type === 'public' ? 'spki' : 'pkcs8', format: 'pem' }) as string,
      );
      for (const flag of ['--key', '--jwks']) {
        const result = await runCli(['decode', token, '--verify', flag, file], { env });
        expect({ name, flag, code: result.code }).toEqual({ name, flag, code: 2 });
        expect(result.stderr).toContain(`error[KEY_INVALID]: The key file ${file} holds `);
        expect(result.stderr).toMatch(words);
        expect(result.stderr).not.toMatch(STACK_TRACE);
      }
    }
  });

  it('a PEM of DSA parameters alone is said to hold no key', async () => {
    const env = sandboxEnv();
    const file = join(env.HOME!, 'dsa-parameters.pem');
    writeFileSync(file, '-----BEGIN DSA PARAMETERS-----\nMIIBHgKBgQD=\n-----END DSA PARAMETERS-----\n');
    const result = await runCli(['decode', token, '--verify', '--key', file], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The key file ${file} holds only DSA PARAMETERS, no key or certificate.`);
  });

  it('an Ed448 key, as JWK or PEM, with a valid Ed448 token: said plainly to be unsupported, exit 2', async () => {
    const env = sandboxEnv();
    const { publicKey, privateKey } = pair('ed448', {});
    const { sign: edSign } = await import('node:crypto');
    const input = `${Buffer.from(JSON.stringify({ alg: 'EdDSA' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a' })).toString('base64url')}`;
    const ed448Token = `${input}.${edSign(null, Buffer.from(input), privateKey).toString('base64url')}`;
    const files = {
      'ed448.json': JSON.stringify(publicKey.export({ format: 'jwk' })),
      'ed448.pem': publicKey.export({ type: 'spki', format: 'pem' }) as string,
    };
    for (const [name, content] of Object.entries(files)) {
      const file = join(env.HOME!, name);
      writeFileSync(file, content);
      const result = await runCli(['decode', ed448Token, '--verify', '--key', file], { env });
      expect({ name, code: result.code }).toEqual({ name, code: 2 });
      expect(result.stderr).toContain('is an Ed448 key, which is not supported; EdDSA works with Ed25519 keys only');
      expect(result.stderr).not.toMatch(/Ed25519\/Ed448|cannot be imported/);
    }
  });
});
