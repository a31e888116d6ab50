// verifyToken itself: a token without kid (or with a kid two keys share) against a set with several keys of its type,
// and the exact reason for every malformed or missing time claim.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileKeySet, type KeySet } from '../../src/jwt/keys.js';
import { verifyToken } from '../../src/jwt/verifier.js';
import { makeKey, now, sign, signRaw, type TestKey } from '../helpers/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'oauth-verify-'));
const policy = { clockSkewSeconds: 30 };
let rsa: TestKey[];
let ec: TestKey[];
let stranger: TestKey;

async function keySet(keys: object[]): Promise<KeySet> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ keys }));
  return fileKeySet(file);
}

const withoutKid = ({ kid: _kid, ...jwk }: Record<string, unknown>) => jwk;

beforeAll(async () => {
  rsa = await Promise.all(['r1', 'r2', 'r3'].map((kid) => makeKey('RS256', kid)));
  ec = await Promise.all(['e1', 'e2'].map((kid) => makeKey('ES256', kid)));
  stranger = await makeKey('RS256', 'r2');
});

describe('several keys fit the token', () => {
  it('a token without kid verifies with whichever key of its type signed it, with or without kids in the set', async () => {
    const all = [...rsa, ...ec];
    for (const keys of [
      await keySet(all.map((key) => key.publicJwk)),
      await keySet(all.map((key) => withoutKid(key.publicJwk))),
    ]) {
      for (const signer of all) {
        const verified = await verifyToken(await sign(signer, { header: { kid: undefined } }), keys, policy, now());
        expect(verified.header.kid).toBeUndefined();
        expect(verified.checked[0]).toMatch(
          new RegExp(`^signature \\(${signer.alg}, found by trying each key that fits\\)`),
        );
      }
    }
  });

  it('two keys under one kid: the one that signed verifies, another key under that kid does not', async () => {
    const keys = await keySet([rsa[0]!.publicJwk, { ...rsa[1]!.publicJwk, kid: 'r1' }]);
    expect((await verifyToken(await sign(rsa[1]!, { header: { kid: 'r1' } }), keys, policy, now())).payload.sub).toBe(
      'alice',
    );
    await expect(
      verifyToken(await sign(stranger, { header: { kid: 'r1' } }), keys, policy, now()),
    ).rejects.toMatchObject({
      code: 'JWT_SIGNATURE_INVALID',
      exitCode: 3,
      message: expect.stringContaining('any of the 2 keys'),
    });
  });

  it('a key none of them matches is a bad signature (exit 3), and a claim failure after a good signature is that failure', async () => {
    const keys = await keySet(rsa.map((key) => key.publicJwk));
    await expect(
      verifyToken(await sign(stranger, { header: { kid: undefined } }), keys, policy, now()),
    ).rejects.toMatchObject({ code: 'JWT_SIGNATURE_INVALID', exitCode: 3 });
    const expired = await sign(rsa[2]!, {
      header: { kid: undefined },
      claims: { iat: now() - 7200, exp: now() - 3600 },
    });
    await expect(verifyToken(expired, keys, policy, now())).rejects.toMatchObject({ code: 'JWT_EXPIRED' });
    const wrongAudience = await sign(rsa[1]!, { header: { kid: undefined } });
    await expect(verifyToken(wrongAudience, keys, { ...policy, audience: ['other'] }, now())).rejects.toMatchObject({
      code: 'JWT_AUDIENCE_MISMATCH',
    });
  });
});

describe('time claims', () => {
  const claims = (times: string) => `{"iss":"https://issuer.test","sub":"alice"${times}}`;
  let keys: KeySet;
  beforeAll(async () => {
    keys = await keySet([rsa[0]!.publicJwk]);
  });
  const verifyRaw = (times: string) =>
    signRaw(rsa[0]!, { alg: 'RS256', kid: 'r1' }, claims(times)).then((token) =>
      verifyToken(token, keys, policy, now()),
    );

  it('a time claim that is not a finite number is malformed (JWT_CLAIM_INVALID), whatever the clock says', async () => {
    const cases: Array<[string, string]> = [
      [`,"nbf":"soon","exp":${now() + 900}`, '"nbf" is "soon", not a number'],
      [`,"exp":"${now() + 900}"`, `"exp" is "${now() + 900}", not a number`],
      [`,"iat":null,"exp":${now() + 900}`, '"iat" is null, not a number'],
      [',"exp":1e309', '"exp" is not a finite number (it reads as Infinity)'],
      [',"exp":-1e309', '"exp" is not a finite number (it reads as -Infinity)'],
      [`,"nbf":-1e309,"exp":${now() + 900}`, '"nbf" is not a finite number (it reads as -Infinity)'],
      [`,"iat":1e309,"exp":${now() + 900}`, '"iat" is not a finite number (it reads as Infinity)'],
      [`,"exp":{"at":1}`, '"exp" is {"at":1}, not a number'],
    ];
    for (const [times, reason] of cases) {
      await expect(verifyRaw(times), times).rejects.toMatchObject({
        code: 'JWT_CLAIM_INVALID',
        exitCode: 3,
        message: expect.stringContaining(reason),
      });
    }
  });

  it('reports checked against the clock only the time claims the token has; without exp it says the token never expires', async () => {
    const without = await verifyRaw(`,"iat":${now()}`);
    expect(without.checked.join('\n')).toContain('iat against the clock');
    expect(without.checked.join('\n')).not.toMatch(/exp/);
    expect(without.unchecked).toContain('expiry (the token has no "exp": it never expires)');

    const none = await verifyRaw('');
    expect(none.checked.join('\n')).not.toContain('against the clock');

    const all = await verifyRaw(`,"iat":${now()},"nbf":${now()},"exp":${now() + 60}`);
    expect(all.checked).toContain('exp, nbf and iat against the clock (±30s)');
    expect(all.unchecked.join('\n')).not.toContain('expiry');
  });
});
