import { describe, expect, it } from 'vitest';
import { CliError, describeJsonType, Exit, saidAfter, sentence } from '../src/errors.js';

describe('CliError', () => {
  it('carries what the failure was as fields, apart from its message', () => {
    const error = new CliError('OAUTH_ERROR', 'The refresh failed: the server answered invalid_grant (HTTP 400).', {
      reason: 'the server answered invalid_grant (HTTP 400)',
      endpoint: 'token endpoint',
      status: 400,
      oauthError: 'invalid_grant',
    });
    expect(error).toMatchObject({
      code: 'OAUTH_ERROR',
      exitCode: Exit.remote,
      reason: 'the server answered invalid_grant (HTTP 400)',
      endpoint: 'token endpoint',
      status: 400,
      oauthError: 'invalid_grant',
    });
    expect(error.facts).toEqual({
      reason: 'the server answered invalid_grant (HTTP 400)',
      endpoint: 'token endpoint',
      status: 400,
      oauthError: 'invalid_grant',
    });
  });

  it('has no fields it was not given', () => {
    const error = new CliError('USAGE', 'No issuer given.');
    expect(error.facts).toEqual({
      reason: undefined,
      endpoint: undefined,
      status: undefined,
      oauthError: undefined,
    });
  });
});

describe('saidAfter', () => {
  it('puts the reason after the lead, as one sentence', () => {
    const error = new CliError('REFRESH_TOKEN_REJECTED', 'The refresh failed: the server answered invalid_grant.', {
      reason: 'the server answered invalid_grant',
    });
    expect(saidAfter('The refresh token was rejected', error)).toBe(
      'The refresh token was rejected: the server answered invalid_grant.',
    );
  });

  it('quotes a message whole, as a sentence of its own, when the error carries no reason', () => {
    const error = new CliError('INTERNAL', 'Something odd happened.');
    expect(saidAfter('could not revoke at the server', error)).toBe(
      'could not revoke at the server. Something odd happened.',
    );
  });
});

describe('sentence', () => {
  it('makes a clause a sentence', () => {
    expect(sentence('the token endpoint answered HTTP 400')).toBe('The token endpoint answered HTTP 400.');
  });
});

describe('describeJsonType', () => {
  it('names every JSON type with its article', () => {
    expect(describeJsonType(null)).toBe('null');
    expect(describeJsonType([1])).toBe('an array');
    expect(describeJsonType({ a: 1 })).toBe('an object');
    expect(describeJsonType('')).toBe('an empty string');
    expect(describeJsonType('secret')).toBe('a string');
    expect(describeJsonType(42)).toBe('a number');
    expect(describeJsonType(true)).toBe('a boolean');
    expect(describeJsonType(undefined)).toBe('nothing');
  });

  it('shows a scalar value only when asked, cut to a message-sized length', () => {
    expect(describeJsonType(42, { showValue: true })).toBe('the number 42');
    expect(describeJsonType(Number.POSITIVE_INFINITY, { showValue: true })).toBe('the number Infinity');
    expect(describeJsonType(false, { showValue: true })).toBe('the boolean false');
    expect(describeJsonType('code', { showValue: true })).toBe('the string "code"');
    expect(describeJsonType('x'.repeat(100), { showValue: true })).toBe(`the string "${'x'.repeat(59)}…`);
    expect(describeJsonType([1], { showValue: true })).toBe('an array');
    expect(describeJsonType('', { showValue: true })).toBe('an empty string');
  });
});
