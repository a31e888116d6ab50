// The registration flow's pure parts: what the store may hold, and a server without a registration endpoint.
import { describe, expect, it } from 'vitest';
import { isCliError } from '../../src/errors.js';
import { nativeClientMetadata, parseStoredRegistration, registerClient } from '../../src/oauth/registration.js';

describe('parseStoredRegistration', () => {
  it('reads what a registration stored, member by member', () => {
    const stored = {
      version: 1,
      issuer: 'https://id.example.com',
      client_id: 'abc',
      client_secret: 's3cret-0123456789',
      registration_access_token: 'rat-0123456789',
      registration_client_uri: 'https://id.example.com/reg/abc',
      client_secret_expires_at: 1_900_000_000,
    };
    expect(parseStoredRegistration(JSON.stringify(stored))).toEqual(stored);
  });

  it('is undefined for nothing, garbage and entries of another shape; drops members of the wrong type', () => {
    for (const text of [undefined, '', 'not json', 'null', '[]', '{"version":2,"issuer":"x","client_id":"y"}'])
      expect(parseStoredRegistration(text), String(text)).toBeUndefined();
    expect(
      parseStoredRegistration(JSON.stringify({ version: 1, issuer: 'x', client_id: 'y', client_secret: 42 })),
    ).toEqual({ version: 1, issuer: 'x', client_id: 'y' });
  });
});

describe('registerClient', () => {
  it('refuses a server without a registration endpoint before any request (exit 2)', async () => {
    let asked = false;
    const error = await registerClient(
      { issuer: 'https://id.example.com' },
      nativeClientMetadata('http://127.0.0.1/callback'),
      undefined,
      {
        http: async () => {
          asked = true;
          throw new Error('no request expected');
        },
        insecure: false,
        secrets: { add: () => undefined },
      },
    ).catch((caught: unknown) => caught);
    expect(isCliError(error) && error.exitCode).toBe(2);
    expect(isCliError(error) ? error.message : String(error)).toContain('does not advertise a registration endpoint');
    expect(asked).toBe(false);
  });
});
