import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { certificateThumbprint, loadClientCertificate } from '../../src/net/client-cert.js';
import { clientAuthentication } from '../../src/oauth/client.js';
import { createLocalCa } from '../../src/serve/local-ca.js';

const local = createLocalCa();
const directory = mkdtempSync(join(tmpdir(), 'oauth-cert-'));
const file = (name: string, contents: string) => {
  const path = join(directory, name);
  writeFileSync(path, contents);
  return { value: path, origin: `--${name.split('.')[0]}` };
};

function refusal(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('loadClientCertificate', () => {
  it('gives the PEMs to the TLS layer with the RFC 8705 thumbprint of the certificate', () => {
    const loaded = loadClientCertificate({
      cert: file('cert.pem', local.client.cert),
      key: file('key.pem', local.client.key),
    });
    expect(loaded.cert).toBe(local.client.cert);
    expect(loaded.passphrase).toBeUndefined();
    expect(loaded.thumbprint).toMatch(/^[\w-]{43}$/);
    expect(loaded.thumbprint).toBe(certificateThumbprint(local.client.cert));
  });

  it('decrypts an encrypted key with its passphrase, and names the file when the passphrase is wrong', () => {
    const encrypted = createPrivateKey(local.client.key)
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'right one' })
      .toString();
    const cert = file('cert.pem', local.client.cert);
    const key = file('key.pem', encrypted);
    const loaded = loadClientCertificate({
      cert,
      key,
      passphrase: { value: 'right one', origin: 'OAUTH_KEY_PASSPHRASE' },
    });
    expect(loaded.passphrase).toBe('right one');
    const wrong = refusal(() =>
      loadClientCertificate({ cert, key, passphrase: { value: 'wrong one', origin: 'OAUTH_KEY_PASSPHRASE' } }),
    );
    expect(wrong.exitCode).toBe(2);
    expect(wrong.message).toBe(`Cannot decrypt --key ${key.value} with the passphrase from OAUTH_KEY_PASSPHRASE.`);
    expect(refusal(() => loadClientCertificate({ cert, key })).message).toContain('is encrypted and no passphrase');
  });

  it('refuses a key of another certificate, and files that are not PEM, without showing their contents', () => {
    const other = createLocalCa();
    const mismatch = refusal(() =>
      loadClientCertificate({ cert: file('cert.pem', local.client.cert), key: file('key.pem', other.client.key) }),
    );
    expect(mismatch.message).toContain('is not the private key of the certificate');
    const notPem = refusal(() =>
      loadClientCertificate({ cert: file('cert.pem', 'garbage'), key: file('key.pem', local.client.key) }),
    );
    expect(notPem.message).toContain('holds no PEM certificate');
    const keyNotPem = refusal(() =>
      loadClientCertificate({ cert: file('cert.pem', local.client.cert), key: file('key.pem', local.client.cert) }),
    );
    expect(keyNotPem.message).toContain('holds no PEM private key');
    for (const error of [mismatch, notPem, keyNotPem]) expect(error.message).not.toContain('BEGIN');
  });
});

describe('tls_client_auth', () => {
  it('needs a client certificate (exit 2), and sends only the client id with one', async () => {
    await expect(clientAuthentication({ clientId: 'c', authMethod: 'tls_client_auth' })).rejects.toThrow(
      'needs a client certificate',
    );
    const auth = await clientAuthentication({
      clientId: 'c',
      authMethod: 'self_signed_tls_client_auth',
      hasCertificate: true,
    });
    expect(typeof auth).toBe('function');
  });
});
