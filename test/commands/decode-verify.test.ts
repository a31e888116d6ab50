// `oauth decode --verify` through the command, against a real JWKS server on 127.0.0.1 and tokens made here.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/server.js';
import { b64, forge, hmac, jwks, makeKey, now, sign, signRaw, type TestKey } from '../helpers/tokens.js';

let server: TestServer;
let key: TestKey;
let otherKeySameKid: TestKey;
let attacker: TestServer;
let dir: string;

beforeAll(async () => {
  key = await makeKey('RS256', 'k1');
  otherKeySameKid = await makeKey('RS256', 'k1');
  server = await startServer({ '/jwks': json(jwks(key)) });
  attacker = await startServer({ '/evil-jwks': json(jwks(otherKeySameKid)) });
  dir = mkdtempSync(join(tmpdir(), 'oauth-keys-'));
});
afterAll(async () => {
  await server.close();
  await attacker.close();
});
beforeEach(() => server.hits.clear());

const verify = (token: string, ...extra: string[]) =>
  runCli([
    'decode',
    token,
    '--verify',
    '--jwks',
    `${server.url}/jwks`,
    '--issuer',
    'https://issuer.test',
    '--audience',
    'api',
    ...extra,
  ]);

async function expectRejected(token: string, code: string, ...extra: string[]) {
  const result = await verify(token, ...extra);
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect({ code: result.code, error: result.stderr.includes(code) ? code : result.stderr }).toEqual({
    code: 3,
    error: code,
  });
  return result;
}

describe('a valid token', () => {
  it('exits 0 and says what was checked', async () => {
    const result = await verify(await sign(key), '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.verification.valid).toBe(true);
    expect(report.verification.checked).toContain('iss is https://issuer.test (from --issuer)');
    expect(report.payload.sub).toBe('alice');
  });

  it('accepts a token from a Bearer header line as pasted', async () => {
    const result = await verify(`Authorization: Bearer ${await sign(key)}`);
    expect(result.code).toBe(0);
  });

  it('warns in the output when audience and issuer were not checked', async () => {
    const result = await runCli(['decode', await sign(key), '--verify', '--jwks', `${server.url}/jwks`]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('not checked: audience');
    expect(result.stdout).toContain('not checked: issuer');
  });

  it('checks typ and required scopes when asked', async () => {
    expect((await verify(await sign(key), '--typ', 'at+jwt', '--require-scope', 'read')).code).toBe(0);
    await expectRejected(await sign(key, { header: { typ: 'JWT' } }), 'JWT_TYPE_MISMATCH', '--typ', 'at+jwt');
    const missing = await expectRejected(await sign(key), 'JWT_SCOPE_MISSING', '--require-scope', 'admin');
    expect(missing.stderr).toContain('admin');
  });

  it('with --typ at+jwt, requires the claims RFC 9068 makes mandatory', async () => {
    const result = await expectRejected(
      await sign(key, { claims: { client_id: undefined, jti: undefined } }),
      'JWT_CLAIM_INVALID',
      '--typ',
      'at+jwt',
    );
    expect(result.stderr).toContain('"client_id", "jti"');
    expect((await verify(await sign(key, { claims: { client_id: undefined } }))).code).toBe(0);
  });
});

describe('claims', () => {
  it('rejects an expired token, naming when it expired', async () => {
    const result = await expectRejected(
      await sign(key, { claims: { iat: now() - 7200, exp: now() - 3600 } }),
      'JWT_EXPIRED',
    );
    expect(result.stderr).toContain('1h ago');
  });

  it('tolerates a small clock skew but not a large one', async () => {
    const justExpired = await sign(key, { claims: { exp: now() - 5 } });
    expect((await verify(justExpired)).code).toBe(0);
    await expectRejected(justExpired, 'JWT_EXPIRED', '--clock-skew', '0');
  });

  it('rejects a token that is not valid yet', async () => {
    await expectRejected(await sign(key, { claims: { nbf: now() + 3600 } }), 'JWT_NOT_YET_VALID');
  });

  it('rejects a token issued in the future', async () => {
    await expectRejected(await sign(key, { claims: { iat: now() + 3600 } }), 'JWT_ISSUED_IN_FUTURE');
  });

  it('rejects exp that is a string or not finite', async () => {
    await expectRejected(await sign(key, { claims: { exp: String(now() + 900) } }), 'JWT_CLAIM_INVALID');
    const huge = await signRaw(
      key,
      { alg: 'RS256', kid: 'k1' },
      '{"iss":"https://issuer.test","aud":"api","exp":1e309}',
    );
    await expectRejected(huge, 'JWT_CLAIM_INVALID');
  });

  it('rejects the wrong issuer, and an issuer that only starts with the right one', async () => {
    await expectRejected(await sign(key, { claims: { iss: 'https://evil.test' } }), 'JWT_ISSUER_MISMATCH');
    await expectRejected(await sign(key, { claims: { iss: 'https://issuer.test.evil.test' } }), 'JWT_ISSUER_MISMATCH');
    await expectRejected(await sign(key, { claims: { iss: 'https://issuer.test/' } }), 'JWT_ISSUER_MISMATCH');
    await expectRejected(await sign(key, { claims: { iss: undefined } }), 'JWT_ISSUER_MISMATCH');
  });

  it('rejects a wrong, empty, object or missing audience', async () => {
    await expectRejected(await sign(key, { claims: { aud: 'other-api' } }), 'JWT_AUDIENCE_MISMATCH');
    await expectRejected(await sign(key, { claims: { aud: [] } }), 'JWT_AUDIENCE_MISMATCH');
    await expectRejected(await sign(key, { claims: { aud: '' } }), 'JWT_AUDIENCE_MISMATCH');
    await expectRejected(await sign(key, { claims: { aud: { api: true } } }), 'JWT_AUDIENCE_MISMATCH');
    await expectRejected(await sign(key, { claims: { aud: undefined } }), 'JWT_AUDIENCE_MISMATCH');
  });

  it('accepts any one of several expected audiences', async () => {
    const result = await verify(await sign(key, { claims: { aud: ['billing', 'api'] } }), '--audience', 'other');
    expect(result.code).toBe(0);
  });
});

describe('signatures and algorithms', () => {
  it('rejects a tampered payload', async () => {
    const [header, , signature] = (await sign(key)).split('.');
    const tampered = `${header}.${b64({ iss: 'https://issuer.test', aud: 'api', sub: 'admin', exp: now() + 900 })}.${signature}`;
    await expectRejected(tampered, 'JWT_SIGNATURE_INVALID');
  });

  it('rejects a token signed by another key under the same kid', async () => {
    await expectRejected(await sign(otherKeySameKid), 'JWT_SIGNATURE_INVALID');
  });

  it('rejects alg none, in any case', async () => {
    const claims = { iss: 'https://issuer.test', aud: 'api', exp: now() + 900 };
    await expectRejected(forge({ alg: 'none', typ: 'JWT' }, claims), 'JWT_ALG_NOT_ALLOWED');
    await expectRejected(forge({ alg: 'None' }, claims), 'JWT_ALG_NOT_ALLOWED');
  });

  it('rejects HS256 signed with the public key as secret (algorithm confusion)', async () => {
    const claims = { iss: 'https://issuer.test', aud: 'api', exp: now() + 900 };
    const publicJson = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const forged = await hmac(publicJson, { alg: 'HS256', kid: 'k1' }, claims);
    const result = await expectRejected(forged, 'JWT_ALG_NOT_ALLOWED');
    expect(result.stderr).toContain('algorithm-confusion');
  });

  it('rejects an empty or truncated signature', async () => {
    const [header, payload, signature] = (await sign(key)).split('.');
    await expectRejected(`${header}.${payload}.`, 'JWT_SIGNATURE_INVALID');
    await expectRejected(`${header}.${payload}.${signature!.slice(0, 40)}`, 'JWT_SIGNATURE_INVALID');
  });

  it('never fetches or trusts keys named by the token (jku, x5u, jwk)', async () => {
    const evil = await sign(otherKeySameKid, {
      header: { jku: `${attacker.url}/evil-jwks`, x5u: `${attacker.url}/evil-cert`, jwk: otherKeySameKid.publicJwk },
    });
    await expectRejected(evil, 'JWT_SIGNATURE_INVALID');
    expect(attacker.hits.size).toBe(0);
  });

  it('rejects an unknown critical header', async () => {
    const claims = JSON.stringify({ iss: 'https://issuer.test', aud: 'api', exp: now() + 900 });
    const token = await signRaw(
      key,
      { alg: 'RS256', kid: 'k1', crit: ['urn:example:unknown'], 'urn:example:unknown': true },
      claims,
    );
    await expectRejected(token, 'JWT_UNSUPPORTED');
  });

  it('honours an --alg allow-list and refuses --alg none', async () => {
    await expectRejected(await sign(key), 'JWT_ALG_NOT_ALLOWED', '--alg', 'ES256');
    const none = await verify(await sign(key), '--alg', 'none');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--alg none is never allowed');
  });

  it('verifies ES256 and EdDSA tokens with keys that declare no alg', async () => {
    for (const alg of ['ES256', 'EdDSA']) {
      const ecKey = await makeKey(alg, `k-${alg}`);
      const { alg: _declared, ...undeclared } = ecKey.publicJwk;
      const file = join(dir, `${alg}.json`);
      writeFileSync(file, JSON.stringify({ keys: [undeclared] }));
      const result = await runCli(['decode', await sign(ecKey), '--verify', '--jwks', file]);
      expect(result.code, result.stderr).toBe(0);
    }
  });
});

describe('key sources', () => {
  it('verifies with a PEM public key file', async () => {
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: key.publicJwk as Record<string, string>, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const file = join(dir, 'key.pem');
    writeFileSync(file, pem);
    const result = await runCli(['decode', await sign(key), '--verify', '--key', file]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('verifies HMAC only with an explicit secret, from the environment or a file', async () => {
    const secret = 'a-long-enough-hmac-secret-for-hs256-0123456789';
    const token = await hmac(
      new TextEncoder().encode(secret),
      { alg: 'HS256', typ: 'JWT' },
      { sub: 'svc', exp: now() + 900 },
    );
    const fromEnv = await runCli(['decode', token, '--verify', '--secret-env', 'MY_SECRET'], {
      env: sandboxEnv({ MY_SECRET: secret }),
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    const file = join(dir, 'secret.txt');
    writeFileSync(file, `${secret}\n`);
    expect((await runCli(['decode', token, '--verify', '--secret-file', file])).code).toBe(0);
    const wrong = await runCli(['decode', token, '--verify', '--secret-env', 'MY_SECRET'], {
      env: sandboxEnv({ MY_SECRET: 'another-secret' }),
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).not.toContain('another-secret');
    const unset = await runCli(['decode', token, '--verify', '--secret-env', 'NOT_SET']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('NOT_SET');
  });

  it('refetches the JWKS once for an unknown kid, then not again within the cooldown', async () => {
    const rotated = await makeKey('RS256', 'k2');
    const keySet = { current: jwks(key) };
    const rotating = await startServer({
      '/jwks': (_q, r) =>
        void r
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' })
          .end(JSON.stringify(keySet.current)),
    });
    try {
      const env = sandboxEnv();
      const args = (token: string) => ['decode', token, '--verify', '--jwks', `${rotating.url}/jwks`];
      expect((await runCli(args(await sign(key)), { env })).code).toBe(0);
      expect(rotating.hits.get('/jwks')).toBe(1);
      // Within the cooldown an unknown kid does not refetch, so a flood of bad tokens cannot flood the server.
      keySet.current = jwks(key, rotated);
      const tooSoon = await runCli(args(await sign(rotated)), { env });
      expect(tooSoon.code).toBe(3);
      expect(tooSoon.stderr).toContain('JWT_NO_MATCHING_KEY');
      expect(rotating.hits.get('/jwks')).toBe(1);
    } finally {
      await rotating.close();
    }
  });

  it('rejects a usage mistake: two key sources, or none', async () => {
    const both = await runCli([
      'decode',
      await sign(key),
      '--verify',
      '--jwks',
      `${server.url}/jwks`,
      '--key',
      'x.pem',
    ]);
    expect(both.code).toBe(2);
    const none = await runCli(['decode', await sign(key), '--verify']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--issuer');
  });

  it('refuses plain http to a host that is not loopback', async () => {
    const result = await runCli(['decode', await sign(key), '--verify', '--jwks', 'http://keys.example.com/jwks']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--insecure');
  });
});

describe('many tokens on stdin', () => {
  it('verifies each with one JWKS fetch, one line each, and fails if any fails', async () => {
    const good = await sign(key);
    const expired = await sign(key, { claims: { exp: now() - 3600 } });
    const stdin = `${[good, good, expired, 'not-a-token', good].join('\n')}\n`;
    const result = await runCli(['decode', '-', '--verify', '--jwks', `${server.url}/jwks`, '--json'], { stdin });
    expect(result.code).toBe(3);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.verification?.valid ?? line.error.code)).toEqual([
      true,
      true,
      false,
      'TOKEN_MALFORMED',
      true,
    ]);
    expect(lines[2].verification.error.code).toBe('JWT_EXPIRED');
    expect(server.hits.get('/jwks')).toBe(1);
  });
});

describe('where the expected values came from', () => {
  function withProfile(profile: Record<string, string>, extra: Record<string, string> = {}) {
    const env = sandboxEnv(extra);
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'oauth'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json'), JSON.stringify({ profiles: { dev: profile } }));
    return env;
  }
  const checkedLines = async (env: Record<string, string | undefined>, ...extra: string[]) => {
    const result = await runCli(['decode', await sign(key), '--verify', '--jwks', `${server.url}/jwks`, ...extra], {
      env,
    });
    return { result, text: result.stdout };
  };

  it('says whether the issuer and audience came from a flag, the environment or the profile', async () => {
    const profile = { issuer: 'https://issuer.test', audience: 'api' };
    const fromProfile = await checkedLines(withProfile(profile, { OAUTH_PROFILE: 'dev' }));
    expect(fromProfile.result.code, fromProfile.result.stderr).toBe(0);
    expect(fromProfile.text).toContain('iss is https://issuer.test (from profile dev)');
    expect(fromProfile.text).toContain('aud includes api (from profile dev)');

    const fromFlag = await checkedLines(
      withProfile(profile),
      '--profile',
      'dev',
      '--issuer',
      'https://issuer.test',
      '--audience',
      'api',
    );
    expect(fromFlag.text).toContain('iss is https://issuer.test (from --issuer)');
    expect(fromFlag.text).toContain('aud includes api (from --audience)');

    const fromEnv = await checkedLines(
      withProfile(profile, { OAUTH_ISSUER: 'https://issuer.test', OAUTH_AUDIENCE: 'api' }),
      '--profile',
      'dev',
    );
    expect(fromEnv.text).toContain('iss is https://issuer.test (from OAUTH_ISSUER)');
    expect(fromEnv.text).toContain('aud includes api (from OAUTH_AUDIENCE)');

    const json = await checkedLines(withProfile(profile), '--profile', 'dev', '--json');
    expect(JSON.parse(json.text).verification.checked).toContain('iss is https://issuer.test (from profile dev)');
  });

  it('a blank expected value: from a flag exit 2 naming it; from the environment or a profile unset, never enforced', async () => {
    for (const flag of ['--audience', '--issuer']) {
      for (const blank of ['', ' ']) {
        const { result } = await checkedLines(sandboxEnv(), flag, blank);
        expect({ flag, blank, code: result.code }).toEqual({ flag, blank, code: 2 });
        expect(result.stderr).toContain(`error[USAGE]: ${flag} was given an empty value.`);
      }
    }
    for (const env of [
      { OAUTH_AUDIENCE: ' ' },
      { OAUTH_AUDIENCE: ',' },
      { OAUTH_AUDIENCE: ' , ' },
      { OAUTH_ISSUER: ' ' },
    ]) {
      const { result, text } = await checkedLines(sandboxEnv(env));
      expect({ env, code: result.code }).toEqual({ env, code: 0 });
      expect(text).not.toMatch(/aud includes|iss is/);
    }
    const fromProfile = await checkedLines(withProfile({ issuer: ' ', audience: ',' }, { OAUTH_PROFILE: 'dev' }));
    expect(fromProfile.result.code, fromProfile.result.stderr).toBe(0);
    expect(fromProfile.text).not.toMatch(/aud includes|iss is/);
  });

  it('a mismatch names where the expected value came from, so a stale profile is obvious', async () => {
    const env = withProfile({ issuer: 'https://old-issuer.test' }, { OAUTH_PROFILE: 'dev' });
    const { result } = await checkedLines(env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('expected exactly "https://old-issuer.test" (from profile dev)');
  });
});

describe('the URL policy for the issuer', () => {
  it('plain http to a host that is not loopback is INSECURE_URL (exit 2) with the --insecure hint, before any request', async () => {
    for (const extra of [[], ['--json']]) {
      const result = await runCli(['decode', await sign(key), '--verify', '--issuer', 'http://example.com', ...extra]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('INSECURE_URL');
      expect(result.stderr).toContain('--insecure');
    }
    const fromEnv = await runCli(['decode', await sign(key), '--verify'], {
      env: sandboxEnv({ OAUTH_ISSUER: 'http://issuer.example.com/tenant' }),
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('INSECURE_URL');
  });
});

describe('--json with many tokens', () => {
  it('stdout is one JSON line per token, and everything on stderr is JSON too, the summary included', async () => {
    const stdin = `${[await sign(key), 'not-a-token', await sign(key, { claims: { exp: now() - 3600 } })].join('\n')}\n`;
    for (const verifyArgs of [['--verify', '--jwks', `${server.url}/jwks`], []]) {
      const result = await runCli(['decode', '-', '--json', ...verifyArgs], { stdin });
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.map((line) => line.line)).toEqual([1, 2, 3]);
      const stderr = result.stderr
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const failed = verifyArgs.length > 0 ? 2 : 1;
      expect(stderr).toContainEqual({ summary: { tokens: 3, failed, exitCode: verifyArgs.length > 0 ? 3 : 2 } });
      expect(result.code).toBe(verifyArgs.length > 0 ? 3 : 2);
    }
  });

  it('without --json the summary stays a sentence', async () => {
    const result = await runCli(['decode', '-', '--verify', '--jwks', `${server.url}/jwks`], {
      stdin: `${await sign(key)}\nnot-a-token\n`,
    });
    expect(result.stderr).toContain('1 of 2 tokens failed.');
  });
});

describe('tokens from servers with real-world key sets', () => {
  it('a token without kid verifies against a set with several keys of its type (exit 0)', async () => {
    const others = await Promise.all([makeKey('RS256', 'a'), makeKey('RS256', 'b')]);
    const multi = await startServer({
      '/jwks': json({ keys: [others[0]!.publicJwk, key.publicJwk, others[1]!.publicJwk] }),
    });
    try {
      const result = await runCli([
        'decode',
        await sign(key, { header: { kid: undefined } }),
        '--verify',
        '--jwks',
        `${multi.url}/jwks`,
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).verification.checked[0]).toContain('found by trying each key that fits');
      const forged = await runCli([
        'decode',
        await sign(otherKeySameKid, { header: { kid: undefined } }),
        '--verify',
        '--jwks',
        `${multi.url}/jwks`,
      ]);
      expect(forged.code).toBe(3);
      expect(forged.stderr).toContain('JWT_SIGNATURE_INVALID');
      expect(forged.stderr).not.toMatch(STACK_TRACE);
    } finally {
      await multi.close();
    }
  });
});
