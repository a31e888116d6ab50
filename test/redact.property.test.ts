// Property tests for redaction: a secret never survives in the places secrets are written, nor a known secret
// whatever surrounds it, and arbitrary text never makes it throw.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { redactJson, redactText } from '../src/redact.js';

describe('redaction', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9_~.+/-]{16,120}$/).filter((value) => !/^[.~+/-]/.test(value));

  it('never leaks a secret in the places secrets are written', () => {
    fc.assert(
      fc.property(
        secret,
        fc.constantFrom(
          'access_token',
          'refresh_token',
          'client_secret',
          'code',
          'code_verifier',
          'id_token',
          'device_code',
          'client_assertion',
        ),
        (value, name) => {
          const texts = [
            `${name}=${encodeURIComponent(value)}&other=1`,
            `{"${name}": "${value}", "token_type": "Bearer"}`,
            `Authorization: Bearer ${value}`,
            `https://app.example/cb?${name}=${encodeURIComponent(value)}`,
          ];
          return (
            texts.every((text) => !redactText(text).includes(value)) &&
            !JSON.stringify(redactJson({ [name]: value })).includes(value)
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never leaks a known secret, whatever surrounds it', () => {
    fc.assert(
      fc.property(
        secret,
        fc.string(),
        fc.string(),
        (value, before, after) => !redactText(`${before}${value}${after}`, [value]).includes(value),
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5000 }), (text) => typeof redactText(text) === 'string'),
      { numRuns: 1000 },
    );
  });
});
