// `oauth mint`: test tokens signed with the `oauth serve` keys — valid, or broken in exactly one way — and `--suite`,
// the whole set as JSON lines for an API's test suite.
import type { Context } from '../context.js';
import { MAX_LIFETIME_SECONDS, parseSeconds } from '../duration.js';
import { CliError, Exit } from '../errors.js';
import { stateDir } from '../paths.js';
import { mint, SUITE, type Defect, type MintClaims } from '../serve/mint.js';
import { DEFAULT_AUDIENCE } from '../serve/provider.js';
import { loadState, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../serve/state.js';
import { DEFAULT_SERVE_PORT } from './serve.js';

export interface MintFlags {
  issuer?: string;
  sub?: string;
  aud?: string;
  scope?: string;
  clientId?: string;
  ttl?: string;
  claim?: string[];
  typ?: string;
  alg?: string;
  expired?: boolean;
  notYetValid?: boolean;
  issuedInFuture?: boolean;
  wrongIssuer?: boolean;
  wrongAudience?: boolean;
  wrongTyp?: boolean;
  badSignature?: boolean;
  unknownKid?: boolean;
  missingClaim?: string;
  hs256WithPublicKey?: boolean;
  suite?: boolean;
}

const DEFECT_FLAGS: Array<[keyof MintFlags, Defect]> = [
  ['expired', 'expired'],
  ['notYetValid', 'not-yet-valid'],
  ['issuedInFuture', 'issued-in-future'],
  ['wrongIssuer', 'wrong-issuer'],
  ['wrongAudience', 'wrong-audience'],
  ['wrongTyp', 'wrong-typ'],
  ['badSignature', 'bad-signature'],
  ['unknownKid', 'unknown-kid'],
  ['hs256WithPublicKey', 'hs256-with-public-key'],
];

export async function run(flags: MintFlags, ctx: Context): Promise<number> {
  const algFlag = flags.alg ?? 'RS256';
  const defects = DEFECT_FLAGS.filter(([flag]) => flags[flag]).map(([, defect]) => defect);
  if (algFlag.toLowerCase() === 'none') defects.push('alg-none');
  if (flags.missingClaim) defects.push(`missing-${flags.missingClaim}`);
  if (defects.length > 1) throw new CliError('USAGE', `Give one defect at a time (got ${defects.join(', ')}): each test token is wrong in exactly one way.`);
  if (flags.suite && defects.length > 0) throw new CliError('USAGE', '--suite makes every variant; leave out the defect flags.');
  const alg = (algFlag.toLowerCase() === 'none' ? 'RS256' : algFlag) as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg)) throw new CliError('USAGE', `--alg must be one of ${SIGNING_ALGORITHMS.join(', ')} or none, not "${algFlag}".`);
  const ttl = parseSeconds(flags.ttl ?? '900', '--ttl', { max: MAX_LIFETIME_SECONDS, whole: true });

  const { key, created } = await loadState(stateDir(ctx.io.env), alg);
  if (created) ctx.out.info(`Created a ${alg} signing key for the local server (kept in ${stateDir(ctx.io.env)}/serve).`);
  const claims: MintClaims = {
    issuer: flags.issuer ?? `http://127.0.0.1:${DEFAULT_SERVE_PORT}`,
    subject: flags.sub ?? 'test-user',
    audience: flags.aud ?? DEFAULT_AUDIENCE,
    scope: flags.scope ?? 'api:read',
    clientId: flags.clientId ?? 'oauth-cli',
    ttlSeconds: ttl,
    typ: flags.typ ?? 'at+jwt',
    extra: parseClaims(flags.claim ?? []),
  };
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (flags.suite) {
    for (const defect of [undefined, ...SUITE]) ctx.out.jsonResult(await mint(key, claims, defect, nowSeconds));
    ctx.out.info(`Verify each with: oauth decode - --verify --jwks <issuer>/jwks --issuer ${claims.issuer} --audience ${claims.audience} --typ at+jwt`);
    return Exit.ok;
  }
  const minted = await mint(key, claims, defects[0], nowSeconds);
  if (ctx.out.json) {
    ctx.out.jsonResult(minted);
  } else {
    ctx.out.result(minted.token, { reveal: [minted.token] });
    ctx.out.info(`${minted.name}: ${minted.expect === 'accept' ? 'a correct API accepts it' : `a correct API rejects it (${minted.reason})`}.`);
  }
  return Exit.ok;
}

/** --claim k=v: the value is JSON when it parses (numbers, booleans, arrays), a string otherwise. */
function parseClaims(pairs: string[]): Record<string, unknown> {
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
