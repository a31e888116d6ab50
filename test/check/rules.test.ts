// Every rule: one case that triggers it and one that does not. A rule added to the catalog without a case here fails.
import { describe, expect, it } from 'vitest';
import { RULES, type Finding, type RuleId } from '../../src/check/catalog.js';
import { checkClient, type ClientUnderTest } from '../../src/check/client.js';
import { checkClientDocument, checkClientIdUrl } from '../../src/check/client-document.js';
import { checkJwks, rsaModulusBits } from '../../src/check/jwks.js';
import { checkMetadata } from '../../src/check/metadata.js';
import {
  classify,
  pkceProbeFinding,
  redirectProbeFinding,
  redirectVariants,
  tokenEndpointFinding,
} from '../../src/check/probe.js';
import { checkRedirectUri } from '../../src/check/redirect-uris.js';
import { checkScopes } from '../../src/check/scopes.js';
import { checkAccessToken, checkOpaqueToken } from '../../src/check/token.js';
import { decodeToken, type DecodedJws } from '../../src/jwt/decode.js';
import { checkApi } from '../../src/check/api.js';
import { checkResource } from '../../src/check/resource.js';
import { audit } from '../../src/check/audit.js';
import { presentationFinding } from '../../src/check/dpop-probe.js';
import { CliError } from '../../src/errors.js';
import type { ProtectedResourceMetadata } from '../../src/oauth/resource.js';
import type { HttpClient } from '../../src/net/http.js';
import { defaultAttacker } from '../../src/serve/mint.js';
import { generateSigningKey, publicJwk } from '../../src/serve/state.js';
import { type ApiAnswer, type Mistake, tokenApi } from '../helpers/token-api.js';
import { b64 } from '../helpers/tokens.js';

const ISSUER = 'https://id.example.com';
const soundMetadata = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  revocation_endpoint: `${ISSUER}/revoke`,
  code_challenge_methods_supported: ['S256'],
  response_types_supported: ['code'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  id_token_signing_alg_values_supported: ['RS256'],
  authorization_response_iss_parameter_supported: true,
};
const withPar = { ...soundMetadata, pushed_authorization_request_endpoint: `${ISSUER}/par` };
const publicClient: ClientUnderTest = {
  client_id: 'cli',
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};
const webClient: ClientUnderTest = {
  client_id: 'web',
  redirect_uris: ['https://app.example.com/cb'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'private_key_jwt',
};
const rsa = (bits: number) => Buffer.concat([Buffer.from([0x80]), Buffer.alloc(bits / 8 - 1, 1)]).toString('base64url');
const key = (extra: Record<string, unknown> = {}) => ({
  kty: 'RSA',
  kid: 'k1',
  use: 'sig',
  alg: 'RS256',
  n: rsa(2048),
  e: 'AQAB',
  ...extra,
});
const now = Math.floor(Date.now() / 1000);
const token = (header: Record<string, unknown>, payload: Record<string, unknown>) =>
  decodeToken(`${b64(header)}.${b64(payload)}.sig`) as DecodedJws;
const goodToken = () =>
  token({ alg: 'RS256', typ: 'at+jwt' }, { iss: ISSUER, aud: 'api', iat: now, exp: now + 900, scope: 'read' });
const response = (status: number, headers: Record<string, string> = {}, body = '') => ({
  status,
  headers,
  body: Buffer.from(body),
});
const endpoint = `${ISSUER}/authorize`;
const registered = 'https://app.example.com/cb';
const DOCUMENT_URL = 'https://app.example.com/oauth/client.json';
const soundDocument = {
  client_id: DOCUMENT_URL,
  client_name: 'App',
  redirect_uris: ['https://app.example.com/cb'],
  token_endpoint_auth_method: 'none',
};

const USERINFO = `${ISSUER}/me`;
function dpopCase(how: 'dpop-no-proof' | 'bearer' | 'other-key', trigger: number, clean: number) {
  const run = (status: number) => () => [
    presentationFinding(
      how,
      response(status, { 'www-authenticate': 'DPoP error="invalid_token"' }),
      USERINFO,
      'a token',
    ),
  ];
  return { triggers: run(trigger), clean: run(clean) };
}
/** An audit with --probe at a server with no endpoints to probe but the DPoP probe's. */
function dpopAudit(dpopProbe: { skipped: string } | undefined) {
  const http: HttpClient = {
    request: () => Promise.reject(new Error('nothing is sent')),
    close: () => Promise.resolve(),
  };
  return audit(
    {
      issuer: ISSUER,
      client: { client_id: 'app', redirect_uris: [], grant_types: ['authorization_code'], response_types: ['code'] },
      tokens: [],
      maxTokenLifetimeSeconds: 3600,
      probe: true,
      dpopProbe,
    },
    {
      fetchMetadata: () => Promise.resolve({ issuer: ISSUER, userinfo_endpoint: USERINFO }),
      fetchJwks: () => Promise.resolve({ keys: [] }),
      http: () => Promise.resolve(http),
      nowSeconds: () => 1_700_000_000,
      secrets: { add: () => undefined },
    },
  );
}

/** Each rule id: a run that must produce it, and a run that must not. */
const RESOURCE = 'https://api.example.com/';
const PRM = 'https://api.example.com/.well-known/oauth-protected-resource';
type Run = () => Finding[] | Promise<Finding[]>;
const cases: Record<RuleId, { triggers: Run; clean: Run }> = {
  'redirect-uri-not-absolute': {
    triggers: () => checkRedirectUri('/callback'),
    clean: () => checkRedirectUri('https://app.example.com/cb'),
  },
  'redirect-uri-fragment': {
    triggers: () => checkRedirectUri('https://app.example.com/cb#x'),
    clean: () => checkRedirectUri('https://app.example.com/cb?x=1'),
  },
  'redirect-uri-dangerous-scheme': {
    triggers: () => checkRedirectUri('javascript:alert(1)'),
    clean: () => checkRedirectUri('com.example.app:/cb'),
  },
  'redirect-uri-userinfo': {
    triggers: () => checkRedirectUri('https://app.example.com@evil.example/cb'),
    clean: () => checkRedirectUri('https://app.example.com/cb'),
  },
  'redirect-uri-wildcard': {
    triggers: () => checkRedirectUri('https://*.example.com/cb'),
    clean: () => checkRedirectUri('https://a.example.com/cb'),
  },
  'redirect-uri-http': {
    triggers: () => checkRedirectUri('http://app.example.com/cb'),
    clean: () => checkRedirectUri('http://127.0.0.1:8400/cb'),
  },
  'redirect-uri-localhost': {
    triggers: () => checkRedirectUri('http://localhost:8400/cb'),
    clean: () => checkRedirectUri('http://[::1]:8400/cb'),
  },
  'redirect-uri-custom-scheme': {
    triggers: () => checkRedirectUri('myapp:/cb'),
    clean: () => checkRedirectUri('com.example.myapp:/cb'),
  },
  'scope-syntax': { triggers: () => checkScopes('openid,profile'), clean: () => checkScopes('openid profile') },
  'scope-overbroad': { triggers: () => checkScopes('openid admin'), clean: () => checkScopes('openid orders:read') },
  'scope-unsupported': {
    triggers: () => checkScopes('openid billing', ['openid']),
    clean: () => checkScopes('openid', ['openid']),
  },
  'client-password-grant': {
    triggers: () => checkClient({ ...webClient, grant_types: ['password'] }),
    clean: () => checkClient(webClient),
  },
  'client-implicit-grant': {
    triggers: () => checkClient({ ...webClient, response_types: ['id_token token'] }),
    clean: () => checkClient({ ...webClient, response_types: ['code id_token'] }),
  },
  'client-public-without-pkce': {
    triggers: () => checkClient(publicClient, null),
    clean: () => checkClient(publicClient, ['S256']),
  },
  'client-pkce-plain': {
    triggers: () => checkClient({ ...publicClient, code_challenge_method: 'plain' }, ['S256']),
    clean: () => checkClient({ ...publicClient, code_challenge_method: 'S256' }, ['S256']),
  },
  'client-confidential-auth-none': {
    triggers: () => checkClient({ ...webClient, token_endpoint_auth_method: 'none', public: false }),
    clean: () => checkClient({ ...webClient, public: false }),
  },
  'client-native-secret': {
    triggers: () => checkClient({ ...publicClient, token_endpoint_auth_method: 'client_secret_basic' }),
    clean: () => checkClient({ ...webClient, token_endpoint_auth_method: 'client_secret_basic' }),
  },
  'client-prefer-asymmetric-auth': {
    triggers: () => checkClient({ ...webClient, token_endpoint_auth_method: 'client_secret_post' }),
    clean: () => checkClient(webClient),
  },
  'client-secret-where-server-offers-asymmetric': {
    triggers: () =>
      checkClient({ ...webClient, token_endpoint_auth_method: 'client_secret_basic' }, ['S256'], {
        serverAuthMethods: ['client_secret_basic', 'private_key_jwt'],
      }),
    clean: () =>
      checkClient({ ...webClient, token_endpoint_auth_method: 'client_secret_basic' }, ['S256'], {
        serverAuthMethods: ['client_secret_basic', 'client_secret_post'],
      }),
  },
  'client-could-use-dpop': {
    triggers: () => checkClient(publicClient, ['S256'], { serverOffersDpop: true, usesDpop: false }),
    clean: () => checkClient(publicClient, ['S256'], { serverOffersDpop: true, usesDpop: true }),
  },
  'client-secret-short': {
    triggers: () => checkClient({ ...webClient, client_secret: 'hunter2' }),
    clean: () => checkClient({ ...webClient, client_secret: 'x'.repeat(32) }),
  },
  'client-document-url': {
    triggers: () => [
      ...checkClientIdUrl('http://app.example.com/client.json'),
      ...checkClientIdUrl('https://app.example.com'),
      ...checkClientIdUrl('https://app.example.com/a/../client.json'),
    ],
    clean: () => checkClientIdUrl(DOCUMENT_URL),
  },
  'client-document-unavailable': {
    triggers: () => checkClientDocument(DOCUMENT_URL, undefined, 'The document answered HTTP 404.'),
    clean: () => checkClientDocument(DOCUMENT_URL, soundDocument),
  },
  'client-document-client-id': {
    triggers: () => checkClientDocument(DOCUMENT_URL, { ...soundDocument, client_id: `${DOCUMENT_URL}/` }),
    clean: () => checkClientDocument(DOCUMENT_URL, soundDocument),
  },
  'client-document-redirect-uris': {
    triggers: () => checkClientDocument(DOCUMENT_URL, { ...soundDocument, redirect_uris: [] }),
    clean: () => checkClientDocument(DOCUMENT_URL, soundDocument),
  },
  'client-document-secret': {
    triggers: () =>
      checkClientDocument(DOCUMENT_URL, { ...soundDocument, token_endpoint_auth_method: 'client_secret_basic' }),
    clean: () =>
      checkClientDocument(DOCUMENT_URL, {
        ...soundDocument,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://app.example.com/jwks.json',
      }),
  },
  'client-document-jwks-uri': {
    triggers: () => checkClientDocument(DOCUMENT_URL, { ...soundDocument, jwks_uri: 'http://app.example.com/jwks' }),
    clean: () => checkClientDocument(DOCUMENT_URL, { ...soundDocument, jwks_uri: 'https://app.example.com/jwks.json' }),
  },
  'server-metadata-type': {
    triggers: () =>
      checkMetadata(
        { ...soundMetadata, scopes_supported: 5, jwks_uri: ['x'], require_pushed_authorization_requests: 'yes' },
        ISSUER,
      ),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-issuer-mismatch': {
    triggers: () => checkMetadata(soundMetadata, `${ISSUER}/tenant`),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-endpoint-not-https': {
    triggers: () => checkMetadata({ ...soundMetadata, token_endpoint: 'http://id.example.com/token' }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, token_endpoint: 'http://127.0.0.1:3000/token' }, ISSUER),
  },
  'server-pkce-not-advertised': {
    triggers: () => checkMetadata({ ...soundMetadata, code_challenge_methods_supported: undefined }, ISSUER),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-pkce-plain': {
    triggers: () => checkMetadata({ ...soundMetadata, code_challenge_methods_supported: ['S256', 'plain'] }, ISSUER),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-implicit': {
    triggers: () => checkMetadata({ ...soundMetadata, response_types_supported: ['code', 'token'] }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, response_types_supported: ['code', 'code id_token'] }, ISSUER),
  },
  'server-password-grant': {
    triggers: () => checkMetadata({ ...soundMetadata, grant_types_supported: ['password'] }, ISSUER),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-alg-none': {
    triggers: () =>
      checkMetadata({ ...soundMetadata, userinfo_signing_alg_values_supported: ['RS256', 'none'] }, ISSUER),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-no-iss-parameter': {
    triggers: () => checkMetadata({ ...soundMetadata, authorization_response_iss_parameter_supported: false }, ISSUER),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-no-revocation': {
    triggers: () => checkMetadata({ ...soundMetadata, revocation_endpoint: undefined }, ISSUER),
    clean: () => checkMetadata(soundMetadata, ISSUER),
  },
  'server-no-par': {
    triggers: () => checkMetadata(soundMetadata, ISSUER),
    clean: () => checkMetadata(withPar, ISSUER),
  },
  'server-par-required-no-endpoint': {
    triggers: () => checkMetadata({ ...soundMetadata, require_pushed_authorization_requests: true }, ISSUER),
    clean: () => checkMetadata({ ...withPar, require_pushed_authorization_requests: true }, ISSUER),
  },
  'server-dpop-alg-not-asymmetric': {
    triggers: () =>
      checkMetadata({ ...soundMetadata, dpop_signing_alg_values_supported: ['ES256', 'HS256', 'none'] }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, dpop_signing_alg_values_supported: ['ES256', 'EdDSA'] }, ISSUER),
  },
  'server-dpop-algs-empty': {
    triggers: () => checkMetadata({ ...soundMetadata, dpop_signing_alg_values_supported: [] }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, dpop_signing_alg_values_supported: ['ES256'] }, ISSUER),
  },
  'server-mtls-no-tls-endpoint': {
    triggers: () =>
      checkMetadata(
        {
          ...soundMetadata,
          token_endpoint: 'http://127.0.0.1:3000/token',
          tls_client_certificate_bound_access_tokens: true,
        },
        ISSUER,
      ),
    clean: () =>
      checkMetadata(
        {
          ...soundMetadata,
          token_endpoint: 'http://127.0.0.1:3000/token',
          tls_client_certificate_bound_access_tokens: true,
          mtls_endpoint_aliases: { token_endpoint: 'https://mtls.example.com/token' },
        },
        ISSUER,
      ),
  },
  'server-mtls-alias-other-site': {
    triggers: () =>
      checkMetadata(
        { ...soundMetadata, mtls_endpoint_aliases: { token_endpoint: 'https://mtls.evil.example/token' } },
        ISSUER,
      ),
    clean: () =>
      checkMetadata(
        { ...soundMetadata, mtls_endpoint_aliases: { token_endpoint: 'https://mtls.example.com/token' } },
        ISSUER,
      ),
  },
  'server-jarm-alg-not-asymmetric': {
    triggers: () => checkMetadata({ ...soundMetadata, authorization_signing_alg_values_supported: ['HS256'] }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, authorization_signing_alg_values_supported: ['PS256'] }, ISSUER),
  },
  'server-jarm-no-iss-parameter': {
    triggers: () =>
      checkMetadata(
        {
          ...soundMetadata,
          response_modes_supported: ['query', 'query.jwt'],
          authorization_response_iss_parameter_supported: undefined,
        },
        ISSUER,
      ),
    clean: () => checkMetadata({ ...soundMetadata, response_modes_supported: ['query', 'query.jwt'] }, ISSUER),
  },
  'server-request-object-alg-none': {
    triggers: () =>
      checkMetadata({ ...soundMetadata, request_object_signing_alg_values_supported: ['RS256', 'none'] }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, request_object_signing_alg_values_supported: ['RS256'] }, ISSUER),
  },
  'server-request-object-alg-symmetric': {
    triggers: () =>
      checkMetadata({ ...soundMetadata, request_object_signing_alg_values_supported: ['HS512', 'PS256'] }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, request_object_signing_alg_values_supported: ['PS256'] }, ISSUER),
  },
  'server-request-object-required-unusable': {
    triggers: () =>
      checkMetadata(
        {
          ...soundMetadata,
          require_signed_request_object: true,
          request_parameter_supported: false,
          request_uri_parameter_supported: false,
        },
        ISSUER,
      ),
    clean: () =>
      checkMetadata(
        {
          ...withPar,
          require_signed_request_object: true,
          request_parameter_supported: false,
          request_uri_parameter_supported: false,
        },
        ISSUER,
      ),
  },
  'server-rar-types-empty': {
    triggers: () => checkMetadata({ ...soundMetadata, authorization_details_types_supported: [] }, ISSUER),
    clean: () => checkMetadata({ ...soundMetadata, authorization_details_types_supported: ['api_access'] }, ISSUER),
  },
  'jwks-unavailable': {
    triggers: () => checkJwks({ keys: [] }, 'jwks'),
    clean: () => checkJwks({ keys: [key()] }, 'jwks'),
  },
  'jwks-private-key': {
    triggers: () => checkJwks({ keys: [key({ d: 'secret' })] }, 'jwks'),
    clean: () => checkJwks({ keys: [key()] }, 'jwks'),
  },
  'jwks-weak-rsa': {
    triggers: () => checkJwks({ keys: [key({ n: rsa(1024) })] }, 'jwks'),
    clean: () => checkJwks({ keys: [key()] }, 'jwks'),
  },
  'jwks-duplicate-kid': {
    triggers: () => checkJwks({ keys: [key(), key()] }, 'jwks'),
    clean: () => checkJwks({ keys: [key(), key({ kid: 'k2' })] }, 'jwks'),
  },
  'jwks-missing-kid': {
    triggers: () => checkJwks({ keys: [key({ kid: undefined }), key({ kid: 'k2' })] }, 'jwks'),
    clean: () => checkJwks({ keys: [key({ kid: undefined })] }, 'jwks'),
  },
  'jwks-ambiguous-key': {
    triggers: () =>
      checkJwks({ keys: [key({ use: undefined }), key({ kid: 'e1', use: 'enc', alg: 'RSA-OAEP-256' })] }, 'jwks'),
    clean: () => checkJwks({ keys: [key({ use: undefined, alg: undefined })] }, 'jwks'),
  },
  'token-lifetime': {
    triggers: () =>
      checkAccessToken(token({ alg: 'RS256', typ: 'at+jwt' }, { aud: 'api', iat: now, exp: now + 86400 }), {
        maxLifetimeSeconds: 3600,
      }),
    clean: () => checkAccessToken(goodToken(), { maxLifetimeSeconds: 3600 }),
  },
  'token-opaque': {
    triggers: () => checkOpaqueToken('2YotnFZFEjr1zCsicMWpAA'),
    clean: () => checkOpaqueToken('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'),
  },
  'token-no-exp': {
    triggers: () =>
      checkAccessToken(token({ alg: 'RS256', typ: 'at+jwt' }, { aud: 'api' }), { maxLifetimeSeconds: 3600 }),
    clean: () => checkAccessToken(goodToken(), { maxLifetimeSeconds: 3600 }),
  },
  'token-no-aud': {
    triggers: () =>
      checkAccessToken(token({ alg: 'RS256', typ: 'at+jwt' }, { exp: now + 60 }), { maxLifetimeSeconds: 3600 }),
    clean: () => checkAccessToken(goodToken(), { maxLifetimeSeconds: 3600 }),
  },
  'token-typ': {
    triggers: () =>
      checkAccessToken(token({ alg: 'RS256', typ: 'JWT' }, { aud: 'api', exp: now + 60 }), {
        maxLifetimeSeconds: 3600,
      }),
    clean: () =>
      checkAccessToken(token({ alg: 'RS256', typ: 'application/at+jwt' }, { aud: 'api', exp: now + 60 }), {
        maxLifetimeSeconds: 3600,
      }),
  },
  'token-extra-scopes': {
    triggers: () => checkAccessToken(goodToken(), { requestedScopes: ['openid'], maxLifetimeSeconds: 3600 }),
    clean: () => checkAccessToken(goodToken(), { requestedScopes: ['read'], maxLifetimeSeconds: 3600 }),
  },
  // Probe rules: classify() reads an answer, the deciders turn its outcome into the finding; the probes themselves run
  // against real servers in test/commands/check.test.ts.
  'probe-redirect-uri-matching': redirectCase(
    response(302, { location: `${registered}/evil?code=abc` }),
    response(400, {}, 'redirect_uri did not match'),
  ),
  'probe-redirect-uri-accepted': redirectCase(
    response(303, { location: '/interaction/abc' }),
    response(400, {}, 'redirect_uri did not match'),
  ),
  'probe-redirect-uri-refused': redirectCase(
    response(400, {}, 'redirect_uri did not match'),
    response(303, { location: '/interaction/abc' }),
  ),
  'probe-inconclusive': redirectCase(response(500), response(400, {}, 'redirect_uri did not match')),
  'probe-pkce-required': pkceCase(
    'none',
    response(200, {}, '<form><input type="password" name="password"></form>'),
    response(303, { location: `${registered}?error=invalid_request` }),
  ),
  'probe-pkce-plain-accepted': pkceCase(
    'plain',
    response(303, { location: `${ISSUER}/login` }),
    response(303, { location: `${registered}?error=invalid_request` }),
  ),
  'probe-pkce-enforced': pkceCase(
    'none',
    response(303, { location: `${registered}?error=invalid_request` }),
    response(303, { location: `${ISSUER}/login` }),
  ),
  'probe-token-endpoint': {
    triggers: () => [
      tokenEndpointFinding(
        response(200, { 'content-type': 'application/json' }, '{"access_token":"x"}'),
        { isPublic: true },
        `${ISSUER}/token`,
      ),
    ],
    clean: () => [
      tokenEndpointFinding(
        response(400, { 'cache-control': 'no-store' }, '{"error":"invalid_grant"}'),
        { isPublic: true },
        `${ISSUER}/token`,
      ),
    ],
  },
  'probe-token-endpoint-ok': {
    triggers: () => [
      tokenEndpointFinding(
        response(400, { 'cache-control': 'no-store' }, '{"error":"invalid_grant"}'),
        { isPublic: true },
        `${ISSUER}/token`,
      ),
    ],
    clean: () => [
      tokenEndpointFinding(response(400, {}, '{"error":"invalid_grant"}'), { isPublic: true }, `${ISSUER}/token`),
    ],
  },
  'probe-dpop-proof-not-required': dpopCase('dpop-no-proof', 200, 401),
  'probe-dpop-bearer-accepted': dpopCase('bearer', 200, 401),
  'probe-dpop-other-key-accepted': dpopCase('other-key', 200, 401),
  'probe-dpop-refused': dpopCase('other-key', 401, 200),
  'probe-dpop-inconclusive': dpopCase('bearer', 502, 401),
  'probe-dpop-skipped': {
    triggers: () => dpopAudit({ skipped: 'no DPoP-bound token: sign in with "oauth login --dpop" first' }),
    clean: () => dpopAudit(undefined),
  },
  'api-unprotected': apiCase({ wrap: (answer, token) => (token ? answer : { ...answer, status: 200 }) }),
  'api-accepts-expired': apiCase({ mistake: 'expired' }),
  'api-accepts-no-expiry': apiCase({ mistake: 'no-expiry' }),
  'api-accepts-not-yet-valid': apiCase({ mistake: 'nbf' }),
  'api-accepts-wrong-issuer': apiCase({ mistake: 'issuer' }),
  'api-accepts-issuer-prefix': apiCase({ mistake: 'issuer-prefix' }),
  'api-accepts-wrong-audience': apiCase({ mistake: 'audience' }),
  'api-accepts-no-audience': apiCase({ mistake: 'no-audience' }),
  'api-accepts-alg-none': apiCase({ mistake: 'alg-none' }),
  'api-accepts-hs256-public-key': apiCase({ mistake: 'hs256' }),
  'api-accepts-forged-signature': apiCase({ mistake: 'forged-signature' }),
  'api-trusts-jwk-header': apiCase({ mistake: 'jwk-header' }),
  'api-trusts-jku-header': apiCase({ wrap: acceptHeader('jku') }),
  'api-trusts-x5u-header': apiCase({ wrap: acceptHeader('x5u') }),
  'api-fetches-header-url': apiCase({ fetched: ['/jwks.json'] }),
  'api-accepts-wrong-typ': apiCase({ mistake: 'typ' }),
  'api-accepts-id-token': apiCase({ mistake: 'id-token' }),
  'api-accepts-missing-scope': apiCase({ mistake: 'scope' }),
  'api-accepts-other-tenant': apiCase({ mistake: 'tenant' }),
  'api-accepts-query-token': apiCase({ mistake: 'query' }),
  // An error for an API that advertises DPoP (here its challenge); a plain bearer API's is a warning (api.test.ts).
  'api-accepts-dpop-without-proof': apiCase({
    mistake: 'dpop',
    wrap: (answer, token) => (token ? answer : { ...answer, headers: { 'www-authenticate': 'DPoP algs="ES256"' } }),
  }),
  'api-refuses-with-server-error': apiCase({
    wrap: (answer, token) => (token && answer.status === 401 ? { ...answer, status: 500 } : answer),
  }),
  'api-401-without-challenge': apiCase({ wrap: (answer) => ({ ...answer, headers: {} }) }),
  'resource-unprotected': resourceCase({ status: 200, headers: {} }),
  'resource-not-401': resourceCase({ status: 302, headers: { location: '/login' } }),
  'resource-challenge-missing': resourceCase({ headers: {} }),
  'resource-challenge-malformed': resourceCase({ headers: { 'www-authenticate': 'Bearer realm="unterminated' } }),
  'resource-challenge-error-without-token': resourceCase({
    headers: { 'www-authenticate': `Bearer error="invalid_token", resource_metadata="${PRM}"` },
  }),
  'resource-challenge-no-metadata': resourceCase({ headers: { 'www-authenticate': 'Bearer realm="api"' } }),
  'resource-metadata-missing': resourceCase({
    discover: new CliError('DISCOVERY_FAILED', 'No protected resource metadata.', { details: { tried: [] } }),
  }),
  'resource-metadata-invalid': resourceCase({ discover: new CliError('METADATA_INVALID', 'not a JSON object') }),
  'resource-metadata-url-invalid': resourceCase({
    discover: new CliError('METADATA_INVALID', 'is a "file:" URL', { details: { member: 'resource_metadata' } }),
  }),
  'resource-metadata-mismatch': resourceCase({
    discover: new CliError('METADATA_INVALID', 'names another resource', {
      details: { reason: 'RESOURCE_MISMATCH', resource: 'https://bank.example/' },
    }),
  }),
  'resource-not-https': resourceCase({ metadata: { authorization_servers: ['http://id.example.com'] } }),
  'resource-bearer-methods-query': resourceCase({ metadata: { bearer_methods_supported: ['header', 'query'] } }),
  'resource-no-authorization-servers': resourceCase({ metadata: { authorization_servers: [] } }),
  'resource-authorization-server-unreachable': resourceCase({
    server: new CliError('DISCOVERY_FAILED', 'no discovery document'),
  }),
  'resource-not-listed-by-authorization-server': resourceCase({
    server: { issuer: ISSUER, protected_resources: ['https://other.example.com/'] },
  }),
  'resource-scope-not-offered': resourceCase({ metadata: { scopes_supported: ['orders:read', 'orders:delete'] } }),
};

/** check --resource with one thing wrong; the sound case is a 401 with a challenge and metadata that check out. */
function resourceCase(wrong: {
  status?: number;
  headers?: Record<string, string>;
  discover?: CliError;
  metadata?: Partial<ProtectedResourceMetadata>;
  server?: Record<string, unknown> | CliError;
}) {
  const run = async (mistaken: boolean) => {
    const use = mistaken ? wrong : {};
    const headers = use.headers ?? { 'www-authenticate': `Bearer resource_metadata="${PRM}"` };
    const http: HttpClient = {
      request: async () => ({ url: RESOURCE, status: use.status ?? 401, headers, body: Buffer.from(''), elapsedMs: 0 }),
      close: async () => undefined,
    };
    const metadata: ProtectedResourceMetadata = {
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: ['orders:read'],
      ...use.metadata,
    };
    const server = use.server ?? { issuer: ISSUER, protected_resources: [RESOURCE], scopes_supported: ['orders:read'] };
    const report = await checkResource(new URL(RESOURCE), {
      http,
      discover: async () => {
        if (use.discover) throw use.discover;
        return { metadata, url: PRM, source: 'challenge' };
      },
      fetchServerMetadata: async () => {
        if (server instanceof CliError) throw server;
        return server;
      },
      insecure: false,
    });
    return report.findings;
  };
  return { triggers: () => run(true), clean: () => run(false) };
}

const apiKey = generateSigningKey('ES256');
const API = 'https://api.example.com/orders';
type Wrap = (answer: ApiAnswer, token: string | undefined) => ApiAnswer;

/** An API (test/helpers/token-api.ts) making one mistake, or answering otherwise; the sound case is the correct API. */
function apiCase(options: { mistake?: Mistake; wrap?: Wrap; fetched?: string[] }) {
  const run = async (mistaken: boolean) => {
    const api = tokenApi({
      publicJwk: publicJwk(apiKey),
      issuer: ISSUER,
      audience: API,
      clientId: 'cli',
      scope: 'orders:read',
      tenant: { claim: 'tid', value: 'acme' },
      ...(mistaken && options.mistake ? { mistake: options.mistake } : {}),
    });
    const http: HttpClient = {
      async request(request) {
        const url = String(request.url);
        const authorization = request.headers?.authorization;
        let answer = await api({ url, authorization });
        if (mistaken && options.wrap) answer = options.wrap(answer, authorization?.slice(7));
        return { url, status: answer.status, headers: answer.headers, body: Buffer.from(answer.body), elapsedMs: 0 };
      },
      close: async () => undefined,
    };
    const input = {
      url: API,
      method: 'GET' as const,
      issuer: ISSUER,
      audience: API,
      scope: 'orders:read',
      clientId: 'cli',
      claims: { tid: 'acme' },
    };
    const deps = {
      http,
      now: () => Date.now(),
      key: apiKey,
      attacker: await defaultAttacker('ES256'),
      remember: () => undefined,
      fetchedFromKeyHost: () => (mistaken ? (options.fetched ?? []) : []),
    };
    return (await checkApi(input, deps)).findings;
  };
  return { triggers: () => run(true), clean: () => run(false) };
}

/** Accepts a token that carries this header (as an API fetching keys from it would), else answers as the API does. */
function acceptHeader(member: string): Wrap {
  return (answer, token) => {
    const header = token ? JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) : {};
    return member in header ? { ...answer, status: 200 } : answer;
  };
}

/** A redirect-URI variant's answer, classified and decided; the sound case is another answer. */
function redirectCase(answer: ReturnType<typeof response>, soundAnswer: ReturnType<typeof response>) {
  const variant = { kind: 'path appended', uri: `${registered}/evil` };
  const decide = (reply: ReturnType<typeof response>) => [
    redirectProbeFinding(classify(reply, endpoint, variant.uri, registered), variant, registered, {
      status: reply.status,
    }),
  ];
  return { triggers: () => decide(answer), clean: () => decide(soundAnswer) };
}

/** A public client's request without PKCE (none) or with plain PKCE, classified and decided. */
function pkceCase(
  method: 'none' | 'plain',
  answer: ReturnType<typeof response>,
  soundAnswer: ReturnType<typeof response>,
) {
  const decide = (reply: ReturnType<typeof response>) => [
    pkceProbeFinding(classify(reply, endpoint, registered, registered), method, 'cli', { status: reply.status }),
  ];
  return { triggers: () => decide(answer), clean: () => decide(soundAnswer) };
}

describe('every rule', () => {
  it('has a case here', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(RULES).sort());
  });
  for (const [id, { triggers, clean }] of Object.entries(cases) as Array<[RuleId, (typeof cases)[RuleId]]>) {
    it(`${id} triggers`, async () => {
      const found = (await triggers()).filter((item) => item.id === id);
      expect(found.length).toBeGreaterThan(0);
      expect(found[0]).toMatchObject({ severity: RULES[id].severity, area: RULES[id].area, spec: RULES[id].spec });
      expect(found[0]!.subject).not.toBe('');
    });
    it(`${id} stays quiet on the sound case`, async () => {
      expect((await clean()).filter((item) => item.id === id)).toEqual([]);
    });
  }
});

describe('details', () => {
  it('one error finding per broken redirect URI, naming it', () => {
    for (const uri of [
      'https://*.example.com/cb',
      'http://app.example.com/cb',
      'https://app.example.com/cb#frag',
      'javascript:alert(1)',
    ]) {
      const errors = checkRedirectUri(uri).filter((item) => item.severity === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.subject).toBe(uri);
    }
  });

  it('a sound native client and a sound web client produce no errors or warnings', () => {
    const loud = (findings: Finding[]) => findings.filter((item) => item.severity !== 'info');
    expect(
      loud([
        ...checkRedirectUri('http://127.0.0.1/callback'),
        ...checkClient(publicClient, ['S256']),
        ...checkScopes('openid offline_access'),
      ]),
    ).toEqual([]);
    expect(
      loud([
        ...checkRedirectUri(registered),
        ...checkClient(webClient, ['S256']),
        ...checkMetadata(soundMetadata, ISSUER),
        ...checkJwks({ keys: [key()] }, 'jwks'),
      ]),
    ).toEqual([]);
  });

  it('counts RSA modulus bits exactly', () => {
    expect(rsaModulusBits(rsa(2048))).toBe(2048);
    expect(rsaModulusBits(Buffer.from([0, 0x01, 0xff]).toString('base64url'))).toBe(9);
  });

  it('makes near-miss variants of a redirect URI, and none of a loopback port', () => {
    expect(redirectVariants('https://app.example.com/cb').map((variant) => variant.kind)).toEqual([
      'extra path segment',
      'extra query parameter',
      'trailing slash',
      'changed case',
      'another host',
      'http instead of https',
      'another port',
    ]);
    expect(redirectVariants('http://127.0.0.1/callback').map((variant) => variant.kind)).not.toContain('another port');
  });

  it('classify: a redirect to the registered URI with an error is a refusal; to the variant even with an error is not', () => {
    expect(
      classify(
        response(302, { location: `${registered}?error=invalid_request` }),
        endpoint,
        `${registered}/evil`,
        registered,
      ),
    ).toBe('refused');
    expect(
      classify(
        response(302, { location: `${registered}/evil?error=invalid_request` }),
        endpoint,
        `${registered}/evil`,
        registered,
      ),
    ).toBe('redirected-to-variant');
    expect(
      classify(
        response(302, { location: `${registered}?oauth_check=1&code=x` }),
        endpoint,
        `${registered}?oauth_check=1`,
        registered,
      ),
    ).toBe('redirected-to-variant');
  });
});
