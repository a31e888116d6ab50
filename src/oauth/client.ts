// The OAuth client as oauth4webapi sees it: its id and how it authenticates at the token endpoint.
import type { JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { CliError } from '../errors.js';
import { describeJsonType } from '../errors.js';
import { importable, isKeyProblem, signatureAlgorithm } from '../jwt/jwk.js';
import { pemToJwk } from '../jwt/pem.js';
import { readUserFile } from '../settings/user-file.js';

export const AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  // RFC 8705 §2: the client authenticates with the TLS client certificate; the request carries only client_id.
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface ClientSettings {
  clientId: string;
  authMethod: AuthMethod;
  clientSecret?: string | undefined;
  /** A PEM or JWK file with the private key for private_key_jwt. */
  privateKeyFile?: string | undefined;
  /** That key, when the caller loaded it already. */
  privateKey?: SigningKey | undefined;
  /** A client certificate is presented on the run's TLS connections (the tls_client_auth methods need one). */
  hasCertificate?: boolean;
}

/** A key for client assertions, and its RFC 7638 thumbprint: what identifies the key itself, wherever its file is. */
export type SigningKey = oauth.PrivateKey & { thumbprint: string };

/** What a run knows about its client's credentials, and which of them this run was given (a flag or OAUTH_*). */
export interface CredentialFacts {
  /** --auth-method or OAUTH_AUTH_METHOD, and where it came from. */
  explicit?: { value: string; origin: string } | undefined;
  /** The profile's auth_method, saved at sign-in. */
  saved?: string | undefined;
  hasSecret: boolean;
  /** The secret came with this run (flag, file, stdin, OAUTH_CLIENT_SECRET), not from the store. */
  secretGiven: boolean;
  hasKey: boolean;
  /** The key came with this run (--private-key, OAUTH_PRIVATE_KEY), not from the profile. */
  keyGiven: boolean;
}

export const TLS_AUTH_METHODS: readonly AuthMethod[] = ['tls_client_auth', 'self_signed_tls_client_auth'];

const SECRET_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/**
 * Flags beat what the sign-in saved: a credential given to this run picks the method that uses it (a key:
 * private_key_jwt; a secret: the saved secret method, else client_secret_basic, the RFC 7591 §2 default), whatever the
 * profile says. An explicit --auth-method wins over both, but not over the credential actually given: a method whose
 * credential is missing while another one was given is a usage error (exit 2) before any request.
 */
export function chooseAuthMethod(facts: CredentialFacts): AuthMethod {
  const known = (value: string, origin: string): AuthMethod => {
    if ((AUTH_METHODS as readonly string[]).includes(value)) return value as AuthMethod;
    throw new CliError('USAGE', `${origin} must be one of ${AUTH_METHODS.join(', ')}, not "${value}".`);
  };
  if (facts.explicit) {
    const method = known(facts.explicit.value, facts.explicit.origin);
    const given = facts.keyGiven ? 'a private key (--private-key)' : facts.secretGiven ? 'a client secret' : undefined;
    const conflict =
      (method === 'private_key_jwt' && !facts.hasKey && facts.secretGiven) ||
      (SECRET_METHODS.includes(method) && !facts.hasSecret && facts.keyGiven) ||
      (method === 'none' && given !== undefined);
    if (conflict) {
      throw new CliError('USAGE', `${facts.explicit.origin} ${method} does not fit the credential given: ${given}.`, {
        hint:
          method === 'private_key_jwt'
            ? 'Pass --private-key <JWK or PEM file>, or drop the auth method to use the secret.'
            : method === 'none'
              ? 'Drop the credential for a public client, or drop the auth method to use it.'
              : 'Give the client secret (OAUTH_CLIENT_SECRET or --client-secret-file), or drop the auth method to use the key.',
      });
    }
    return method;
  }
  const saved = facts.saved === undefined ? undefined : known(facts.saved, "The profile's auth_method");
  if (facts.keyGiven) return 'private_key_jwt';
  if (facts.secretGiven) return saved && SECRET_METHODS.includes(saved) ? saved : 'client_secret_basic';
  if (saved) return saved;
  if (facts.hasKey) return 'private_key_jwt';
  return facts.hasSecret ? 'client_secret_basic' : 'none';
}

/**
 * Grants that only a confidential client may use (client credentials, and later token exchange and assertions) need a
 * credential; without one the server can only answer invalid_client, so say what to set before sending anything.
 */
export function requireClientCredential(authMethod: AuthMethod, grant: string): void {
  if (authMethod !== 'none') return;
  throw new CliError('MISSING_SETTING', `The ${grant} grant needs the client's credential, and none was given.`, {
    hint: 'Set OAUTH_CLIENT_SECRET, or pass --client-secret-file <file>, --client-secret-stdin, --private-key <JWK or PEM file>, or --cert/--key with --auth-method tls_client_auth.',
  });
}

export async function clientAuthentication(settings: ClientSettings): Promise<oauth.ClientAuth> {
  switch (settings.authMethod) {
    case 'none':
      return oauth.None();
    case 'client_secret_basic':
    case 'client_secret_post': {
      if (!settings.clientSecret) {
        throw new CliError('USAGE', `Client authentication ${settings.authMethod} needs a client secret.`, {
          hint: 'Set OAUTH_CLIENT_SECRET, or pass --client-secret-file <file> or --client-secret-stdin (or --private-key with --auth-method private_key_jwt).',
        });
      }
      return settings.authMethod === 'client_secret_basic'
        ? oauth.ClientSecretBasic(settings.clientSecret)
        : oauth.ClientSecretPost(settings.clientSecret);
    }
    case 'private_key_jwt': {
      if (!settings.privateKeyFile) {
        throw new CliError('USAGE', 'Client authentication private_key_jwt needs --private-key <JWK or PEM file>.');
      }
      return oauth.PrivateKeyJwt(settings.privateKey ?? (await loadPrivateKey(settings.privateKeyFile)));
    }
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth': {
      if (!settings.hasCertificate)
        throw new CliError('USAGE', `Client authentication ${settings.authMethod} needs a client certificate.`, {
          hint: 'Pass --cert <PEM certificate> and --key <PEM private key> (or set OAUTH_CERT and OAUTH_KEY).',
        });
      return oauth.TlsClientAuth();
    }
  }
}

/**
 * A signing key for client assertions; its algorithm follows from the key unless the JWK names one. Whatever is wrong
 * with the file is said naming it (exit 2): a key WebCrypto cannot import never gets as far as a request.
 */
export async function loadPrivateKey(path: string, origin = '--private-key'): Promise<SigningKey> {
  const text = readUserFile(path, origin).toString('utf8');
  const invalid = (what: string) =>
    new CliError('KEY_INVALID', `${origin} ${path} ${what}.`, {
      hint: 'private_key_jwt signs with an RSA (2048 bits or more), EC (P-256, P-384, P-521) or Ed25519 private key, as a JWK or PEM file.',
    });
  let jwk: unknown;
  if (text.trim() === '') throw invalid('is empty');
  if (/^\s*([[{"\d]|-\d|null\b|true\b|false\b)/.test(text)) {
    try {
      jwk = JSON.parse(text);
    } catch {
      throw invalid('starts like JSON but is not valid JSON');
    }
    const keys = isRecord(jwk) ? jwk.keys : undefined;
    if (Array.isArray(keys)) {
      if (keys.length !== 1)
        throw invalid(`is a key set of ${keys.length} keys; give a file with the one private key to sign with`);
      jwk = keys[0];
    }
  } else if (text.includes('-----BEGIN')) {
    const pem = pemToJwk(text, 'private');
    if ('problem' in pem) throw invalid(pem.problem);
    jwk = pem.jwk;
  } else {
    throw invalid('is neither a JWK nor a PEM private key');
  }
  if (!isRecord(jwk)) throw invalid(`holds ${describeJsonType(jwk)}, not a JWK (a JSON object)`);
  if (jwk.kty !== 'oct' && jwk.d === undefined)
    throw invalid('holds a public key; a private key is needed to sign client assertions');
  const fit = signatureAlgorithm(jwk, 'sign');
  if (isKeyProblem(fit)) throw invalid(`holds a key that ${fit.reason}`);
  const imported = await importable(jwk as JWK, fit.alg);
  if (isKeyProblem(imported)) throw invalid(`holds a key that ${imported.reason}`);
  const bits = (imported.key.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength;
  if (bits !== undefined && bits < 2048) throw invalid(`holds an RSA key of ${bits} bits; 2048 or more are needed`);
  const { calculateJwkThumbprint } = await import('jose');
  const thumbprint = await calculateJwkThumbprint(jwk as JWK);
  return typeof jwk.kid === 'string'
    ? { key: imported.key, kid: jwk.kid, thumbprint }
    : { key: imported.key, thumbprint };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
