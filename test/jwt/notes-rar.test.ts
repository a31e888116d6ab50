// decode's note on RFC 9396 authorization details carried by a JWT access token (RFC 9396 §9.1).
import { describe, expect, it } from 'vitest';
import type { DecodedJws } from '../../src/jwt/decode.js';
import { tokenNotes } from '../../src/jwt/notes.js';

const token = (payload: Record<string, unknown>): DecodedJws => ({
  kind: 'jws',
  header: { alg: 'RS256', kid: 'k', typ: 'at+jwt' },
  payload: { aud: 'api', exp: 2000, iat: 1000, ...payload },
  signature: 'sig',
  signatureBytes: 256,
});

describe('authorization_details in a token', () => {
  it('names the granted types', () => {
    const notes = tokenNotes(
      token({ authorization_details: [{ type: 'payment_initiation' }, { type: 'api_access' }] }),
      1500,
    );
    expect(notes).toContainEqual({
      level: 'info',
      text: 'Grants RFC 9396 authorization details of type payment_initiation, api_access.',
    });
  });

  it('warns about malformed ones', () => {
    const notes = tokenNotes(token({ authorization_details: { type: 'x' } }), 1500);
    expect(notes.find((note) => note.text.includes('authorization_details'))).toMatchObject({ level: 'warn' });
  });

  it('says nothing when there are none', () => {
    expect(tokenNotes(token({}), 1500).some((note) => note.text.includes('9396'))).toBe(false);
  });
});
