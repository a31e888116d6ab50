// The local CA of `oauth serve` for mutual TLS (RFC 8705): a CA, a server certificate for 127.0.0.1 and localhost, and
// a client certificate, made fresh for each run (ECDSA P-256; see x509-der.ts for why they are written by hand).
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extensions, issueCertificate } from './x509-der.js';

export interface CertificateAndKey {
  cert: string;
  key: string;
}

export interface LocalCa {
  ca: string;
  server: CertificateAndKey;
  client: CertificateAndKey & { subject: string };
}

export interface LocalCaFiles {
  ca: string;
  clientCert: string;
  clientKey: string;
}

/** The client certificate's common name; the tls_client_auth client is registered with its subject DN. */
export const CLIENT_COMMON_NAME = 'mtls-client';
/** The subject DN as Node's X509Certificate says it, which is what the server compares. */
export const CLIENT_SUBJECT = `CN=${CLIENT_COMMON_NAME}`;
const DAY_MS = 24 * 3600 * 1000;

export function createLocalCa(now = Date.now()): LocalCa {
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const validity = { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 30 * DAY_MS) };
  const caName = 'oauth serve local CA';
  const caKeys = pair();
  const ca = issueCertificate({
    subject: caName,
    issuer: caName,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    ...validity,
    extensions: [extensions.basicConstraints(true), extensions.keyUsage(true)],
  });
  const issue = (commonName: string, more: Buffer[]): CertificateAndKey => {
    const keys = pair();
    const cert = issueCertificate({
      subject: commonName,
      issuer: caName,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      ...validity,
      extensions: [extensions.basicConstraints(false), extensions.keyUsage(false), ...more],
    });
    return { cert, key: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
  };
  const server = issue('127.0.0.1', [
    extensions.subjectAltName(['localhost'], ['127.0.0.1']),
    extensions.extKeyUsage('server'),
  ]);
  const client = issue(CLIENT_COMMON_NAME, [extensions.extKeyUsage('client')]);
  return { ca, server, client: { ...client, subject: CLIENT_SUBJECT } };
}

/** The CA and the client's certificate and key as files (keys 0600), for the user's --ca-file, --cert and --key. */
export async function writeLocalCa(directory: string, ca: LocalCa): Promise<LocalCaFiles> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const files = {
    ca: join(directory, 'ca.pem'),
    clientCert: join(directory, 'client.pem'),
    clientKey: join(directory, 'client-key.pem'),
  };
  await writeFile(files.ca, ca.ca, { mode: 0o644 });
  await writeFile(files.clientCert, ca.client.cert, { mode: 0o644 });
  await writeFile(files.clientKey, ca.client.key, { mode: 0o600 });
  // A key file left by an earlier run keeps its mode on rewrite: make sure.
  await chmod(files.clientKey, 0o600);
  return files;
}
