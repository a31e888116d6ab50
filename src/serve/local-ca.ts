// The local CA of `oauth serve` for mutual TLS (RFC 8705): a CA and a client certificate, made once and kept with
// serve's state (the user's profiles point at them, and a second server on the same state must not replace them), and
// a server certificate for 127.0.0.1 and localhost issued by that CA each run (ECDSA P-256; see x509-der.ts for why
// they are written by hand).
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.js';
import { extensions, issueCertificate } from './x509-der.js';

export interface CertificateAndKey {
  cert: string;
  key: string;
}

export interface LocalCa {
  ca: string;
  /** The CA's private key, which issues each run's server certificate. */
  caKey: string;
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
const CA_NAME = 'oauth serve local CA';
const DAY_MS = 24 * 3600 * 1000;
/** The kept CA and client certificate last long; the server's, made each run, a month. */
const KEPT_DAYS = 5 * 365;
const SERVER_DAYS = 30;

const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const validity = (now: number, days: number) => ({
  notBefore: new Date(now - DAY_MS),
  notAfter: new Date(now + days * DAY_MS),
});

function issue(caKey: string, commonName: string, now: number, days: number, more: Buffer[]): CertificateAndKey {
  const keys = pair();
  const cert = issueCertificate({
    subject: commonName,
    issuer: CA_NAME,
    publicKey: keys.publicKey,
    signingKey: createPrivateKey(caKey),
    ...validity(now, days),
    extensions: [extensions.basicConstraints(false), extensions.keyUsage(false), ...more],
  });
  return { cert, key: pem(keys.privateKey) };
}

/** A server certificate for 127.0.0.1 and localhost, issued by the CA. */
export function issueServerCertificate(caKey: string, now = Date.now()): CertificateAndKey {
  return issue(caKey, '127.0.0.1', now, SERVER_DAYS, [
    extensions.subjectAltName(['localhost'], ['127.0.0.1']),
    extensions.extKeyUsage('server'),
  ]);
}

export function createLocalCa(now = Date.now()): LocalCa {
  const caKeys = pair();
  const ca = issueCertificate({
    subject: CA_NAME,
    issuer: CA_NAME,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    ...validity(now, KEPT_DAYS),
    extensions: [extensions.basicConstraints(true), extensions.keyUsage(true)],
  });
  const caKey = pem(caKeys.privateKey);
  const client = issue(caKey, CLIENT_COMMON_NAME, now, KEPT_DAYS, [extensions.extKeyUsage('client')]);
  return { ca, caKey, server: issueServerCertificate(caKey, now), client: { ...client, subject: CLIENT_SUBJECT } };
}

const fileNames = { ca: 'ca.pem', caKey: 'ca-key.pem', clientCert: 'client.pem', clientKey: 'client-key.pem' };
const filesIn = (directory: string): LocalCaFiles & { caKey: string } => ({
  ca: join(directory, fileNames.ca),
  caKey: join(directory, fileNames.caKey),
  clientCert: join(directory, fileNames.clientCert),
  clientKey: join(directory, fileNames.clientKey),
});

/** The CA and the client's certificate and key as files (keys 0600), for the user's --ca-file, --cert and --key. */
export async function writeLocalCa(directory: string, ca: LocalCa): Promise<LocalCaFiles> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const files = filesIn(directory);
  await writeFile(files.ca, ca.ca, { mode: 0o644 });
  await writeFile(files.caKey, ca.caKey, { mode: 0o600 });
  await writeFile(files.clientCert, ca.client.cert, { mode: 0o644 });
  await writeFile(files.clientKey, ca.client.key, { mode: 0o600 });
  // A key file left by an earlier run keeps its mode on rewrite: make sure.
  await chmod(files.caKey, 0o600);
  await chmod(files.clientKey, 0o600);
  const { caKey: _kept, ...forUser } = files;
  return forUser;
}

type Loaded = { ca: LocalCa; files: LocalCaFiles } | { missing: true } | { problem: string };

/** The kept CA and client certificate in `directory`, checked: each key its certificate's, signed by the CA, in date. */
async function loadKept(directory: string, now: number): Promise<Loaded> {
  const files = filesIn(directory);
  let text: Record<keyof typeof fileNames, string>;
  try {
    const [ca, caKey, clientCert, clientKey] = await Promise.all(
      [files.ca, files.caKey, files.clientCert, files.clientKey].map((path) => readFile(path, 'utf8')),
    );
    text = { ca: ca!, caKey: caKey!, clientCert: clientCert!, clientKey: clientKey! };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // Complete or absent (it is renamed into place whole); a part of it was left by a version that made it each run.
      const left = await readdir(directory).catch(() => []);
      return left.length === 0 ? { missing: true } : { problem: `is incomplete (${(error as Error).message})` };
    }
    return { problem: `cannot be read (${(error as Error).message})` };
  }
  try {
    const ca = new X509Certificate(text.ca);
    const client = new X509Certificate(text.clientCert);
    if (!ca.ca) return { problem: `${fileNames.ca} is not a CA certificate` };
    if (!ca.checkPrivateKey(createPrivateKey(text.caKey)))
      return { problem: `${fileNames.caKey} is not the key of ${fileNames.ca}` };
    if (!client.checkPrivateKey(createPrivateKey(text.clientKey)))
      return { problem: `${fileNames.clientKey} is not the key of ${fileNames.clientCert}` };
    if (!client.checkIssued(ca) || !client.verify(ca.publicKey))
      return { problem: `${fileNames.clientCert} is not issued by ${fileNames.ca}` };
    if (client.subject !== CLIENT_SUBJECT) return { problem: `${fileNames.clientCert} is not for ${CLIENT_SUBJECT}` };
    // A day's margin: a certificate that lapses while the server runs fails every request then.
    for (const [name, cert] of [
      [fileNames.ca, ca],
      [fileNames.clientCert, client],
    ] as const)
      if (Date.parse(cert.validTo) <= now + DAY_MS) return { problem: `${name} expires on ${cert.validTo}` };
  } catch (error) {
    return { problem: `is unreadable (${(error as Error).message})` };
  }
  const { caKey: _kept, ...forUser } = files;
  return {
    ca: {
      ca: text.ca,
      caKey: text.caKey,
      server: issueServerCertificate(text.caKey, now),
      client: { cert: text.clientCert, key: text.clientKey, subject: CLIENT_SUBJECT },
    },
    files: forUser,
  };
}

/**
 * The local CA kept in `directory`: made on first use, reused after (a new server certificate each run). One that is
 * damaged or expiring is replaced, and `notice` says so, since profiles using the old client certificate stop working.
 * Made beside and renamed into place, so two servers starting at once end up with the same one.
 */
export async function keptLocalCa(
  directory: string,
  notice: (text: string) => void,
  now = Date.now(),
): Promise<{ ca: LocalCa; files: LocalCaFiles }> {
  const kept = await loadKept(directory, now);
  if ('ca' in kept) return kept;
  if ('problem' in kept) {
    notice(
      `The local CA in ${directory} ${kept.problem}: made a new CA and client certificate; profiles using the old ones need them again (same paths).`,
    );
  }
  const fresh = createLocalCa(now);
  const beside = join(dirname(directory), `.mtls.${randomBytes(6).toString('hex')}.tmp`);
  const replace = 'problem' in kept ? rm(directory, { recursive: true, force: true }) : Promise.resolve();
  const failed = (error: unknown) =>
    new CliError('STORE_FAILED', `Cannot save the local CA to ${directory}: ${(error as Error).message}`, {
      hint: 'Make the state directory writable, or use --ephemeral for a throwaway CA.',
    });
  await Promise.all([replace, writeLocalCa(beside, fresh)]).catch(async (error) => {
    await rm(beside, { recursive: true, force: true }).catch(() => undefined);
    throw failed(error);
  });
  try {
    await rename(beside, directory);
  } catch (error) {
    await rm(beside, { recursive: true, force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    // Another server made it first: use that one.
    const theirs = code === 'ENOTEMPTY' || code === 'EEXIST' ? await loadKept(directory, now) : undefined;
    if (theirs && 'ca' in theirs) return theirs;
    throw failed(error);
  }
  const { caKey: _kept, ...forUser } = filesIn(directory);
  return { ca: fresh, files: forUser };
}
