// `oauth check --issuer` on the PAR, DPoP, mTLS, JARM, request object and RAR members, through the command: a server
// with every feature on and a hostile one whose members are wrong, with escape sequences in them.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE } from '../helpers/cli.js';
import { json, startServer, type TestServer } from '../helpers/server.js';

const jwks = () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' }] };
};
let modern: TestServer;
let hostile: TestServer;

/** The members oidc-provider 9.13 serves with DPoP, PAR, request objects, JARM, RAR and mTLS on. */
const features = (origin: string) => ({
  issuer: origin,
  authorization_endpoint: `${origin}/auth`,
  token_endpoint: `${origin}/token`,
  jwks_uri: `${origin}/jwks`,
  revocation_endpoint: `${origin}/token/revocation`,
  code_challenge_methods_supported: ['S256'],
  response_types_supported: ['code'],
  response_modes_supported: ['query', 'form_post', 'jwt', 'query.jwt', 'form_post.jwt'],
  authorization_response_iss_parameter_supported: true,
  token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'private_key_jwt', 'tls_client_auth'],
  id_token_signing_alg_values_supported: ['RS256'],
  pushed_authorization_request_endpoint: `${origin}/request`,
  request_parameter_supported: true,
  request_object_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
  authorization_signing_alg_values_supported: ['RS256'],
  dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
  tls_client_certificate_bound_access_tokens: true,
  mtls_endpoint_aliases: { token_endpoint: `${origin.replace('http:', 'https:')}/token` },
  authorization_details_types_supported: ['payment_initiation'],
});

beforeAll(async () => {
  modern = await startServer({});
  modern.route('/.well-known/openid-configuration', json(features(modern.url)));
  modern.route('/jwks', json(jwks()));
  hostile = await startServer({});
  const escapes = '\u001b[2J\u001b]0;pwned\u0007';
  hostile.route(
    '/.well-known/openid-configuration',
    json({
      ...features(hostile.url),
      pushed_authorization_request_endpoint: undefined,
      require_pushed_authorization_requests: true,
      dpop_signing_alg_values_supported: [
        'HS256',
        `ES256${escapes}`,
        ...Array.from({ length: 20_000 }, (_, i) => `ES${i}`),
      ],
      authorization_signing_alg_values_supported: ['none'],
      authorization_response_iss_parameter_supported: false,
      mtls_endpoint_aliases: { [`token_endpoint${escapes}`]: `https://evil.example/token${escapes}` },
      authorization_details_types_supported: [],
      tls_client_certificate_bound_access_tokens: 'yes',
    }),
  );
  hostile.route('/jwks', json(jwks()));
});
afterAll(async () => {
  await modern.close();
  await hostile.close();
});

const check = async (...args: string[]) => {
  const result = await runCli(['check', ...args], { env: sandboxEnv({ OAUTH_STORE: 'memory' }) });
  expect(result.stderr).not.toMatch(STACK_TRACE);
  return result;
};
const ids = (stdout: string, severity?: string) =>
  (JSON.parse(stdout).findings as Array<{ id: string; severity: string }>)
    .filter((item) => !severity || item.severity === severity)
    .map((item) => item.id);

describe('oauth check on modern OAuth metadata', () => {
  it('a server with every feature on: no error or warning; its public client hears it could use DPoP', async () => {
    const client = ['--client-id', 'app', '--redirect-uri', 'http://127.0.0.1/cb', '--public'];
    const result = await check('--json', '--issuer', modern.url, ...client);
    expect(result.code).toBe(0);
    expect(ids(result.stdout, 'error')).toEqual([]);
    expect(ids(result.stdout, 'warn')).toEqual([]);
    expect(ids(result.stdout)).toContain('client-could-use-dpop');
    const confidential = await check('--json', '--issuer', modern.url, '--client-id', 'web', '--confidential');
    expect(ids(confidential.stdout)).toContain('client-secret-where-server-offers-asymmetric');
  });

  it('a hostile server: exit 3, each rule named, nothing raw from it on the terminal', async () => {
    const result = await check('--json', '--issuer', hostile.url);
    expect(result.code).toBe(3);
    expect(ids(result.stdout, 'error')).toEqual(
      expect.arrayContaining([
        'server-par-required-no-endpoint',
        'server-dpop-alg-not-asymmetric',
        'server-jarm-alg-not-asymmetric',
        'server-metadata-type',
      ]),
    );
    expect(ids(result.stdout, 'warn')).toEqual(
      expect.arrayContaining([
        'server-jarm-no-iss-parameter',
        'server-mtls-alias-other-site',
        'server-rar-types-empty',
      ]),
    );
    const human = await check('--issuer', hostile.url);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('server-dpop-alg-not-asymmetric');
    for (const output of [result.stdout, result.stderr, human.stdout, human.stderr]) {
      expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
    expect(human.stdout.length).toBeLessThan(20_000);
  });
});
