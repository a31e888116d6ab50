import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { certificateThumbprint, loadClientCertificate } from '../../src/net/client-cert.js';
import { clientAuthentication } from '../../src/oauth/client.js';
import { createHttpClient } from '../../src/net/http.js';
import { createLocalCa } from '../../src/serve/local-ca.js';
import { extensions, issueCertificate } from '../../src/serve/x509-der.js';

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

describe('a key TLS would refuse', () => {
  /** A client certificate from the local CA for a key of the given RSA size. */
  const rsaCertificate = (bits: number) => {
    const keys = generateKeyPairSync('rsa', { modulusLength: bits });
    const cert = issueCertificate({
      subject: 'weak-client',
      issuer: 'oauth serve local CA',
      publicKey: keys.publicKey,
      signingKey: createPrivateKey(local.caKey),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      extensions: [extensions.basicConstraints(false), extensions.keyUsage(false), extensions.extKeyUsage('client')],
    });
    return { cert, key: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
  };

  it('refuses an RSA key under 2048 bits up front, naming --key and its size (exit 2)', () => {
    const weak = rsaCertificate(1024);
    const key = file('key.pem', weak.key);
    const refused = refusal(() => loadClientCertificate({ cert: file('cert.pem', weak.cert), key }));
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toContain(`--key ${key.value} is an RSA key of 1024 bits`);
    expect(refused.hint).toContain('2048');
    const strong = rsaCertificate(2048);
    expect(loadClientCertificate({ cert: file('cert.pem', strong.cert), key: file('key.pem', strong.key) }).cert).toBe(
      strong.cert,
    );
  });

  // Node's TLS server refuses a certificate by closing the connection, without an alert, in TLS 1.2 and 1.3 alike.
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`says a refusal of the client certificate (${version}) as the certificate, not the network`, async () => {
      const other = createLocalCa();
      // The server trusts another CA and insists on a certificate of it.
      const server = createHttpsServer(
        {
          cert: other.server.cert,
          key: other.server.key,
          ca: other.ca,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: version,
          maxVersion: version,
        },
        (_request, response) => response.end('{}'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const caFile = file('server-ca.pem', other.ca).value;
      try {
        const http = createHttpClient({
          timeoutMs: 5000,
          insecure: false,
          verbosity: 0,
          trace: () => undefined,
          env: {},
          caFile,
          clientCertificate: { cert: local.client.cert, key: local.client.key },
        });
        const port = (server.address() as AddressInfo).port;
        const failure = await http
          .request({ url: `https://127.0.0.1:${port}/token`, purpose: 'token endpoint' })
          .catch((error: unknown) => error);
        await http.close();
        expect(failure).toMatchObject({ code: 'HTTP_NETWORK', exitCode: 5 });
        expect((failure as CliError).hint).toContain('--cert');
        expect((failure as CliError).hint).not.toContain('HTTPS_PROXY');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }

  it('says a key the TLS layer refuses (one that got past the checks) as the certificate: HTTP_TLS', async () => {
    const weak = rsaCertificate(1024);
    const http = createHttpClient({
      timeoutMs: 5000,
      insecure: false,
      verbosity: 0,
      trace: () => undefined,
      env: {},
      clientCertificate: weak,
    });
    const failure = await http
      .request({ url: 'https://127.0.0.1:9/token', purpose: 'token endpoint' })
      .catch((error: unknown) => error);
    await http.close();
    expect(failure).toMatchObject({ code: 'HTTP_TLS', exitCode: 5 });
    expect((failure as CliError).message).toContain('client certificate');
    expect((failure as CliError).hint).toContain('--key');
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
