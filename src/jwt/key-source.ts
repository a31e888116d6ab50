// Where the keys that verify a token come from, chosen once and opened by one function: `decode --verify` and the ID
// token of a sign-in or a refresh both get their key set here.
import { CliError } from '../errors.js';
import type { DocumentCache } from '../net/http-cache.js';
import { parseUrl } from '../net/url.js';
import { readUserFile } from '../settings/user-file.js';
import { fileKeySet, type KeySet, remoteKeySet, secretKeySet } from './keys.js';

export type KeySource =
  /** The issuer's discovery document names its jwks_uri. */
  | { kind: 'discovery'; issuer: string }
  /** A JWKS by URL; `name` is how messages call the URL ("JWKS URL", "jwks_uri"). */
  | { kind: 'jwks-url'; url: string; name: string }
  /** A JWKS, a JWK or a PEM key or certificate in a file; `origin` is the flag that named it. */
  | { kind: 'key-file'; path: string; origin: string }
  /** An HMAC secret; `source` says where it came from, for messages ("the secret in $VAR"). */
  | { kind: 'secret'; secret: string; source: string };

export interface KeySourceDeps {
  documents(): Promise<DocumentCache>;
  insecure: boolean;
  /** Milliseconds since the epoch. */
  now(): number;
  signal?: AbortSignal | undefined;
}

export async function keySetFrom(source: KeySource, deps: KeySourceDeps): Promise<KeySet> {
  switch (source.kind) {
    case 'secret':
      return secretKeySet(new TextEncoder().encode(source.secret), source.source);
    case 'key-file':
      return fileKeySet(source.path, source.origin);
    case 'jwks-url':
      return remoteKeySet(parseUrl(source.url, source.name), await remoteDeps(deps));
    case 'discovery': {
      const { discover } = await import('../oauth/discovery.js');
      const issuer = parseUrl(source.issuer, 'issuer');
      const remote = await remoteDeps(deps);
      const { metadata } = await discover(issuer, {
        cache: remote.cache,
        insecure: deps.insecure,
        signal: deps.signal,
      });
      if (typeof metadata.jwks_uri !== 'string') {
        throw new CliError(
          'DISCOVERY_FAILED',
          `The metadata of ${source.issuer} has no jwks_uri, so its keys cannot be found.`,
          { hint: 'Give the keys with --jwks <url|file> or --key <file>.' },
        );
      }
      return remoteKeySet(parseUrl(metadata.jwks_uri, 'jwks_uri'), remote, `discovery of ${source.issuer}`);
    }
  }
}

async function remoteDeps(deps: KeySourceDeps) {
  return { cache: await deps.documents(), insecure: deps.insecure, now: deps.now };
}

/** What `decode --verify` was given to find its keys with; `secretEnv` is the --secret-env variable's name and value. */
export interface KeySourceChoice {
  jwks?: string | undefined;
  key?: string | undefined;
  secretEnv?: { name: string; value: string | undefined } | undefined;
  secretFile?: string | undefined;
  /** The expected issuer (flag > OAUTH_ISSUER > profile): its discovery is the source when nothing else is given. */
  issuer?: string | undefined;
}

/**
 * One key source from the flags, or a usage error: two sources at once, an unset secret variable, none at all. A
 * secret read here is handed to `onSecret` before anything else happens, so no output can show it.
 */
export function chooseKeySource(choice: KeySourceChoice, onSecret: (secret: string) => void): KeySource {
  const given = (
    [
      ['--jwks', choice.jwks],
      ['--key', choice.key],
      ['--secret-env', choice.secretEnv],
      ['--secret-file', choice.secretFile],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (given.length > 1)
    throw new CliError('USAGE', `Give one key source, not ${given.map(([flag]) => flag).join(' and ')}.`);
  if (choice.secretEnv !== undefined) {
    const { name, value } = choice.secretEnv;
    if (value === undefined || value === '')
      throw new CliError('USAGE', `The environment variable ${name} (from --secret-env) is not set or empty.`);
    onSecret(value);
    return { kind: 'secret', secret: value, source: `the secret in $${name}` };
  }
  if (choice.secretFile !== undefined) {
    // Editors add a final newline; it is never part of the secret.
    const secret = readUserFile(choice.secretFile, '--secret-file')
      .toString('utf8')
      .replace(/\r?\n$/, '');
    onSecret(secret);
    return { kind: 'secret', secret, source: `the secret in ${choice.secretFile}` };
  }
  if (choice.key !== undefined) return { kind: 'key-file', path: choice.key, origin: '--key' };
  if (choice.jwks !== undefined) {
    return /^https?:\/\//i.test(choice.jwks)
      ? { kind: 'jwks-url', url: choice.jwks, name: 'JWKS URL' }
      : { kind: 'key-file', path: choice.jwks, origin: '--jwks' };
  }
  if (choice.issuer === undefined) {
    throw new CliError('USAGE', '--verify needs a key source.', {
      hint: 'Pass --issuer <url> (keys found through discovery), --jwks <url|file>, --key <pem|jwk file>, or --secret-env VAR / --secret-file FILE for HMAC.',
    });
  }
  return { kind: 'discovery', issuer: choice.issuer };
}
