// What `oauth serve` keeps between runs, so tokens stay verifiable across restarts and printed secrets stay valid:
// its private signing keys and its clients' secrets, in one 0600 file in the state directory. `oauth mint` signs with
// the same keys.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { CliError } from '../errors.js';
import { writeFileAtomic } from '../fsutil.js';

export const SIGNING_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface ServerState {
  version: 1;
  /** Private JWKs, one per algorithm ever used; kid is stable. */
  keys: JWK[];
  secrets: { confidential: string; service: string };
}

export const stateFile = (stateDir: string) => join(stateDir, 'serve', 'state.json');

export function generateSigningKey(alg: SigningAlgorithm): JWK {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, alg, use: 'sig', kid: `local-${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` };
}

export function freshState(alg: SigningAlgorithm): ServerState {
  return {
    version: 1,
    keys: [generateSigningKey(alg)],
    secrets: { confidential: randomBytes(32).toString('base64url'), service: randomBytes(32).toString('base64url') },
  };
}

/** The persisted state, created (with a key for `alg`) on first use, or given a key for a new `alg`. */
export async function loadState(stateDir: string, alg: SigningAlgorithm): Promise<{ state: ServerState; key: JWK; created: boolean }> {
  const path = stateFile(stateDir);
  let state: ServerState | undefined;
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as ServerState;
    if (state.version !== 1 || !Array.isArray(state.keys) || !state.secrets) throw new Error('unexpected shape');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CliError('STORE_CORRUPT', `The local server's state file ${path} is unreadable (${(error as Error).message}).`, {
        hint: `Delete it to start with new keys and secrets (tokens signed with the old keys will no longer verify): rm ${path}`,
      });
    }
    state = undefined;
  }
  let created = false;
  if (!state) {
    state = freshState(alg);
    created = true;
  }
  let key = state.keys.find((candidate) => candidate.alg === alg);
  if (!key) {
    key = generateSigningKey(alg);
    state.keys.push(key);
    created = true;
  }
  if (created) {
    try {
      await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
    } catch (error) {
      throw new CliError('STORE_FAILED', `Cannot save the local server's keys to ${path}: ${(error as Error).message}`, {
        hint: 'Make the state directory writable, or use --ephemeral for throwaway keys.',
      });
    }
  }
  return { state, key, created };
}

export function publicJwk(key: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = key;
  return rest;
}
