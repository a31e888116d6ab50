// Key set rules (RFC 7517, RFC 7518, RFC 8725).
import { finding, type Finding } from './catalog.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function keyName(key: Record<string, unknown>, index: number): string {
  return typeof key.kid === 'string' ? `kid ${key.kid}` : `key #${index + 1} (${String(key.kty)})`;
}

/** Bits in an RSA modulus given as base64url, leading zero bits not counted. */
export function rsaModulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}

export function checkJwks(jwks: unknown, source: string): Finding[] {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    return [finding('jwks-unavailable', source, `${source} is not a JWKS with keys.`)];
  }
  const findings: Finding[] = [];
  const records = keys.filter((key): key is Record<string, unknown> => key !== null && typeof key === 'object');
  const kids = new Map<string, number>();
  const uses = new Set(records.map((key) => key.use).filter(Boolean));
  const algs = new Set(records.map((key) => key.alg).filter(Boolean));
  records.forEach((key, index) => {
    const name = keyName(key, index);
    const exposed = PRIVATE_MEMBERS.filter((member) => member in key);
    if (exposed.length > 0)
      findings.push(
        finding(
          'jwks-private-key',
          name,
          `${name} publishes ${exposed.map((member) => `"${member}"`).join(', ')}: private key material.`,
        ),
      );
    if (key.kty === 'RSA' && typeof key.n === 'string') {
      const bits = rsaModulusBits(key.n);
      if (bits < 2048) findings.push(finding('jwks-weak-rsa', name, `${name} is a ${bits}-bit RSA key.`));
    }
    if (typeof key.kid === 'string') kids.set(key.kid, (kids.get(key.kid) ?? 0) + 1);
    else if (records.length > 1)
      findings.push(finding('jwks-missing-kid', name, `${name} has no kid, in a set of ${records.length} keys.`));
    const mixed = uses.size > 1 || algs.size > 1 || (uses.has('enc') && records.length > 1);
    if (mixed && (key.use === undefined || key.alg === undefined)) {
      findings.push(
        finding(
          'jwks-ambiguous-key',
          name,
          `${name} has no ${key.use === undefined ? '"use"' : '"alg"'} in a set that mixes ${uses.size > 1 ? 'uses' : 'algorithms'}.`,
        ),
      );
    }
  });
  for (const [kid, count] of kids)
    if (count > 1)
      findings.push(finding('jwks-duplicate-kid', `kid ${kid}`, `${count} keys share kid ${JSON.stringify(kid)}.`));
  return findings;
}
