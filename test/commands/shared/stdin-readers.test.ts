import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.js';
import { bufferIO } from '../../../src/term/io-buffer.js';

const home = () => mkdtempSync(join(tmpdir(), 'oauth-stdin-'));
const env = () => ({ HOME: home(), XDG_CONFIG_HOME: home(), OAUTH_STORE: 'file', OAUTH_ISSUER: 'https://as.invalid' });

describe('stdin has one reader per run', () => {
  const twoReaders: Array<{ argv: string[]; names: string[]; alternative: string }> = [
    {
      argv: ['introspect', '-', '--cert', 'c.pem', '--key', 'k.pem', '--key-passphrase-stdin'],
      names: ['"-"', '--key-passphrase-stdin'],
      alternative: 'OAUTH_KEY_PASSPHRASE',
    },
    {
      argv: ['revoke', '-', '--cert', 'c.pem', '--key', 'k.pem', '--key-passphrase-stdin'],
      names: ['"-"', '--key-passphrase-stdin'],
      alternative: 'OAUTH_KEY_PASSPHRASE',
    },
    {
      argv: ['token', '--client-credentials', '--client-id', 'app', '--client-secret-stdin', '--cert', 'c.pem'].concat([
        '--key',
        'k.pem',
        '--key-passphrase-stdin',
      ]),
      names: ['--client-secret-stdin', '--key-passphrase-stdin'],
      alternative: 'OAUTH_CLIENT_SECRET',
    },
    {
      argv: ['curl', '--key-passphrase-stdin', '--data-binary', '@-', 'https://api.invalid/'],
      names: ['--data-binary @-', '--key-passphrase-stdin'],
      alternative: '--data-binary @file',
    },
  ];

  for (const { argv, names, alternative } of twoReaders) {
    it(`refuses ${names.join(' with ')} before reading anything (exit 2, naming both and another way)`, async () => {
      const io = bufferIO({ env: env(), stdin: 'first\nsecond\n' });
      expect(await main(argv, io)).toBe(2);
      for (const name of names) expect(io.err()).toContain(name);
      expect(io.err()).toContain('both read stdin');
      expect(io.err()).toContain(alternative);
      expect(io.err()).not.toContain('Cancelled');
    });
  }

  it('lets a single reader have stdin', async () => {
    const io = bufferIO({ env: env(), stdin: 'not-a-jwt\n' });
    // decode reads its tokens from stdin: the refusal is not what answers.
    await main(['decode', '-'], io);
    expect(io.err()).not.toContain('both read stdin');
  });
});
