// --claim k=v, as `oauth mint` and `oauth check --api` take it.
import { CliError } from '../../errors.js';

/** The value is JSON when it parses (numbers, booleans, arrays), a string otherwise. */
export function parseClaims(pairs: string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError('USAGE', `--claim needs name=value, not "${pair}".`);
    const raw = pair.slice(at + 1);
    try {
      claims[pair.slice(0, at)] = JSON.parse(raw);
    } catch {
      claims[pair.slice(0, at)] = raw;
    }
  }
  return claims;
}
