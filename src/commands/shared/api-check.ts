// The command side of `oauth check --api`: the settings, the local server's keys, the attacker's key host (only for
// an API on this machine), and the report in words.
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiCheckReport } from '../../check/api.js';
import { CliError } from '../../errors.js';
import type { KeyHost } from '../../net/key-host.js';
import { assertSecureUrl, isLoopbackHost, parseUrl } from '../../net/url.js';
import { defaultAttacker } from '../../serve/mint.js';
import { loadState, publicJwk } from '../../serve/state.js';
import { stateDir } from '../../settings/paths.js';
import type { Context } from '../context.js';
import { parseClaims } from './claims.js';
import { localServerClaims } from './local-server.js';

export interface ApiCheckFlags {
  api: string;
  issuer?: string | undefined;
  audience?: string | undefined;
  scope?: string | undefined;
  clientId?: string | undefined;
  claim?: string[] | undefined;
  method?: string | undefined;
}

const METHODS = ['GET', 'HEAD', 'POST'] as const;

/** Claims the cases set, with what to give instead: a --claim overriding one would break every case at once. */
const RESERVED_CLAIMS: Record<string, string> = {
  iss: 'Give --issuer.',
  sub: 'The subject is fixed (oauth-check); give the claims the route needs with --claim.',
  aud: 'Give --audience.',
  exp: 'Lifetimes are set per case (the valid token lives 5 minutes).',
  nbf: 'Lifetimes are set per case.',
  iat: 'Lifetimes are set per case.',
  jti: 'Each token gets a jti of its own.',
  scope: 'Give --scope.',
  client_id: 'Give --client-id.',
};

export async function runApiCheck(flags: ApiCheckFlags, ctx: Context): Promise<ApiCheckReport> {
  const url = parseUrl(flags.api, 'API');
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('USAGE', `--api must be an http(s) URL, not ${JSON.stringify(url.protocol)}.`);
  assertSecureUrl(url, ctx.insecure, 'API');
  const method = METHODS.find((name) => name === (flags.method ?? 'GET').toUpperCase());
  if (!method) throw new CliError('USAGE', `--method must be one of ${METHODS.join(', ')}, not "${flags.method}".`);
  const claims = parseClaims(flags.claim ?? []);
  const reserved = Object.keys(claims).find((name) => name in RESERVED_CLAIMS);
  if (reserved !== undefined)
    throw new CliError(
      'USAGE',
      `--claim ${reserved} is not allowed: each case sets ${reserved} itself (the valid token right, one bad token wrong).`,
      { hint: RESERVED_CLAIMS[reserved] },
    );

  const { issuer, audience, from } = await localServerClaims(flags, ctx, {
    issuer: '--issuer',
    audience: '--audience',
  });
  const { key, created, path } = await loadState(stateDir(ctx.io.env), undefined);
  if (created)
    ctx.out.warn(
      `Created a ${String(key.alg)} signing key for the local server (kept in ${path}): an API can trust it only once oauth serve (re)started with it publishes it.`,
    );
  const attacker = await defaultAttacker(String(key.alg));
  // The key host listens on this machine: an API elsewhere would reach its own loopback, so it gets the .example URLs.
  let host: KeyHost | undefined;
  if (isLoopbackHost(url.hostname)) {
    const { startKeyHost } = await import('../../net/key-host.js');
    host = await startKeyHost({ keys: [publicJwk(attacker.key)] });
    attacker.jku = host.jku;
    attacker.x5u = host.x5u;
  }
  const { checkApi } = await import('../../check/api.js');
  try {
    return await checkApi(
      {
        url: url.href,
        method,
        issuer,
        audience,
        from,
        scope: flags.scope,
        clientId: flags.clientId ?? 'oauth-cli',
        claims,
      },
      {
        http: await ctx.http(),
        now: () => ctx.now(),
        key,
        attacker,
        remember: (token) => ctx.knownSecrets.add(token),
        wait: (ms) => delay(ms, undefined, { signal: ctx.io.signal }),
        maxRetryWaitMs: ctx.timeoutMs(),
        ...(host ? { fetchedFromKeyHost: host.requested } : {}),
      },
    );
  } finally {
    await host?.close();
  }
}

/** The cases, one line each, before the findings. */
export function formatApiCases(report: ApiCheckReport, ctx: Context): string[] {
  const style = ctx.out.style;
  const lines = [style.bold(`Tokens sent to ${report.url}`)];
  lines.push(
    `  no token: HTTP ${report.unauthenticated.status}${report.valid ? ` · valid token: HTTP ${report.valid.status}` : ''}`,
  );
  for (const item of report.cases) {
    const verdict = item.undecided
      ? style.yellow('? undecided')
      : item.accepted
        ? style.red('✗ accepted')
        : style.green('✓ refused ');
    const reason = item.undecided ? `${item.undecided}: ${item.reason}` : item.reason;
    lines.push(`  ${verdict}  ${String(item.status ?? '—').padEnd(3)}  ${style.cyan(item.name)}  ${style.dim(reason)}`);
  }
  for (const item of report.skipped)
    lines.push(`  ${style.dim('- skipped ')}       ${style.cyan(item.name)}  ${style.dim(item.reason)}`);
  lines.push('');
  return lines;
}
