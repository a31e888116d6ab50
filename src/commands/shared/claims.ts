// --claim k=v, as `oauth mint` and `oauth check --api` take it.
import { CliError } from '../../errors.js';

/** The value is JSON when it parses (numbers, booleans, arrays), a string otherwise. */
export function parseClaims(pairs: string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError('USAGE', `--claim needs name=value, not "${pair}".`);
    const name = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    if (!carriable(value))
      throw new CliError(
        'USAGE',
        `--claim ${name}: ${raw} holds a number JSON cannot carry (beyond a double's range, it would be sent as null).`,
        { hint: `Quote it to send it as a string: --claim '${name}="${raw}"'.` },
      );
    // Defined, not assigned: a claim named __proto__ would otherwise set the object's prototype and vanish.
    Object.defineProperty(claims, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return claims;
}

/** JSON.parse reads 1e400 as Infinity, which JSON.stringify writes as null. */
function carriable(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  return Object.values(value).every(carriable);
}
