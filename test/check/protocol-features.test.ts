// The PAR, DPoP, mTLS, JARM, request object and RAR rules beyond their one trigger and one sound case (rules.test.ts):
// a real server's metadata with every feature on stays quiet, a member of the wrong type is reported once and breaks
// nothing, and no finding is said twice.
import { describe, expect, it } from 'vitest';
import { audit } from '../../src/check/audit.js';
import type { Finding } from '../../src/check/catalog.js';
import { checkMetadata } from '../../src/check/metadata.js';

const ISSUER = 'https://id.example.com';
/** What oidc-provider 9.13 serves with dPoP, pushedAuthorizationRequests, requestObjects, jwtResponseModes,
 * richAuthorizationRequests, mTLS (certificate-bound tokens, both TLS auth methods) and revocation enabled. */
const oidcProvider = {
  authorization_endpoint: `${ISSUER}/auth`,
  claims_parameter_supported: false,
  claims_supported: ['sub', 'sid', 'auth_time', 'iss'],
  code_challenge_methods_supported: ['S256'],
  end_session_endpoint: `${ISSUER}/session/end`,
  grant_types_supported: ['implicit', 'authorization_code', 'refresh_token'],
  issuer: ISSUER,
  jwks_uri: `${ISSUER}/jwks`,
  authorization_response_iss_parameter_supported: true,
  response_modes_supported: ['form_post', 'fragment', 'query', 'jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt'],
  response_types_supported: ['code id_token', 'code', 'id_token', 'none'],
  scopes_supported: ['openid', 'offline_access'],
  subject_types_supported: ['public'],
  token_endpoint_auth_methods_supported: [
    'none',
    'client_secret_basic',
    'client_secret_post',
    'private_key_jwt',
    'tls_client_auth',
    'self_signed_tls_client_auth',
  ],
  token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'],
  token_endpoint: `${ISSUER}/token`,
  id_token_signing_alg_values_supported: ['RS256'],
  pushed_authorization_request_endpoint: `${ISSUER}/request`,
  request_uri_parameter_supported: false,
  request_parameter_supported: true,
  request_object_signing_alg_values_supported: ['HS256', 'RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'],
  userinfo_endpoint: `${ISSUER}/me`,
  authorization_signing_alg_values_supported: ['RS256'],
  dpop_signing_alg_values_supported: ['ES256', 'Ed25519', 'EdDSA'],
  revocation_endpoint: `${ISSUER}/token/revocation`,
  tls_client_certificate_bound_access_tokens: true,
  authorization_details_types_supported: ['payment_initiation'],
  claim_types_supported: ['normal'],
};
const loud = (findings: Finding[]) => findings.filter((item) => item.severity !== 'info').map((item) => item.id);
const ids = (findings: Finding[]) => findings.map((item) => item.id);

describe('metadata with every feature on', () => {
  it('oidc-provider 9.13 with DPoP, PAR, JAR, JARM, RAR and mTLS on: no error or warning', () => {
    const findings = checkMetadata(oidcProvider, ISSUER);
    expect(loud(findings)).toEqual([]);
    // Its default request object algorithms include HS256 (RFC 9101 allows a client secret as the key): a hint only.
    expect(ids(findings)).toEqual(['server-request-object-alg-symmetric']);
  });

  it('the same on loopback http, as a local server serves it, with its mTLS aliases on https', () => {
    const local = 'http://127.0.0.1:9400';
    const metadata = JSON.parse(JSON.stringify(oidcProvider).replaceAll(ISSUER, local));
    const aliases = { token_endpoint: 'https://127.0.0.1:9401/token', userinfo_endpoint: 'https://127.0.0.1:9401/me' };
    expect(loud(checkMetadata({ ...metadata, mtls_endpoint_aliases: aliases }, local))).toEqual([]);
    // Without the aliases, certificate-bound tokens have nowhere to get a certificate.
    expect(loud(checkMetadata(metadata, local))).toEqual(['server-mtls-no-tls-endpoint']);
  });
});

describe('nothing said twice', () => {
  it('"none" among DPoP, JARM or request object algorithms is their own rule, not also server-alg-none', () => {
    for (const [member, id] of [
      ['dpop_signing_alg_values_supported', 'server-dpop-alg-not-asymmetric'],
      ['authorization_signing_alg_values_supported', 'server-jarm-alg-not-asymmetric'],
      ['request_object_signing_alg_values_supported', 'server-request-object-alg-none'],
    ] as const) {
      const found = ids(checkMetadata({ ...oidcProvider, [member]: ['none'] }, ISSUER));
      expect(found).toContain(id);
      expect(found).not.toContain('server-alg-none');
    }
    expect(ids(checkMetadata({ ...oidcProvider, userinfo_signing_alg_values_supported: ['none'] }, ISSUER))).toContain(
      'server-alg-none',
    );
  });

  it('with JARM on offer, a missing iss parameter is the JARM warning alone', () => {
    const found = ids(
      checkMetadata({ ...oidcProvider, authorization_response_iss_parameter_supported: false }, ISSUER),
    );
    expect(found).toContain('server-jarm-no-iss-parameter');
    expect(found).not.toContain('server-no-iss-parameter');
  });

  it('a PAR endpoint on plain http is the endpoint rule; a server without authorization endpoint needs no PAR', () => {
    const plain = checkMetadata(
      { ...oidcProvider, pushed_authorization_request_endpoint: 'http://id.example.com/par' },
      ISSUER,
    );
    expect(plain.filter((item) => item.id === 'server-endpoint-not-https').map((item) => item.message)).toEqual([
      'pushed_authorization_request_endpoint is "http://id.example.com/par", not an https URL.',
    ]);
    const { authorization_endpoint: _, pushed_authorization_request_endpoint: __, ...machineOnly } = oidcProvider;
    expect(ids(checkMetadata(machineOnly, ISSUER))).not.toContain('server-no-par');
  });

  it('an mTLS alias on plain http or not a URL is the endpoint rule', () => {
    const found = checkMetadata(
      {
        ...oidcProvider,
        mtls_endpoint_aliases: { token_endpoint: 'http://id.example.com/token', userinfo_endpoint: '/me' },
      },
      ISSUER,
    );
    expect(found.filter((item) => item.id === 'server-endpoint-not-https').map((item) => item.subject)).toEqual([
      'http://id.example.com/token',
      '/me',
    ]);
  });
});

describe('misbehaving metadata', () => {
  it('a new member of the wrong type is one server-metadata-type error naming it, and the feature rules skip it', () => {
    for (const [member, value] of [
      ['dpop_signing_alg_values_supported', 'ES256'],
      ['dpop_signing_alg_values_supported', ['ES256', 7]],
      ['tls_client_certificate_bound_access_tokens', 'true'],
      ['authorization_details_types_supported', { type: 'x' }],
      ['authorization_signing_alg_values_supported', null],
      ['mtls_endpoint_aliases', ['https://id.example.com/token']],
      ['require_pushed_authorization_requests', 1],
    ] as const) {
      const found = checkMetadata({ ...oidcProvider, [member]: value }, ISSUER);
      const typeErrors = found.filter((item) => item.id === 'server-metadata-type');
      expect(typeErrors.map((item) => item.subject)).toEqual([member]);
      expect(loud(found).filter((id) => id !== 'server-metadata-type')).toEqual([]);
    }
  });

  it('control characters and huge lists: messages stay short and escaped', () => {
    const hostile = '\u001b[31mHS256\u0007\r\n';
    const found = checkMetadata(
      {
        ...oidcProvider,
        dpop_signing_alg_values_supported: [hostile, ...Array.from({ length: 100_000 }, (_, i) => `HS${i}`)],
        request_object_signing_alg_values_supported: ['none', hostile],
        mtls_endpoint_aliases: Object.fromEntries(
          Array.from({ length: 5000 }, (_, i) => [`e${i}\u001b`, `https://evil.example/${i}\u0007`]),
        ),
      },
      ISSUER,
    );
    expect(ids(found)).toContain('server-dpop-alg-not-asymmetric');
    expect(found.filter((item) => item.id === 'server-mtls-alias-other-site')).toHaveLength(100);
    for (const item of found) {
      expect(item.message.length).toBeLessThan(400);
      expect(item.message).not.toMatch(/[\u0000-\u001f]/);
    }
  });
});

describe('client rules with the server\u2019s metadata', () => {
  const deps = (metadata: Record<string, unknown>) => ({
    fetchMetadata: async () => metadata,
    fetchJwks: async () => ({ keys: [] }),
    http: async () => {
      throw new Error('no HTTP in these tests');
    },
  });
  const run = (metadata: Record<string, unknown>, client: Record<string, unknown>, dpop?: boolean) =>
    audit(
      {
        issuer: ISSUER,
        client: {
          client_id: 'app',
          redirect_uris: ['https://app.example.com/cb'],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          ...client,
        },
        tokens: [],
        maxTokenLifetimeSeconds: 3600,
        probe: false,
        dpop,
      },
      {
        ...deps(metadata),
        fetchJwks: async () => ({ keys: [] }),
        nowSeconds: () => 1_700_000_000,
        secrets: { add: () => undefined },
      },
    ).then(ids);

  it('a public client at a DPoP server, not using DPoP, hears it could', async () => {
    expect(await run(oidcProvider, { token_endpoint_auth_method: 'none' })).toContain('client-could-use-dpop');
    expect(await run(oidcProvider, { token_endpoint_auth_method: 'none' }, true)).not.toContain(
      'client-could-use-dpop',
    );
    const { dpop_signing_alg_values_supported: _, ...noDpop } = oidcProvider;
    expect(await run(noDpop, { token_endpoint_auth_method: 'none' })).not.toContain('client-could-use-dpop');
    expect(
      await run({ ...oidcProvider, dpop_signing_alg_values_supported: [] }, { token_endpoint_auth_method: 'none' }),
    ).not.toContain('client-could-use-dpop');
    expect(await run(oidcProvider, { token_endpoint_auth_method: 'private_key_jwt' })).not.toContain(
      'client-could-use-dpop',
    );
  });

  it('a client with a shared secret hears what the server offers instead, once', async () => {
    const found = await run(oidcProvider, { token_endpoint_auth_method: 'client_secret_post' });
    expect(found).toContain('client-secret-where-server-offers-asymmetric');
    expect(found).not.toContain('client-prefer-asymmetric-auth');
    const secretsOnly = { ...oidcProvider, token_endpoint_auth_methods_supported: ['client_secret_basic'] };
    const plain = await run(secretsOnly, { token_endpoint_auth_method: 'client_secret_basic' });
    expect(plain).toContain('client-prefer-asymmetric-auth');
    expect(plain).not.toContain('client-secret-where-server-offers-asymmetric');
    // A list of the wrong type offers nothing, and breaks nothing.
    const odd = await run(
      {
        ...oidcProvider,
        token_endpoint_auth_methods_supported: 'private_key_jwt',
        dpop_signing_alg_values_supported: 'ES256',
      },
      { token_endpoint_auth_method: 'none' },
    );
    expect(odd).not.toContain('client-could-use-dpop');
    expect(odd).toContain('server-metadata-type');
  });
});
