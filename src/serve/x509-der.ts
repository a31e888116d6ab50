// The few X.509 certificates `oauth serve` makes for mutual TLS, written as DER by hand: Node's crypto reads X.509 but
// cannot write it, and @peculiar/x509, the well-kept WebCrypto-based writer, needs a global Reflect-metadata polyfill
// (a second package that patches a global) before it loads. What is written here is the minimum RFC 5280 asks: v3,
// ECDSA P-256 with SHA-256, a CN-only name, and the extensions named below. Node's own X509Certificate reads each back
// in the tests.
import { type KeyObject, randomBytes, sign } from 'node:crypto';

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  const length = body.length;
  const header =
    length < 0x80
      ? Buffer.from([tag, length])
      : length < 0x100
        ? Buffer.from([tag, 0x81, length])
        : Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([header, body]);
};
const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octets = (content: Buffer) => tlv(0x04, content);
const bits = (content: Buffer) => tlv(0x03, Buffer.from([0]), content);
const bool = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
const explicit = (number: number, content: Buffer) => tlv(0xa0 | number, content);

function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A GeneralizedTime for every date: RFC 5280 §4.1.2.5 wants UTCTime before 2050, which every caller here is. */
function utcTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .slice(2);
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

/** A Name with one RDN: the common name (UTF8String). */
const name = (commonName: string) =>
  sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));

const ECDSA_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

const extension = (id: string, critical: boolean, value: Buffer) =>
  sequence(oid(id), ...(critical ? [bool(true)] : []), octets(value));

export type CertificateExtension = Buffer;

export const extensions = {
  /** basicConstraints (critical): a CA that signs only end-entity certificates, or an end entity. */
  basicConstraints: (ca: boolean) =>
    extension('2.5.29.19', true, ca ? sequence(bool(true), tlv(0x02, Buffer.from([0]))) : sequence()),
  /** keyUsage (critical): keyCertSign + cRLSign for the CA, digitalSignature for a TLS end entity. */
  keyUsage: (ca: boolean) =>
    extension('2.5.29.15', true, ca ? tlv(0x03, Buffer.from([1, 0x06])) : tlv(0x03, Buffer.from([7, 0x80]))),
  /** extKeyUsage: serverAuth or clientAuth. */
  extKeyUsage: (use: 'server' | 'client') =>
    extension('2.5.29.37', false, sequence(oid(use === 'server' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2'))),
  /** subjectAltName: DNS names and IPv4 addresses. */
  subjectAltName: (dns: string[], ips: string[]) =>
    extension(
      '2.5.29.17',
      false,
      sequence(
        ...dns.map((host) => tlv(0x82, Buffer.from(host, 'ascii'))),
        ...ips.map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
      ),
    ),
};

export interface CertificateRequest {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  /** The issuer's private key (the subject's own for a self-signed CA). */
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: CertificateExtension[];
}

/** A signed v3 certificate, as PEM. */
export function issueCertificate(request: CertificateRequest): string {
  // A positive serial of 16 random bytes (RFC 5280 §4.1.2.2: at most 20 octets).
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const spki = request.publicKey.export({ format: 'der', type: 'spki' });
  const tbs = sequence(
    explicit(0, tlv(0x02, Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(request.issuer),
    sequence(utcTime(request.notBefore), utcTime(request.notAfter)),
    name(request.subject),
    spki,
    explicit(3, sequence(...request.extensions)),
  );
  const signature = sign('sha256', tbs, { key: request.signingKey, dsaEncoding: 'der' });
  const der = sequence(tbs, ECDSA_SHA256, bits(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
