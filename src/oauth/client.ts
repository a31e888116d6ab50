// The OAuth client as oauth4webapi sees it: its id and how it authenticates at the token endpoint.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { CliError } from '../errors.js';

export const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface ClientSettings {
  clientId: string;
  authMethod: AuthMethod;
  clientSecret?: string | undefined;
  /** A PEM or JWK file with the private key for private_key_jwt. */
  privateKeyFile?: string | undefined;
}

export function chooseAuthMethod(explicit: string | undefined, hasSecret: boolean, hasPrivateKey: boolean): AuthMethod {
  if (explicit !== undefined) {
    if (!(AUTH_METHODS as readonly string[]).includes(explicit)) {
      throw new CliError('USAGE', `--auth-method must be one of ${AUTH_METHODS.join(', ')}, not "${explicit}".`);
    }
    return explicit as AuthMethod;
  }
  if (hasPrivateKey) return 'private_key_jwt';
  return hasSecret ? 'client_secret_basic' : 'none';
}

/**
 * Grants that only a confidential client may use (client credentials, and later token exchange and assertions) need a
 * credential; without one the server can only answer invalid_client, so say what to set before sending anything.
 */
export function requireClientCredential(authMethod: AuthMethod, grant: string): void {
  if (authMethod !== 'none') return;
  throw new CliError('MISSING_SETTING', `The ${grant} grant needs the client's credential, and none was given.`, {
    hint: 'Set OAUTH_CLIENT_SECRET, or pass --client-secret-file <file>, --client-secret-stdin, or --private-key <JWK or PEM file>.',
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
      return settings.authMethod === 'client_secret_basic' ? oauth.ClientSecretBasic(settings.clientSecret) : oauth.ClientSecretPost(settings.clientSecret);
    }
    case 'private_key_jwt': {
      if (!settings.privateKeyFile) {
        throw new CliError('USAGE', 'Client authentication private_key_jwt needs --private-key <JWK or PEM file>.');
      }
      return oauth.PrivateKeyJwt(await loadPrivateKey(settings.privateKeyFile));
    }
  }
}

/** A signing key for client assertions; its algorithm follows from the key unless the JWK names one. */
export async function loadPrivateKey(path: string): Promise<oauth.PrivateKey> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError('FILE_UNREADABLE', `Cannot read --private-key ${path}: ${(error as Error).message}`);
  }
  let jwk: Record<string, unknown>;
  try {
    jwk = text.trim().startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : (createPrivateKey(text).export({ format: 'jwk' }) as Record<string, unknown>);
  } catch (error) {
    throw new CliError('KEY_INVALID', `--private-key ${path} is not a PEM or JWK private key (${(error as Error).message}).`);
  }
  if (typeof jwk.d !== 'string') throw new CliError('KEY_INVALID', `--private-key ${path} holds a public key; a private key is needed to sign client assertions.`);
  const alg = typeof jwk.alg === 'string' ? jwk.alg : algorithmFor(jwk);
  const key = (await importJWK({ ...jwk, alg }, alg)) as CryptoKey;
  return typeof jwk.kid === 'string' ? { key, kid: jwk.kid } : { key };
}

function algorithmFor(jwk: Record<string, unknown>): string {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[String(jwk.crv)] ?? 'ES256';
  if (jwk.kty === 'OKP') return 'Ed25519';
  throw new CliError('KEY_INVALID', `Unsupported private key type ${String(jwk.kty)} for private_key_jwt.`);
}
