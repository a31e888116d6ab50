import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_SUBJECT, createLocalCa, keptLocalCa, writeLocalCa } from '../../src/serve/local-ca.js';

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

  describe('kept with the state', () => {
    const inTemporary = async (test: (directory: string) => Promise<void>) => {
      const directory = await mkdtemp(join(tmpdir(), 'oauth-ca-'));
      try {
        await test(join(directory, 'serve', 'mtls'));
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    };
    const noNotice = (text: string) => {
      throw new Error(`unexpected notice: ${text}`);
    };

    it('is made once and reused: the same CA and client certificate, a new server certificate from that CA', async () => {
      await inTemporary(async (directory) => {
        const first = await keptLocalCa(directory, noNotice);
        const second = await keptLocalCa(directory, noNotice);
        expect(second.ca.ca).toBe(first.ca.ca);
        expect(second.ca.client).toEqual(first.ca.client);
        expect(await readFile(second.files.clientCert, 'utf8')).toBe(first.ca.client.cert);
        expect(second.ca.server.cert).not.toBe(first.ca.server.cert);
        const server = new X509Certificate(second.ca.server.cert);
        expect(server.verify(new X509Certificate(first.ca.ca).publicKey)).toBe(true);
        expect((await stat(join(directory, 'ca-key.pem'))).mode & 0o777).toBe(0o600);
        expect((await stat(second.files.clientKey)).mode & 0o777).toBe(0o600);
      });
    });

    it('two servers starting at once end up with one CA', async () => {
      await inTemporary(async (directory) => {
        const [one, two] = await Promise.all([keptLocalCa(directory, noNotice), keptLocalCa(directory, noNotice)]);
        expect(one.ca.ca).toBe(two.ca.ca);
        expect(one.ca.client.key).toBe(two.ca.client.key);
        expect(await readFile(one.files.ca, 'utf8')).toBe(one.ca.ca);
      });
    });

    it('replaces a damaged, mismatched, expiring or incomplete one, and says so', async () => {
      const damages: Array<[string, (directory: string) => Promise<void>, string]> = [
        ['damaged', (directory) => writeFile(join(directory, 'client.pem'), 'not a certificate'), 'unreadable'],
        [
          'another key',
          (directory) => writeFile(join(directory, 'client-key.pem'), createLocalCa().client.key),
          'client-key.pem is not the key of client.pem',
        ],
        ['incomplete', (directory) => rm(join(directory, 'ca-key.pem')), 'incomplete'],
      ];
      for (const [what, damage, said] of damages) {
        await inTemporary(async (directory) => {
          const first = await keptLocalCa(directory, noNotice);
          await damage(directory);
          const notices: string[] = [];
          const second = await keptLocalCa(directory, (text) => notices.push(text));
          expect(notices.join('\n'), what).toContain(said);
          expect(second.ca.ca, what).not.toBe(first.ca.ca);
          expect(await keptLocalCa(directory, noNotice).then((third) => third.ca.ca), what).toBe(second.ca.ca);
        });
      }
      await inTemporary(async (directory) => {
        const old = await keptLocalCa(directory, noNotice, Date.now() - 5 * 365 * 24 * 3600 * 1000);
        const notices: string[] = [];
        const renewed = await keptLocalCa(directory, (text) => notices.push(text));
        expect(notices.join('\n')).toContain('expires on');
        expect(renewed.ca.ca).not.toBe(old.ca.ca);
      });
    });

    it('says a state directory it cannot write to (STORE_FAILED)', async () => {
      await inTemporary(async (directory) => {
        await mkdir(join(directory, '..'), { recursive: true });
        await writeFile(join(directory, '..', '..', 'blocker'), '');
        await expect(
          keptLocalCa(join(directory, '..', '..', 'blocker', 'mtls'), () => undefined),
        ).rejects.toMatchObject({
          code: 'STORE_FAILED',
        });
      });
    });
  });
});
