// PEM files as JWKs: one reading for the public keys and certificates we verify with (--key, --jwks FILE) and the
// private keys we sign with (--private-key). OpenSSL parses more than a JWK can hold (RSA-PSS, brainpool, DSA, …) and
// says little about what it refuses; here each refusal is a clause that names the kind of key.
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/** A JWK, or why the PEM gives none, as a clause that follows the file's name ("--key k.pem …"). */
export type PemKey = { jwk: JWK } | { problem: string };

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----/g;

export function pemToJwk(text: string, want: 'public' | 'private'): PemKey {
  // Parameter blocks (openssl ecparam -genkey writes one before the key) describe the key; they are not keys.
  const labels = [...text.matchAll(BLOCK)].map((match) => match[1]!);
  const blocks = labels.filter((label) => !/PARAMETERS$/.test(label));
  if (labels.length === 0) return { problem: 'holds no PEM key or certificate (no "-----BEGIN" line)' };
  if (blocks.length === 0) return { problem: `holds only ${labels.join(', ')}, no key or certificate` };
  // A certificate chain is read by its leaf, the one certificate that issued none of the others, in whatever order the
  // file has them (leaf first is usual, CA first happens).
  const chain = want === 'public' && blocks.every((label) => label === 'CERTIFICATE');
  if (blocks.length > 1 && chain) {
    const leaf = chainLeaf(text);
    if (!leaf)
      return {
        problem: `holds ${blocks.length} certificates that are no chain with one leaf; give the signing certificate alone`,
      };
    text = leaf;
  }
  if (blocks.length > 1 && !chain) {
    return {
      problem: `holds ${blocks.length} PEM blocks (${blocks.join(', ')}); give a file with the one ${want === 'private' ? 'private key' : 'key or certificate'} to use`,
    };
  }
  if (blocks[0] === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(text)) {
    return {
      problem:
        'is encrypted (passphrase-protected); decrypt it first, e.g. openssl pkey -in encrypted.pem -out key.pem',
    };
  }
  // Only PEM files pay for node:crypto.
  const crypto = process.getBuiltinModule('node:crypto');
  let key: KeyObject;
  try {
    key = want === 'private' ? crypto.createPrivateKey(text) : crypto.createPublicKey(text);
  } catch (error) {
    const what = want === 'private' ? 'a usable private key' : 'a usable key or certificate';
    return { problem: `is not ${what} (${blocks[0]}: ${(error as Error).message})` };
  }
  try {
    return { jwk: key.export({ format: 'jwk' }) as JWK };
  } catch {
    return {
      problem: `holds ${describe(key)}, which cannot be used as a JSON Web Key; supported: RSA, EC (P-256, P-384, P-521), Ed25519`,
    };
  }
}

function chainLeaf(text: string): string | undefined {
  const crypto = process.getBuiltinModule('node:crypto');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  let certificates: Array<{ pem: string; certificate: import('node:crypto').X509Certificate }>;
  try {
    certificates = pems.map((pem) => ({ pem, certificate: new crypto.X509Certificate(pem) }));
  } catch {
    return undefined;
  }
  const leaves = certificates.filter(
    ({ certificate }) =>
      !certificates.some((other) => other.certificate !== certificate && other.certificate.checkIssued(certificate)),
  );
  return leaves.length === 1 ? leaves[0]!.pem : undefined;
}

function describe(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa-pss':
      return 'an RSA-PSS key (id-RSASSA-PSS; convert it to a plain RSA key, which signs PS256 as well)';
    case 'ec':
      return `an EC key on curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}`;
    case 'dsa':
      return 'a DSA key';
    case 'dh':
      return 'a Diffie-Hellman key';
    default:
      return `a key of type ${key.asymmetricKeyType ?? 'unknown'}`;
  }
}
