// `oauth mint` as a new user runs it: the test suite of tokens against a running `oauth serve`, each with the verdict
// `oauth decode --verify` gives it, and one token per flag.
import * as jose from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { serve, stopEveryServe } from '../helpers/serve.js';

afterAll(stopEveryServe);

describe('oauth mint', () => {
  it('each variant of the suite gets the stated verdict from oauth decode --verify, and jose accepts the valid one', async () => {
    const env = sandboxEnv();
    const server = await serve(env);
    const { issuer, audience, jwks_uri } = server.info;
    const suite = await spawnCli(['mint', '--suite', '--issuer', issuer], { env });
    expect(suite.code, suite.stderr).toBe(0);
    const lines = suite.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.name)).toEqual(
      expect.arrayContaining([
        'valid',
        'expired',
        'not-yet-valid',
        'wrong-issuer',
        'wrong-audience',
        'bad-signature',
        'alg-none',
        'unknown-kid',
        'hs256-with-public-key',
        'issuer-prefix',
        'known-kid-other-key',
        'jwk-header',
        'jku-header',
        'x5u-header',
        'id-token',
        'missing-exp',
      ]),
    );
    for (const line of lines) {
      const result = await spawnCli(
        [
          'decode',
          '-',
          '--verify',
          '--jwks',
          jwks_uri,
          '--issuer',
          issuer,
          '--audience',
          audience,
          '--typ',
          'at+jwt',
          '--json',
        ],
        { env, stdin: line.token },
      );
      expect(result.stderr).not.toMatch(STACK_TRACE);
      if (line.expect === 'accept') {
        expect({ name: line.name, code: result.code }).toEqual({ name: line.name, code: 0 });
      } else {
        expect({ name: line.name, code: result.code, error: JSON.parse(result.stderr).error.code }).toEqual({
          name: line.name,
          code: 3,
          error: line.error_code,
        });
      }
    }
    const valid = lines.find((line) => line.name === 'valid')!;
    const { payload, protectedHeader } = await jose.jwtVerify(valid.token, jose.createRemoteJWKSet(new URL(jwks_uri)), {
      issuer,
      audience,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: 'test-user', scope: 'api:read', client_id: 'oauth-cli' });
    await server.stop();
  });

  it('mints one token per flag, raw on stdout, with the verdict on stderr', async () => {
    const env = sandboxEnv();
    const expired = await spawnCli(
      ['mint', '--expired', '--sub', 'bob', '--claim', 'tenant=acme', '--claim', 'level=3'],
      { env },
    );
    expect(expired.code).toBe(0);
    expect(expired.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(expired.stderr).toContain('expired: a correct API rejects it');
    const payload = JSON.parse(Buffer.from(expired.stdout.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({ sub: 'bob', tenant: 'acme', level: 3 });
    expect(payload.exp).toBeLessThan(Date.now() / 1000);
    const none = await spawnCli(['mint', '--alg', 'none'], { env });
    expect(none.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.\n$/);
    const two = await spawnCli(['mint', '--expired', '--wrong-issuer'], { env });
    expect(two.code).toBe(2);
    for (const extra of [
      ['--aud', 'https://api.example'],
      ['--typ', 'at+jwt'],
    ]) {
      const ignored = await spawnCli(['mint', '--id-token', ...extra], { env });
      expect(ignored.code).toBe(2);
      expect(ignored.stderr).toContain(extra[0]);
    }
    // A --claim that overrides a claim the verdict rests on would make "a correct API accepts it" a lie.
    for (const [claim, flag] of [
      ['exp=abc', '--expired'],
      ['iss=1', '--wrong-issuer'],
      ['aud="https://other"', '--wrong-audience'],
      ['scope=[1]', '--scope'],
    ]) {
      const overridden = await spawnCli(['mint', '--claim', claim!], { env });
      expect(overridden.code, claim).toBe(2);
      expect(overridden.stderr, claim).toContain(flag);
      expect(overridden.stdout, claim).toBe('');
      expect(overridden.stderr, claim).not.toContain('accepts it');
    }
    // So would a typ an API refuses (RFC 9068 §4): --wrong-typ makes that token, with its verdict.
    for (const typ of ['JWT', 'jwt', 'at+jwt+x']) {
      const typed = await spawnCli(['mint', '--typ', typ], { env });
      expect(typed.code, typ).toBe(2);
      expect(typed.stderr, typ).toContain('Use --wrong-typ instead');
      expect(typed.stdout, typ).toBe('');
    }
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT']) {
      const typed = await spawnCli(['mint', '--typ', typ], { env });
      expect(typed.code, typ).toBe(0);
      expect(typed.stderr, typ).toContain('a correct API accepts it');
    }
  });
});
