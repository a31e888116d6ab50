// Choosing a key source from decode's flags: exactly one source, an HMAC secret registered the moment it is read,
// discovery of the expected issuer when nothing else is given.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseKeySource, type KeySourceChoice, keySetFrom } from '../../src/jwt/key-source.js';

function choose(choice: KeySourceChoice) {
  const secrets: string[] = [];
  return { source: chooseKeySource(choice, (secret) => secrets.push(secret)), secrets };
}

describe('chooseKeySource', () => {
  it('refuses two sources, naming both flags', () => {
    expect(() => choose({ jwks: 'keys.json', secretFile: 'secret.txt' })).toThrow(
      expect.objectContaining({ code: 'USAGE', message: 'Give one key source, not --jwks and --secret-file.' }),
    );
  });

  it('reads a JWKS by URL, and a JWKS, JWK or PEM by file', () => {
    expect(choose({ jwks: 'https://id.example.com/jwks' }).source).toEqual({
      kind: 'jwks-url',
      url: 'https://id.example.com/jwks',
      name: 'JWKS URL',
    });
    expect(choose({ jwks: 'keys.json' }).source).toEqual({ kind: 'key-file', path: 'keys.json', origin: '--jwks' });
    expect(choose({ key: 'key.pem', issuer: 'https://id.example.com' }).source).toEqual({
      kind: 'key-file',
      path: 'key.pem',
      origin: '--key',
    });
  });

  it('registers an HMAC secret from the environment or a file before anything else', () => {
    const fromEnv = choose({ secretEnv: { name: 'HMAC', value: 'from-the-environment' } });
    expect(fromEnv.source).toEqual({ kind: 'secret', secret: 'from-the-environment', source: 'the secret in $HMAC' });
    expect(fromEnv.secrets).toEqual(['from-the-environment']);
    expect(() => choose({ secretEnv: { name: 'HMAC', value: '' } })).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );

    const file = join(mkdtempSync(join(tmpdir(), 'oauth-key-source-')), 'secret.txt');
    writeFileSync(file, 'from-a-file\n');
    const fromFile = choose({ secretFile: file });
    expect(fromFile.source).toEqual({ kind: 'secret', secret: 'from-a-file', source: `the secret in ${file}` });
    expect(fromFile.secrets).toEqual(['from-a-file']);
  });

  it('finds the keys by discovery of the expected issuer, and needs a source without one', () => {
    expect(choose({ issuer: 'https://id.example.com' }).source).toEqual({
      kind: 'discovery',
      issuer: 'https://id.example.com',
    });
    expect(() => choose({})).toThrow(
      expect.objectContaining({ code: 'USAGE', message: '--verify needs a key source.' }),
    );
  });
});

describe('keySetFrom', () => {
  it('opens an HMAC secret without the network', async () => {
    const keys = await keySetFrom(
      { kind: 'secret', secret: 'a-secret', source: 'the client secret' },
      { documents: () => Promise.reject(new Error('no network here')), insecure: false, now: Date.now },
    );
    expect(keys).toMatchObject({ kind: 'secret', source: 'the client secret' });
  });
});
