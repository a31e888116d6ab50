// Random damage to a good JWK, for property tests of every place that loads keys: one to four members replaced by
// any JSON value, base64url text or a plausible wrong name, or removed.
import fc from 'fast-check';

const PLAUSIBLE_WRONG = [
  'RS256',
  'ES256',
  'EdDSA',
  'P-256',
  'P-384',
  'X25519',
  'Ed25519',
  'EC',
  'RSA',
  'OKP',
  'oct',
  'sig',
  'enc',
  '',
  'AAAA',
];

const values = fc.oneof(
  fc.jsonValue(),
  fc.base64String().map((text) => text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
  fc.constantFrom(...PLAUSIBLE_WRONG),
);

/** `good` with some of `members` changed or removed (an undefined value removes the member). */
export function damagedJwk(good: object, members: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const changes = fc.array(fc.tuple(fc.constantFrom(...members), fc.option(values, { nil: undefined })), {
    minLength: 1,
    maxLength: 4,
  });
  return changes.map((list) => {
    const jwk: Record<string, unknown> = { ...good };
    for (const [member, value] of list) {
      if (value === undefined) delete jwk[member];
      else jwk[member] = value;
    }
    return jwk;
  });
}
