// Property tests for the check rules: random URLs, strings, scopes and metadata give findings from the catalog, never
// an exception.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { RULES } from '../../src/check/catalog.js';
import { checkClient } from '../../src/check/client.js';
import { checkMetadata } from '../../src/check/metadata.js';
import { checkRedirectUri } from '../../src/check/redirect-uris.js';
import { checkScopes } from '../../src/check/scopes.js';

describe('check rules', () => {
  it('random URLs and strings into the redirect-URI rules: findings from the catalog, never an exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.webUrl({ withFragments: true, withQueryParameters: true }),
          fc.string(),
          fc.constantFrom('javascript:alert(1)', 'http://[::1', 'com.example:/x'),
        ),
        (uri) => {
          return checkRedirectUri(uri).every((finding) => finding.id in RULES && finding.subject === uri);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random metadata for PAR, DPoP, mTLS, JARM, request objects and RAR: findings from the catalog, never an exception', () => {
    const hostileString = fc.oneof(
      fc.string(),
      fc.constantFrom('none', 'NONE', 'HS256', 'hs512', 'ES256', '\u001b[31mHS256\u0007', 'query.jwt', 'jwt'),
    );
    const anyValue = fc.oneof(
      fc.anything(),
      fc.array(hostileString, { maxLength: 40 }),
      fc.webUrl(),
      fc.boolean(),
      fc.dictionary(fc.string(), fc.oneof(fc.webUrl(), fc.string(), fc.anything()), { maxKeys: 8 }),
    );
    const metadata = fc.record(
      {
        issuer: fc.oneof(fc.constant('https://id.example.com'), fc.string()),
        authorization_endpoint: anyValue,
        token_endpoint: anyValue,
        pushed_authorization_request_endpoint: anyValue,
        require_pushed_authorization_requests: anyValue,
        dpop_signing_alg_values_supported: anyValue,
        tls_client_certificate_bound_access_tokens: anyValue,
        mtls_endpoint_aliases: anyValue,
        response_modes_supported: anyValue,
        authorization_signing_alg_values_supported: anyValue,
        authorization_response_iss_parameter_supported: anyValue,
        request_object_signing_alg_values_supported: anyValue,
        request_parameter_supported: anyValue,
        request_uri_parameter_supported: anyValue,
        require_signed_request_object: anyValue,
        authorization_details_types_supported: anyValue,
        token_endpoint_auth_methods_supported: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(metadata, fc.oneof(fc.constant('https://id.example.com'), fc.string()), (document, issuer) =>
        checkMetadata(document, issuer).every((finding) => finding.id in RULES && typeof finding.message === 'string'),
      ),
      { numRuns: 1000 },
    );
  });

  it('random server offers into the client rules: findings from the catalog, never an exception', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'),
        fc.record(
          {
            serverOffersDpop: fc.boolean(),
            serverAuthMethods: fc.array(fc.string(), { maxLength: 20 }),
            usesDpop: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        (method, context) =>
          checkClient(
            {
              redirect_uris: ['https://app.example.com/cb'],
              grant_types: ['authorization_code'],
              response_types: ['code'],
              token_endpoint_auth_method: method,
            },
            ['S256'],
            context,
          ).every((finding) => finding.id in RULES),
      ),
      { numRuns: 500 },
    );
  });

  it('random scopes: findings from the catalog, never an exception', () => {
    fc.assert(
      fc.property(fc.string(), (scope) => checkScopes(scope, ['openid']).every((finding) => finding.id in RULES)),
      { numRuns: 2000 },
    );
  });
});
