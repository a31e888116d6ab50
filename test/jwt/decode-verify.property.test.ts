// Property tests for tokens: random bytes and near-JWTs never cause an unexpected exception or a hang — decoding gives
// a result or a CliError, verification refuses with exit 2 or 3, quickly.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as jose from 'jose';
import { beforeAll, describe, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { decodeToken } from '../../src/jwt/decode.js';
import { fileKeySet, type KeySet } from '../../src/jwt/keys.js';
import { verifyToken } from '../../src/jwt/verifier.js';

const b64url = (text: string) => Buffer.from(text).toString('base64url');
const jsonish = fc.oneof(
  fc.json(),
  fc.string(),
  fc.constant('{"alg":"RS256","kid":"k"}'),
  fc.constant('{"alg":"none"}'),
  fc.constant('{"exp":1e309}'),
);
/** Tokens that look almost right: base64url JSON segments, odd segment counts, stray characters. */
const nearJwt = fc
  .tuple(jsonish, jsonish, fc.string(), fc.integer({ min: 0, max: 6 }), fc.constantFrom('', '$', '=', ' ', '\n', '.'))
  .map(
    ([header, payload, signature, segments, noise]) =>
      [b64url(header), b64url(payload), b64url(signature), 'x', 'y', 'z'].slice(0, segments).join('.') + noise,
  );

function onlyCliErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    return error instanceof CliError && error.exitCode !== 1;
  }
}

describe('decode', () => {
  it('random bytes: a result or a CliError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) =>
        onlyCliErrors(() => decodeToken(Buffer.from(bytes).toString('latin1'))),
      ),
      { numRuns: 1000 },
    );
  });

  it('near-JWTs: a result or a CliError', () => {
    fc.assert(
      fc.property(nearJwt, (token) => onlyCliErrors(() => decodeToken(token))),
      { numRuns: 2000 },
    );
  });
});

describe('verify', () => {
  let keys: KeySet;
  beforeAll(async () => {
    const { publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
    const file = join(mkdtempSync(join(tmpdir(), 'oauth-prop-')), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'k', alg: 'RS256' }] }));
    keys = await fileKeySet(file);
  });

  it('near-JWTs are refused with a CliError (exit 2 or 3), quickly', async () => {
    await fc.assert(
      fc.asyncProperty(nearJwt, async (token) => {
        const started = Date.now();
        const outcome = await verifyToken(token, keys, { clockSkewSeconds: 30 }, Date.now() / 1000).then(
          () => 'accepted',
          (error: unknown) =>
            error instanceof CliError && [2, 3].includes(error.exitCode) ? 'refused' : `unexpected: ${String(error)}`,
        );
        return outcome === 'refused' && Date.now() - started < 1000;
      }),
      { numRuns: 500 },
    );
  });
});
