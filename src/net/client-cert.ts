// The client certificate of a run (RFC 8705 mutual TLS): read and checked before any request, so that a wrong file,
// a key of another certificate or a wrong passphrase is said naming the file (exit 2), never as a failed handshake.
// The files' contents are never part of a message.
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { CliError } from '../errors.js';
import { readUserFile } from '../settings/user-file.js';

/** What the TLS layer is given, and the certificate's RFC 8705 §3.1 thumbprint (x5t#S256). */
export interface ClientCertificate {
  cert: string;
  key: string;
  passphrase?: string;
  /** base64url SHA-256 of the certificate's DER. */
  thumbprint: string;
  /** Where the certificate came from, for messages: "--cert client.pem". */
  label: string;
}

export interface ClientCertificateFiles {
  cert: { value: string; origin: string };
  key: { value: string; origin: string };
  /** Where a passphrase came from is said when it is wrong; the passphrase itself never is. */
  passphrase?: { value: string; origin: string } | undefined;
}

const HINT = 'Give --cert a PEM certificate and --key the PEM private key of that same certificate.';

export function loadClientCertificate(files: ClientCertificateFiles): ClientCertificate {
  const { cert: certSetting, key: keySetting, passphrase } = files;
  const certText = readUserFile(certSetting.value, certSetting.origin).toString('utf8');
  if (!certText.includes('-----BEGIN CERTIFICATE-----'))
    throw new CliError('KEY_INVALID', `${certSetting.origin} ${certSetting.value} holds no PEM certificate.`, {
      hint: HINT,
    });
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certText);
  } catch {
    throw new CliError(
      'KEY_INVALID',
      `${certSetting.origin} ${certSetting.value} is not a readable X.509 certificate.`,
      {
        hint: HINT,
      },
    );
  }
  const keyText = readUserFile(keySetting.value, keySetting.origin).toString('utf8');
  const where = `${keySetting.origin} ${keySetting.value}`;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText))
    throw new CliError('KEY_INVALID', `${where} holds no PEM private key.`, { hint: HINT });
  const encrypted = /ENCRYPTED/.test(keyText);
  if (encrypted && !passphrase)
    throw new CliError('KEY_INVALID', `${where} is encrypted and no passphrase was given.`, {
      hint: 'Set OAUTH_KEY_PASSPHRASE, or pass --key-passphrase-stdin and pipe the passphrase in.',
    });
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: keyText,
      format: 'pem',
      ...(encrypted && passphrase ? { passphrase: passphrase.value } : {}),
    });
  } catch {
    if (encrypted && passphrase)
      throw new CliError('KEY_INVALID', `Cannot decrypt ${where} with the passphrase from ${passphrase.origin}.`, {
        hint: 'Check the passphrase.',
      });
    throw new CliError('KEY_INVALID', `${where} is not a readable private key.`, { hint: HINT });
  }
  if (!x509.checkPrivateKey(key))
    throw new CliError(
      'KEY_INVALID',
      `${where} is not the private key of the certificate in ${certSetting.origin} ${certSetting.value}.`,
      { hint: HINT },
    );
  const weak = weakness(key);
  if (weak)
    throw new CliError('KEY_INVALID', `${where} is ${weak}: TLS refuses keys that small ("ee key too small").`, {
      hint: 'Use a client certificate with an RSA key of 2048 bits or more, or an EC P-256 or P-384 key.',
    });
  return {
    cert: certText,
    key: keyText,
    ...(encrypted && passphrase ? { passphrase: passphrase.value } : {}),
    thumbprint: certificateThumbprint(x509),
    label: `${certSetting.origin} ${certSetting.value}`,
  };
}

/** RFC 8705 §3.1: base64url(SHA-256(DER)). */
export function certificateThumbprint(certificate: X509Certificate | string): string {
  const x509 = typeof certificate === 'string' ? new X509Certificate(certificate) : certificate;
  return createHash('sha256').update(x509.raw).digest('base64url');
}

/** OpenSSL's default security level refuses RSA and DSA keys under 2048 bits in the handshake, after discovery went out. */
function weakness(key: KeyObject): string | undefined {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  const type = key.asymmetricKeyType;
  if ((type === 'rsa' || type === 'rsa-pss' || type === 'dsa') && bits !== undefined && bits < 2048)
    return `${type === 'dsa' ? 'a DSA' : 'an RSA'} key of ${bits} bits`;
  return undefined;
}
