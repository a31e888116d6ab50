// decode --cert (RFC 8705 §3.1): what a --cert that is no certificate, and a cnf x5t#S256 that is no thumbprint, say.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certificateThumbprint } from '../../src/net/client-cert.js';
import { createLocalCa } from '../../src/serve/local-ca.js';
import { runCli } from '../helpers/cli.js';
import { forge } from '../helpers/tokens.js';

const local = createLocalCa();
const directory = mkdtempSync(join(tmpdir(), 'oauth-decode-cert-'));
const file = (name: string, contents: string | Buffer) => {
  const path = join(directory, name);
  writeFileSync(path, contents);
  return path;
};
const certFile = file('client.pem', local.client.cert);
const token = (cnf: unknown) => forge({ alg: 'ES256', typ: 'at+jwt' }, { sub: 'u', cnf }, 'sig');

describe('decode --cert', () => {
  it('says a key file or a DER certificate given as --cert with the hint for certificates (exit 2)', async () => {
    const bound = token({ 'x5t#S256': certificateThumbprint(local.client.cert) });
    const key = await runCli(['decode', bound, '--cert', file('client-key.pem', local.client.key)]);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('holds a private key, not a certificate');
    const der = await runCli([
      'decode',
      bound,
      '--cert',
      file('client.der', new X509Certificate(local.client.cert).raw),
    ]);
    expect(der.code).toBe(2);
    expect(der.stderr).toContain('holds no readable PEM certificate');
    for (const result of [key, der]) {
      expect(result.stderr).toContain('BEGIN CERTIFICATE');
      expect(result.stderr).not.toContain('Give a PEM or JWK key');
    }
    expect((await runCli(['decode', bound, '--cert', certFile])).code).toBe(0);
  });

  it('says a cnf x5t#S256 that is not a thumbprint is malformed, not absent (exit 3 with --cert)', async () => {
    for (const value of [42, '', 'short', null, { a: 1 }]) {
      const shown = await runCli(['decode', token({ 'x5t#S256': value })]);
      expect(shown.code, String(value)).toBe(0);
      expect(shown.stdout, String(value)).toContain('malformed cnf x5t#S256');
      expect(shown.stdout).not.toContain('no cnf x5t#S256');
      const json = JSON.parse((await runCli(['decode', token({ 'x5t#S256': value }), '--json'])).stdout);
      expect(json.certificateBinding.malformed).toContain('not a base64url SHA-256 thumbprint');
      const checked = await runCli(['decode', token({ 'x5t#S256': value }), '--cert', certFile]);
      expect(checked.code).toBe(3);
      expect(checked.stderr).toContain('is malformed');
    }
    const absent = await runCli(['decode', token({ jkt: 'x' }), '--cert', certFile]);
    expect(absent.code).toBe(3);
    expect(absent.stderr).toContain('it has no cnf x5t#S256');
  });
});
