// RFC 9449 §6.1: a DPoP-bound access token names its key by thumbprint (cnf.jkt). Decode shows it and, given a key (a
// file, or the profile's own DPoP key), says whether the token is bound to that key.
import { calculateJwkThumbprint, type JWK } from 'jose';
import { CliError } from '../errors.js';
import { readUserFile } from '../settings/user-file.js';
import { pemToJwk } from './pem.js';

export interface DpopBinding {
  /** The token's cnf.jkt. */
  jkt: string;
  /** The key it was compared with: where it came from and its thumbprint. */
  key?: { source: string; thumbprint: string };
  bound?: boolean;
}

export function tokenJktClaim(payload: Record<string, unknown> | undefined): string | undefined {
  const cnf = payload?.cnf;
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) return undefined;
  const jkt = (cnf as { jkt?: unknown }).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}

/** The public half's RFC 7638 thumbprint of a JWK or PEM file (public or private); a private part is registered. */
export async function keyFileThumbprint(
  path: string,
  origin: string,
  secrets: { add(secret: string): unknown },
): Promise<string> {
  const text = readUserFile(path, origin).toString('utf8').trim();
  const invalid = (what: string) => new CliError('KEY_INVALID', `${origin} ${path} ${what}.`);
  let jwk: Record<string, unknown>;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalid('starts like JSON but is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('is not a JWK');
    jwk = { ...parsed };
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
      if (typeof jwk[member] === 'string') secrets.add(String(jwk[member]));
  } else if (text.includes('-----BEGIN')) {
    const pem = pemToJwk(text, 'public');
    if ('problem' in pem) throw invalid(pem.problem);
    jwk = { ...pem.jwk };
  } else {
    throw invalid('is neither a JWK nor a PEM key');
  }
  const { kty, crv, x, y, n, e } = jwk;
  if (typeof kty !== 'string' || kty === 'oct') throw invalid('holds no public key (EC, RSA or OKP)');
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const publicJwk: JWK = { kty };
  for (const [name, value] of [
    ['crv', str(crv)],
    ['x', str(x)],
    ['y', str(y)],
    ['n', str(n)],
    ['e', str(e)],
  ] as const)
    if (value !== undefined) publicJwk[name] = value;
  try {
    return await calculateJwkThumbprint(publicJwk);
  } catch {
    throw invalid(`holds a ${kty} key that lacks its public members`);
  }
}

export function dpopBinding(jkt: string, key?: { source: string; thumbprint: string }): DpopBinding {
  return key ? { jkt, key, bound: key.thumbprint === jkt } : { jkt };
}

/** Exit 3: the token is bound to another key than the one given. */
export function bindingMismatch(binding: DpopBinding): CliError | undefined {
  if (!binding.key || binding.bound) return undefined;
  return new CliError(
    'JWT_CLAIM_INVALID',
    `The token is bound to another DPoP key: its cnf.jkt is ${binding.jkt}, ${binding.key.source} has thumbprint ${binding.key.thumbprint}.`,
    { reason: 'cnf.jkt does not match the key' },
  );
}

export function bindingLines(binding: DpopBinding): string[] {
  const lines = [`DPoP-bound: cnf.jkt ${binding.jkt}`];
  if (binding.key)
    lines.push(
      binding.bound
        ? `  bound to ${binding.key.source} (thumbprint ${binding.key.thumbprint}): ok`
        : `  NOT bound to ${binding.key.source} (thumbprint ${binding.key.thumbprint})`,
    );
  return lines;
}
