// A stored session is checked field by field before it is used: a wrong type, a missing field or a token with
// characters no token has is STORE_CORRUPT (exit 2) naming the field and where — for every command that reads it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSession } from '../../src/oauth/session.js';
import { sandboxWithTokenFile, spawnCli, STACK_TRACE } from '../helpers/cli.js';

const GOOD = {
  version: 1,
  issuer: 'https://id.example.test',
  client_id: 'cli',
  access_token: 'stored-access-token-0123456789',
  token_type: 'Bearer',
  obtained_at: 1,
  expires_at: 4102444800,
  refresh_token: 'stored-refresh-token-0123456789',
};

/** Every way a field can have the wrong type, one field at a time. */
const WRONG_FIELDS: Array<[string, unknown]> = [
  ['refresh_token', 5],
  ['refresh_token', ''],
  ['expires_at', 'x'],
  ['expires_at', null],
  ['access_token', ['a']],
  ['access_token', ''],
  ['issuer', { href: 'https://id.example.test' }],
  ['client_id', 7],
  ['token_type', true],
  ['obtained_at', '1'],
  ['id_token', 12],
  ['scope', ['openid']],
  ['subject', 42],
  ['client_secret', false],
  ['refresh_expires_at', 'tomorrow'],
  ['version', 2],
  // RFC 6749 Appendix A: tokens are printable ASCII; an escape sequence or a non-ASCII letter is no token.
  ['access_token', 'stored-access-\u001b[2J-0123456789'],
  ['refresh_token', 'stored-refresh-\u00e9-0123456789'],
  ['id_token', 'eyJ\u0000.eyJ.sig'],
  ['access_token', 'stored access\ttoken'],
];

describe('a stored session is checked field by field', () => {
  it('accepts a well-formed one', () => {
    expect(parseSession(JSON.stringify(GOOD), 'profile "default"')).toEqual(GOOD);
  });

  for (const [field, value] of WRONG_FIELDS) {
    it(`${field}: ${JSON.stringify(value)} is STORE_CORRUPT naming the field`, () => {
      expect(() =>
        parseSession(JSON.stringify({ ...GOOD, [field]: value }), 'profile "default" in file /x/tokens.json'),
      ).toThrow(
        expect.objectContaining({
          code: 'STORE_CORRUPT',
          exitCode: 2,
          message: expect.stringMatching(new RegExp(`in file /x/tokens\\.json are corrupt: "${field}"`)),
        }),
      );
    });
  }

  it('says what a value of the wrong type is, in words ("an object", "an array", "null")', () => {
    for (const [value, words] of [
      [{ href: 'x' }, 'an object'],
      [['a'], 'an array'],
      [null, 'null'],
      [7, 'a number'],
    ] as const) {
      expect(() => parseSession(JSON.stringify({ ...GOOD, issuer: value }), 'profile "default"')).toThrow(
        expect.objectContaining({ message: expect.stringContaining(`"issuer" is ${words};`) }),
      );
    }
  });

  it('a missing required field, an array and non-JSON are STORE_CORRUPT too', () => {
    const { access_token: _missing, ...noAccess } = GOOD;
    for (const text of [JSON.stringify(noAccess), '[]', 'null', '{"version":1', '"text"']) {
      expect(() => parseSession(text, 'profile "default"')).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
    }
  });
});

describe('a session with a field of the wrong type in the token file', () => {
  it('a session with a field of the wrong type: every command that reads it exits 2 naming the file, never 1', async () => {
    for (const [field, value] of [
      ['refresh_token', 5],
      ['expires_at', 'x'],
    ] as const) {
      const { env, file } = sandboxWithTokenFile(
        JSON.stringify({ version: 1, entries: { 'profile:default': JSON.stringify({ ...GOOD, [field]: value }) } }),
      );
      const before = readFileSync(file, 'utf8');
      for (const args of [['token'], ['token', '--refresh'], ['status'], ['revoke'], ['introspect'], ['userinfo']]) {
        const result = await spawnCli(args, {
          env: { ...env, OAUTH_ISSUER: GOOD.issuer, OAUTH_CLIENT_ID: GOOD.client_id },
        });
        const what = `oauth ${args.join(' ')} with ${field}: ${JSON.stringify(value)}\n${result.stderr}`;
        expect(result.code, what).toBe(2);
        expect(result.stderr, what).toContain('error[STORE_CORRUPT]');
        expect(result.stderr, what).toContain(file);
        expect(result.stderr, what).toContain(`"${field}"`);
        expect(result.stderr, what).toContain('or drop them with "oauth logout"');
        expect(result.stderr, what).not.toMatch(STACK_TRACE);
        expect(result.stdout + result.stderr, what).not.toContain(GOOD.access_token);
      }
      expect(readFileSync(file, 'utf8')).toBe(before);
      // logout is the way out: it drops the corrupt entry, saying what was wrong and that nothing was revoked.
      const logout = await spawnCli(['logout'], { env });
      expect(logout.code, logout.stderr).toBe(0);
      expect(logout.stdout).toContain(`"${field}"`);
      expect(logout.stdout).toContain('deleted them (nothing could be revoked at the server)');
      expect(JSON.parse(readFileSync(file, 'utf8')).entries).toEqual({});
    }
  });
});
