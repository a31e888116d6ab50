// RFC 9396 authorization details: what the flag takes, what a token response may grant, what a session keeps.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import {
  authorizationDetailsProblem,
  grantedAuthorizationDetails,
  parseAuthorizationDetails,
} from '../../src/oauth/authorization-details.js';
import { parseSession, sessionFromResponse } from '../../src/oauth/session.js';

const DETAILS = [{ type: 'payment_initiation', actions: ['initiate'] }];

describe('parseAuthorizationDetails', () => {
  it('takes JSON or @file', () => {
    expect(parseAuthorizationDetails(JSON.stringify(DETAILS))).toEqual(DETAILS);
    const file = join(mkdtempSync(join(tmpdir(), 'rar-')), 'details.json');
    writeFileSync(file, JSON.stringify(DETAILS));
    expect(parseAuthorizationDetails(`@${file}`)).toEqual(DETAILS);
  });

  it.each([
    ['{"type":"a"}', /an object, not a JSON array/],
    ['[]', /empty array/],
    ['[null]', /item 0 is null/],
    ['[{"type":"a"},{"type":""}]', /item 1 has a "type" that is/],
    ['not json', /not valid JSON/],
  ])('refuses %s (exit 2)', (text, problem) => {
    try {
      parseAuthorizationDetails(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).code).toBe('USAGE');
      expect((error as CliError).message).toMatch(problem);
      expect((error as CliError).message).toContain('--authorization-details');
    }
  });

  it('names a missing file', () => {
    expect(() => parseAuthorizationDetails('@/nonexistent/details.json')).toThrow(/details\.json/);
  });
});

describe('granted details', () => {
  it("are the response's when it has them, else the requested ones", () => {
    const granted = [{ type: 'payment_initiation', status: 'granted' }];
    expect(grantedAuthorizationDetails({ authorization_details: granted }, DETAILS)).toEqual(granted);
    expect(grantedAuthorizationDetails({}, DETAILS)).toEqual(DETAILS);
    expect(grantedAuthorizationDetails({}, undefined)).toBeUndefined();
  });

  it('a malformed grant is a protocol error (exit 5), not stored', () => {
    expect(() => grantedAuthorizationDetails({ authorization_details: 'all' }, undefined)).toThrow(
      /authorization_details/,
    );
  });

  it('a session keeps them, through a refresh that does not repeat them, and a stored one is checked when read', () => {
    const response = { access_token: 'at-0123456789', token_type: 'bearer' as const, authorization_details: DETAILS };
    const session = sessionFromResponse(response, { issuer: 'https://as', clientId: 'c', nowSeconds: 1 });
    expect(session.authorization_details).toEqual(DETAILS);
    const refreshed = sessionFromResponse(
      { access_token: 'at-9876543210', token_type: 'bearer' },
      { issuer: 'https://as', clientId: 'c', nowSeconds: 2, previous: session },
    );
    expect(refreshed.authorization_details).toEqual(DETAILS);
    expect(parseSession(JSON.stringify(session), 'test')?.authorization_details).toEqual(DETAILS);
    expect(() => parseSession(JSON.stringify({ ...session, authorization_details: [{}] }), 'test')).toThrow(
      /"authorization_details" is not authorization details/,
    );
  });

  it('describes problems in words', () => {
    expect(authorizationDetailsProblem(DETAILS)).toBeUndefined();
    expect(authorizationDetailsProblem([{ type: 1 }])).toMatch(/a number/);
  });
});
