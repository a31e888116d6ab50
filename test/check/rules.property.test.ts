// Property tests for the check rules: random URLs, strings and scopes give findings from the catalog, never an
// exception.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { RULES } from '../../src/check/catalog.js';
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

  it('random scopes: findings from the catalog, never an exception', () => {
    fc.assert(
      fc.property(fc.string(), (scope) => checkScopes(scope, ['openid']).every((finding) => finding.id in RULES)),
      { numRuns: 2000 },
    );
  });
});
