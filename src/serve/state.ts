// What `oauth serve` keeps between runs, so tokens stay verifiable across restarts and printed secrets stay valid:
// its private signing keys and its clients' secrets, in one 0600 file in the state directory. `oauth mint` signs with
// the same keys. It also keeps the private key of its private_key_jwt client (jwt-client), and writes that key on its
// own beside the state, 0600, for `oauth login --private-key` to sign client assertions and request objects with.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compactVerify, CompactSign, importJWK, type JWK } from 'jose';
import { CliError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic-file.js';

export const SIGNING_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface ServerState {
  version: 1;
  /** Private JWKs, one per algorithm ever used; kid is stable. */
  keys: JWK[];
  secrets: { confidential: string; service: string };
  /** The algorithm `oauth serve` last signed with, which `oauth mint` follows when given no --alg. */
  current?: SigningAlgorithm;
  /** The private key of the private_key_jwt client (ES256); states from before it existed get one on next serve. */
  clientKey?: JWK;
}

export interface LoadedState {
  state: ServerState;
  /** The key to sign with. */
  key: JWK;
  path: string;
  /** What this load made: a new state file, or a new key in an existing one (a running server does not publish it). */
  created?: 'state' | 'key';
}

export const stateFile = (stateDir: string) => join(stateDir, 'serve', 'state.json');
/** The jwt-client's private JWK on its own, for `--private-key`. */
export const clientKeyFile = (stateDir: string) => join(stateDir, 'serve', 'jwt-client.jwk');
export const CLIENT_KEY_ALG = 'ES256';

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
    clientKey: generateClientKey(),
  };
}

export function generateClientKey(): JWK {
  const key = generateSigningKey(CLIENT_KEY_ALG);
  return { ...key, kid: `jwt-client-${randomBytes(4).toString('hex')}` };
}

/**
 * The jwt-client's key, given to a state that has none (and saved there), and written on its own to `path` (0600) so
 * that the file always holds the key the running server registered.
 */
export async function writeClientKey(state: ServerState, path: string, statePath?: string): Promise<JWK> {
  const fail = (where: string, error: unknown) =>
    new CliError('STORE_FAILED', `Cannot save the local server's client key to ${where}: ${(error as Error).message}`, {
      hint: 'Make the state directory writable, or use --ephemeral for throwaway keys.',
    });
  let key = state.clientKey;
  if (!key) {
    key = generateClientKey();
    state.clientKey = key;
    if (statePath)
      await writeFileAtomic(statePath, `${JSON.stringify(state, null, 2)}\n`, 0o600).catch((error) => {
        throw fail(statePath, error);
      });
  }
  await writeFileAtomic(path, `${JSON.stringify(key, null, 2)}\n`, 0o600).catch((error) => {
    throw fail(path, error);
  });
  return key;
}

/**
 * The persisted state, created on first use, or given a key for an algorithm it has none for. Without `alg`, the
 * key `oauth serve` last signed with. `serving` records `alg` as the server's, for `oauth mint` to follow.
 * Every key is checked before use, so a state `oauth serve` would refuse or `oauth mint` could not sign with is
 * reported as such by both.
 */
export async function loadState(
  stateDir: string,
  alg: SigningAlgorithm | undefined,
  options: { serving?: boolean } = {},
): Promise<LoadedState> {
  const path = stateFile(stateDir);
  let state = await readState(path);
  let created: LoadedState['created'];
  if (!state) {
    state = freshState(alg ?? 'RS256');
    created = 'state';
  }
  const wanted = alg ?? currentAlgorithm(state);
  let key = state.keys.find((candidate) => candidate.alg === wanted);
  if (!key) {
    key = generateSigningKey(wanted);
    state.keys.push(key);
    created ??= 'key';
  }
  const remember = options.serving === true && state.current !== wanted;
  if (remember) state.current = wanted;
  if (created || remember) {
    try {
      await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
    } catch (error) {
      // Only a new key must be saved; the server's algorithm is a preference mint can do without.
      if (!created) return { state, key, path };
      throw new CliError(
        'STORE_FAILED',
        `Cannot save the local server's keys to ${path}: ${(error as Error).message}`,
        {
          hint: 'Make the state directory writable, or use --ephemeral for throwaway keys.',
        },
      );
    }
  }
  return { state, key, path, ...(created ? { created } : {}) };
}

function currentAlgorithm(state: ServerState): SigningAlgorithm {
  if (state.current && state.keys.some((key) => key.alg === state.current)) return state.current;
  return (state.keys[0]?.alg as SigningAlgorithm | undefined) ?? 'RS256';
}

async function readState(path: string): Promise<ServerState | undefined> {
  const corrupt = (what: string) =>
    new CliError('STORE_CORRUPT', `The local server's state file ${path} ${what}.`, {
      hint: `Delete it to start with new keys and secrets (tokens signed with the old keys will no longer verify): rm ${path}`,
    });
  let state: unknown;
  try {
    state = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw corrupt(`is unreadable (${(error as Error).message})`);
  }
  const shape = shapeProblem(state);
  if (shape) throw corrupt(`is unreadable (${shape})`);
  const valid = state as ServerState;
  for (const [index, key] of valid.keys.entries()) {
    const problem = await keyProblem(key, valid.keys);
    if (problem)
      throw corrupt(
        `holds a key that cannot sign: keys[${index}]${typeof key.kid === 'string' ? ` (kid ${key.kid})` : ''}: ${problem}`,
      );
  }
  if (valid.clientKey) {
    const problem =
      valid.clientKey.alg === CLIENT_KEY_ALG
        ? await keyProblem(valid.clientKey, [valid.clientKey])
        : `"alg" is not ${CLIENT_KEY_ALG}`;
    if (problem) throw corrupt(`holds a client key that cannot sign: clientKey: ${problem}`);
  }
  return valid;
}

function shapeProblem(state: unknown): string | undefined {
  const value = state as Partial<ServerState> | null;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  if (value.version !== 1) return `version ${JSON.stringify(value.version)}, not 1`;
  if (!Array.isArray(value.keys)) return '"keys" is not an array';
  if (value.keys.some((key) => key === null || typeof key !== 'object' || Array.isArray(key)))
    return 'a member of "keys" is not an object';
  const secrets = value.secrets as Record<string, unknown> | undefined;
  if (secrets === null || typeof secrets !== 'object') return '"secrets" is not an object';
  for (const name of ['confidential', 'service']) {
    if (typeof secrets[name] !== 'string' || secrets[name] === '') return `"secrets.${name}" is not a non-empty string`;
  }
  if (value.current !== undefined && !SIGNING_ALGORITHMS.includes(value.current))
    return `"current" is not one of ${SIGNING_ALGORITHMS.join(', ')}`;
  const clientKey: unknown = value.clientKey;
  if (clientKey !== undefined && (clientKey === null || typeof clientKey !== 'object' || Array.isArray(clientKey)))
    return '"clientKey" is not an object';
  return undefined;
}

/**
 * Why a stored key is of no use, or undefined: its alg must be one we sign with, its kid its own, and its private
 * part must make signatures its public part (what the server publishes) verifies — importing alone does not notice
 * an RSA key whose modulus was changed.
 */
async function keyProblem(key: JWK, keys: JWK[]): Promise<string | undefined> {
  const alg = key.alg as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg))
    return `"alg" ${JSON.stringify(key.alg)} is not one of ${SIGNING_ALGORITHMS.join(', ')}`;
  if (typeof key.kid !== 'string' || key.kid === '') return 'it has no "kid"';
  if (keys.filter((other) => other.kid === key.kid).length > 1) return 'another key has the same "kid"';
  if (typeof key.d !== 'string') return 'it is not a private key (no "d")';
  if (key.use !== undefined && key.use !== 'sig') return `"use" is ${JSON.stringify(key.use)}, not "sig"`;
  try {
    const probe = new TextEncoder().encode('oauth serve key check');
    const jws = await new CompactSign(probe).setProtectedHeader({ alg }).sign(await importJWK(key, alg));
    await compactVerify(jws, await importJWK(publicJwk(key), alg));
    return undefined;
  } catch (error) {
    const reason = (error as Error).message;
    return /signature verification failed/i.test(reason)
      ? 'its private part does not match its public part'
      : `not a usable ${alg} key (${reason})`;
  }
}

/** A private JWK's public members: what the JWKS publishes and a jwk header carries. */
export function publicJwk(key: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...rest } = key;
  return rest;
}
