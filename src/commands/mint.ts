// `oauth mint`: test tokens signed with the `oauth serve` keys — valid, or broken in exactly one way — and `--suite`,
// the whole set as JSON lines for an API's test suite.
import type { Context } from './context.js';
import { MAX_LIFETIME_SECONDS, parseSeconds } from '../settings/duration.js';
import { CliError, Exit } from '../errors.js';
import { stateDir } from '../settings/paths.js';
import { isLoopbackHost } from '../net/url.js';
import { mint, SUITE, type Defect, type MintClaims } from '../serve/mint.js';
import { loadState, SIGNING_ALGORITHMS } from '../serve/state.js';
import { defineCommand, flag, type FlagValues, option, repeatable } from './define.js';
import { parseClaims } from './shared/claims.js';
import { DEFAULT_SERVE_PORT, localServerClaims } from './shared/local-server.js';

const FLAGS = {
  issuer: option('--issuer <url>', "iss (default: the running oauth serve's issuer, else http://127.0.0.1:9400)"),
  sub: option('--sub <subject>', 'sub (default test-user)'),
  aud: option('--aud <audience>', "aud (default: the running oauth serve's --audience, else http://127.0.0.1/api)"),
  scope: option('--scope <scopes>', 'scope (default api:read)'),
  clientId: option('--client-id <id>', 'client_id claim (default oauth-cli)'),
  ttl: option('--ttl <seconds>', 'lifetime (default 900)'),
  claim: repeatable(
    '--claim <k=v>',
    'extra claim (repeatable; the value is JSON when it parses); not iss, sub, aud, scope, client_id, exp, nbf, iat, jti or cnf, which have flags of their own',
  ),
  typ: option(
    '--typ <typ>',
    'typ header: at+jwt (the default) or application/at+jwt; --wrong-typ for a typ an API refuses',
  ),
  alg: option(
    '--alg <alg>',
    'RS256, PS256, ES256, EdDSA (default: the one oauth serve last started with) — or none for an unsigned token',
    { choices: [...SIGNING_ALGORITHMS, 'none'] },
  ),
  expired: flag('--expired', 'exp in the past'),
  notYetValid: flag('--not-yet-valid', 'nbf in the future'),
  issuedInFuture: flag('--issued-in-future', 'iat in the future'),
  wrongIssuer: flag('--wrong-issuer', 'iss of another issuer'),
  wrongAudience: flag('--wrong-audience', 'aud of another API'),
  wrongTyp: flag('--wrong-typ', 'typ JWT instead of at+jwt'),
  badSignature: flag('--bad-signature', 'a signature that does not match'),
  unknownKid: flag('--unknown-kid', 'signed by an unpublished key under an unknown kid'),
  missingClaim: option('--missing-claim <name>', 'leave out one claim'),
  hs256WithPublicKey: flag('--hs256-with-public-key', 'HS256 with the public key as the secret (algorithm confusion)'),
  issuerPrefix: flag('--issuer-prefix', 'iss that only starts with the issuer (…attacker.example)'),
  knownKidOtherKey: flag('--known-kid-other-key', "signed by an unpublished key under the server's own kid"),
  jwkHeader: flag('--jwk-header', "signed by an attacker's key carried in a jwk header"),
  jkuHeader: flag('--jku-header', "signed by an attacker's key, with a jku header pointing elsewhere"),
  x5uHeader: flag('--x5u-header', "signed by an attacker's key, with an x5u header pointing elsewhere"),
  idToken: flag('--id-token', 'an ID token instead: typ JWT, aud the client id, no scope'),
  dpopBound: flag('--dpop-bound', 'bound to a DPoP key (cnf.jkt): refused without a DPoP proof'),
  suite: flag('--suite', 'every variant, as JSON lines {name, token, expect, reason, error_code?}'),
};

type MintFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'mint',
  flags: FLAGS,
  examples: [
    'oauth mint                                  # a valid access token for the local server',
    'curl -H "Authorization: Bearer $(oauth mint --expired)" http://localhost:8080/orders   # must be 401',
    "oauth mint --suite > tokens.jsonl            # for your API's test suite",
    'oauth mint --alg none',
  ],
  run: (_args, flags, ctx) => run(flags, ctx),
});

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
  ['issuerPrefix', 'issuer-prefix'],
  ['knownKidOtherKey', 'known-kid-other-key'],
  ['jwkHeader', 'jwk-header'],
  ['jkuHeader', 'jku-header'],
  ['x5uHeader', 'x5u-header'],
  ['idToken', 'id-token'],
  ['dpopBound', 'dpop-bound'],
];

async function run(flags: MintFlags, ctx: Context): Promise<number> {
  const unsigned = flags.alg?.toLowerCase() === 'none';
  const defects = DEFECT_FLAGS.filter(([flag]) => flags[flag]).map(([, defect]) => defect);
  if (unsigned) defects.push('alg-none');
  if (flags.missingClaim) defects.push(`missing-${flags.missingClaim}`);
  if (defects.length > 1)
    throw new CliError(
      'USAGE',
      `Give one defect at a time (got ${defects.join(', ')}): each test token is wrong in exactly one way.`,
    );
  if (flags.idToken && (flags.aud !== undefined || flags.typ !== undefined))
    throw new CliError(
      'USAGE',
      `--id-token sets the ID token's aud (the client id) and typ (JWT) itself; leave out ${[flags.aud !== undefined ? '--aud' : '', flags.typ !== undefined ? '--typ' : ''].filter(Boolean).join(' and ')}.`,
      { hint: 'Give --client-id for its aud.' },
    );
  // RFC 9068 §4: an API refuses any other typ, so another would make the verdict "a correct API accepts it" a lie.
  if (flags.typ !== undefined && !/^(application\/)?at\+jwt$/i.test(flags.typ))
    throw new CliError(
      'USAGE',
      `--typ ${flags.typ} makes a token a correct API refuses (RFC 9068 §4 wants at+jwt): the verdict mint prints depends on it. Use --wrong-typ instead.`,
    );
  const extra = parseClaims(flags.claim ?? []);
  refuseCheckedClaims(Object.keys(extra));
  if (flags.suite && defects.length > 0)
    throw new CliError('USAGE', '--suite makes every variant; leave out the defect flags.');
  // Without --alg (or with none, which signs nothing), the key the local server signs with, so its JWKS verifies.
  const alg = flags.alg === undefined || unsigned ? undefined : SIGNING_ALGORITHMS.find((name) => name === flags.alg);
  if (flags.alg !== undefined && !unsigned && alg === undefined)
    throw new CliError('USAGE', `--alg must be one of ${SIGNING_ALGORITHMS.join(', ')} or none, not "${flags.alg}".`);
  const ttl = parseSeconds(flags.ttl ?? '900', '--ttl', { max: MAX_LIFETIME_SECONDS, whole: true });

  const { key, created, path } = await loadState(stateDir(ctx.io.env), alg);
  if (created === 'state')
    ctx.out.info(`Created a ${String(key.alg)} signing key for the local server (kept in ${path}).`);
  // The server reads its keys when it starts: one already running publishes this key only after a restart.
  if (created === 'key')
    ctx.out.warn(
      `Created a ${String(key.alg)} signing key for the local server (kept in ${path}); an oauth serve that is already running does not publish it until it is restarted, so its JWKS will not verify these tokens until then.`,
    );
  const { issuer, audience } = await localServerClaims({ issuer: flags.issuer, audience: flags.aud }, ctx, {
    issuer: '--issuer',
    audience: '--aud',
  });
  const claims: MintClaims = {
    issuer,
    subject: flags.sub ?? 'test-user',
    audience,
    scope: flags.scope ?? 'api:read',
    clientId: flags.clientId ?? 'oauth-cli',
    ttlSeconds: ttl,
    typ: flags.typ ?? 'at+jwt',
    extra,
  };
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (flags.suite) {
    for (const defect of [undefined, ...SUITE]) ctx.out.jsonResult(await mint(key, claims, defect, nowSeconds));
    ctx.out.info(
      `Verify each with: oauth decode - --verify --jwks ${localJwks(claims.issuer)} --issuer ${claims.issuer} --audience ${claims.audience} --typ at+jwt`,
    );
    return Exit.ok;
  }
  const minted = await mint(key, claims, defects[0], nowSeconds);
  if (ctx.out.json) {
    ctx.out.jsonResult(minted);
  } else {
    ctx.out.result(minted.token, { reveal: [minted.token] });
    ctx.out.info(
      `${minted.name}: ${minted.expect === 'accept' ? 'a correct API accepts it' : `a correct API rejects it (${minted.reason})`}.`,
    );
  }
  return Exit.ok;
}

/**
 * The claims the verdict rests on, each with the flags that set it: a --claim overriding one would make the verdict
 * ("a correct API accepts it") wrong, so those are refused and the flag that keeps the verdict honest is named.
 */
const CHECKED_CLAIMS: Record<string, string> = {
  iss: '--issuer, or --wrong-issuer / --issuer-prefix',
  sub: '--sub, or --missing-claim sub',
  aud: '--aud, or --wrong-audience',
  scope: '--scope',
  client_id: '--client-id',
  exp: '--ttl, or --expired',
  nbf: '--not-yet-valid',
  iat: '--issued-in-future',
  jti: '--missing-claim jti',
  cnf: '--dpop-bound',
};

function refuseCheckedClaims(names: string[]): void {
  for (const name of names) {
    const flags = Object.hasOwn(CHECKED_CLAIMS, name) ? CHECKED_CLAIMS[name] : undefined;
    if (flags)
      throw new CliError(
        'USAGE',
        `--claim cannot set ${name}: the verdict mint prints depends on it. Use ${flags} instead.`,
      );
  }
}

/** Where the local server publishes the keys: at the issuer when it is a local server, else at the default port. */
function localJwks(issuer: string): string {
  try {
    const url = new URL(issuer);
    if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return `${issuer.replace(/\/+$/, '')}/jwks`;
  } catch {
    // an --issuer that is not a URL names no server
  }
  return `http://127.0.0.1:${DEFAULT_SERVE_PORT}/jwks`;
}
