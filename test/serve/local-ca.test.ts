import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_SUBJECT, createLocalCa, writeLocalCa } from '../../src/serve/local-ca.js';

describe('the local CA of oauth serve', () => {
  it('issues a server certificate for 127.0.0.1 and localhost and a client certificate, both signed by the CA', async () => {
    const local = createLocalCa();
    const ca = new X509Certificate(local.ca);
    expect(ca.ca).toBe(true);
    const server = new X509Certificate(local.server.cert);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkPrivateKey(createPrivateKey(local.server.key))).toBe(true);
    const client = new X509Certificate(local.client.cert);
    expect(client.subject).toBe(CLIENT_SUBJECT);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.checkPrivateKey(createPrivateKey(local.client.key))).toBe(true);
    expect(client.ca).toBe(false);
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('makes certificates TLS accepts both ways: the server one for 127.0.0.1, the client one verified against the CA', async () => {
    const local = createLocalCa();
    const { createServer } = await import('node:https');
    const { request } = await import('node:https');
    const server = createServer(
      { cert: local.server.cert, key: local.server.key, ca: local.ca, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const socket = req.socket as import('node:tls').TLSSocket;
        res.end(`${socket.authorized} ${socket.getPeerX509Certificate()?.subject}`);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, ca: local.ca, cert: local.client.cert, key: local.client.key },
          (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe(`true ${CLIENT_SUBJECT}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('writes the client key with mode 0600', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'oauth-ca-'));
    try {
      const files = await writeLocalCa(join(directory, 'mtls'), createLocalCa());
      expect((await stat(files.clientKey)).mode & 0o777).toBe(0o600);
      expect(new X509Certificate(await import('node:fs').then((fs) => fs.readFileSync(files.ca))).ca).toBe(true);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
