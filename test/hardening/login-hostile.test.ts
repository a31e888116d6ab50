// The ID-token and callback paths of `oauth login` against a server that lies: every forgery is refused with a
// clear message and exit 3 (or 4 for a denial), never 0 or a stack trace.
import { createHmac, createPublicKey } from 'node:crypto';
import * as jose from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-as.js';
import { json } from '../helpers/server.js';
import { b64, unusableKeys } from '../helpers/tokens.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

let hostile: HostileServer;
let otherKey: CryptoKey;

beforeAll(async () => {
  hostile = await startHostileServer({ authorization_response_iss_parameter_supported: true });
  otherKey = (await jose.generateKeyPair('RS256', { extractable: true })).privateKey;
});
afterAll(() => hostile.close());
beforeEach(() => {
  hostile.callbackExtras = {};
});

/** The token endpoint answers with an ID token made when the request arrives (so it can carry the right nonce). */
function answerWith(idToken: () => Promise<string | undefined>) {
  hostile.token(async (_request, response) => {
    const token = await idToken();
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(
      JSON.stringify({
        access_token: 'hostile-access-token-0123456789',
        token_type: 'Bearer',
        expires_in: 300,
        ...(token ? { id_token: token } : {}),
      }),
    );
  });
}

const login = () =>
  spawnCli(['login', '--issuer', hostile.issuer, '--client-id', 'cli', '--scope', 'openid', '--login-timeout', '10'], {
    env: sandboxEnv({ BROWSER: SIMULATED_BROWSER, OAUTH_STORE: 'memory' }),
  });

async function expectRefused(code: string, exit = 3) {
  const result = await login();
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(result.stderr).toContain(`error[${code}]`);
  expect(result.code).toBe(exit);
  expect(result.stdout).not.toContain('Signed in');
  return result;
}

describe('oauth login against a lying server', () => {
  it('signs in when everything is right (so the refusals below mean something)', async () => {
    answerWith(() => hostile.idToken());
    const result = await login();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Signed in as "mallory"');
  });

  it('refuses an unsigned ID token (alg none)', async () => {
    answerWith(
      async () =>
        `${b64({ alg: 'none', kid: 'hostile-1' })}.${b64({ iss: hostile.issuer, aud: 'cli', sub: 'x', nonce: hostile.last.nonce, iat: 1, exp: 9999999999 })}.`,
    );
    await expectRefused('ID_TOKEN_INVALID');
  });

  it('refuses an ID token HMAC-signed with the server’s public key', async () => {
    answerWith(async () => {
      const pem = createPublicKey({ key: hostile.key.publicJwk as never, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      const input = `${b64({ alg: 'HS256', kid: 'hostile-1' })}.${b64({ iss: hostile.issuer, aud: 'cli', sub: 'x', nonce: hostile.last.nonce, iat: Math.floor(Date.now() / 1000), exp: 9999999999 })}`;
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    });
    await expectRefused('ID_TOKEN_INVALID');
  });

  it('refuses an ID token signed by another key under the published kid', async () => {
    answerWith(() => hostile.idToken({}, {}, otherKey));
    const result = await expectRefused('ID_TOKEN_INVALID');
    expect(result.stderr).toContain('signature');
  });

  for (const [name, claims, header] of [
    ['for another client (aud)', { aud: 'another-client' }, {}],
    ['from another issuer', { iss: 'https://evil.example' }, {}],
    ['that has expired', { iat: 1000, exp: 2000 }, {}],
    ['with the wrong nonce', { nonce: 'replayed-nonce' }, {}],
    ['with an unknown, path-like kid', {}, { kid: '../../../../etc/passwd' }],
    ['with a huge kid', {}, { kid: 'k'.repeat(100_000) }],
  ] as const) {
    it(`refuses an ID token ${name}`, async () => {
      answerWith(() => hostile.idToken(claims, header));
      await expectRefused('ID_TOKEN_INVALID');
    });
  }

  describe('key sets as real servers publish them', () => {
    let others: jose.JWK[];
    beforeAll(async () => {
      others = await Promise.all(
        [1, 2].map(async () => ({
          ...(await jose.exportJWK((await jose.generateKeyPair('RS256', { extractable: true })).publicKey)),
          alg: 'RS256',
          use: 'sig',
        })),
      );
    });
    afterAll(() => hostile.server.route('/jwks', json({ keys: [hostile.key.publicJwk] })));

    it('an ID token without kid verifies against a set with several RSA keys', async () => {
      const { kid: _kid, ...unnamed } = hostile.key.publicJwk;
      hostile.server.route('/jwks', json({ keys: [others[0], unnamed, others[1]] }));
      answerWith(() => hostile.idToken({}, { kid: undefined }));
      const result = await login();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('Signed in as "mallory"');
    });

    it('unusable keys are skipped with a warning; with none left, exit 5 JWKS_INVALID — never 1', async () => {
      const ec = (await jose.generateKeyPair('ES256', { extractable: true })).publicKey;
      const broken = unusableKeys(hostile.key.publicJwk, { ...(await jose.exportJWK(ec)), alg: 'ES256' });
      hostile.server.route('/jwks', json({ keys: [...broken, hostile.key.publicJwk] }));
      answerWith(() => hostile.idToken());
      const mixed = await login();
      expect(mixed.code, mixed.stderr).toBe(0);
      expect(mixed.stderr).toMatch(/warning: Skipped kid "ec-without-y"/);

      hostile.server.route('/jwks', json({ keys: broken }));
      answerWith(() => hostile.idToken());
      const result = await expectRefused('JWKS_INVALID', 5);
      expect(result.stderr).toContain('has no key that can verify signatures');
    });
  });

  it('refuses a token response without the ID token it asked for', async () => {
    answerWith(async () => undefined);
    await expectRefused('ID_TOKEN_INVALID');
  });

  it('refuses a callback whose iss is another server (RFC 9207 mix-up)', async () => {
    answerWith(() => hostile.idToken());
    hostile.callbackExtras = { iss: 'https://evil.example' };
    const result = await expectRefused('AUTH_RESPONSE_INVALID');
    expect(result.stderr).toContain('iss');
  });

  it('refuses a callback without iss when the server promises one', async () => {
    answerWith(() => hostile.idToken());
    hostile.callbackExtras = { iss: null };
    await expectRefused('AUTH_RESPONSE_INVALID');
  });

  it('reports a denial with the description stripped of escapes (exit 4)', async () => {
    hostile.callbackExtras = {
      code: null,
      error: 'access_denied',
      error_description: '\u001b[2J\u001b[31mYou said no <b>twice</b>',
    };
    const result = await expectRefused('ACCESS_DENIED', 4);
    expect(result.stderr).not.toContain('\u001b');
    expect(result.stderr).toContain('You said no');
  });
});
