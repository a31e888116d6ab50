// `oauth token`: a usable access token. The profile's, refreshed (and rotated) when near expiry; or a service token
// through client credentials, cached until near expiry. Raw on a pipe, so TOKEN=$(oauth token …) just works.
import type { Context } from './context.js';
import { CliError, Exit, isCliError, saidAfter } from '../errors.js';
import { parseAuthorizationDetails } from '../oauth/authorization-details.js';
import { MAX_WAIT_SECONDS, parseSeconds } from '../settings/duration.js';
import {
  cacheServiceToken,
  indexServiceToken,
  isFresh,
  parseSession,
  serviceTokenKey,
  sessionFromResponse,
  type Session,
} from '../oauth/session.js';
import { defineCommand, flag, type FlagValues, option } from './define.js';
import { AUTHORIZATION_DETAILS_FLAGS, CLIENT_FLAGS, DPOP_FLAGS, REQUEST_FLAGS } from './shared/client-flags.js';
import { dpopAlgOrigin, dpopNonces, newDpopKey, wantedDpop } from './shared/dpop.js';
import { printSessionSummary } from './format/session.js';
import { freshProfileSession } from './shared/fresh-session.js';
import { requestParameters } from './shared/request.js';
import { store } from './shared/store.js';
import { rememberSecrets } from './shared/stored-session.js';

const DEFAULT_MIN_TTL_SECONDS = 60;
const OUTPUTS = ['raw', 'json', 'header', 'human'] as const;
type TokenOutput = (typeof OUTPUTS)[number];

const FLAGS = {
  ...CLIENT_FLAGS,
  ...REQUEST_FLAGS,
  ...AUTHORIZATION_DETAILS_FLAGS,
  clientCredentials: flag('--client-credentials', 'get a service token with the client credentials grant'),
  refresh: flag('--refresh', 'refresh now, even if the stored access token is still fresh'),
  minTtl: option(
    '--min-ttl <seconds>',
    `refresh when the token expires within this (default ${DEFAULT_MIN_TTL_SECONDS})`,
  ),
  output: option('-o, --output <format>', 'raw | json | header | human (default: human on a terminal, raw otherwise)', {
    choices: OUTPUTS,
  }),
  cache: flag('--no-cache', 'with --client-credentials: always ask the server, store nothing'),
  ...DPOP_FLAGS,
  htu: option('--htu <url>', 'with --output header for a DPoP token: the URL the DPoP proof is for'),
  htm: option(
    '--htm <method>',
    'with --output header for a DPoP token: the HTTP method the proof is for (default GET)',
  ),
};

export type TokenFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'token',
  description:
    'Print an access token for the profile: from the store, refreshed first when it expires within --min-ttl (the rotated ' +
    'refresh token is saved before the new token is printed; parallel runs never refresh twice; a refreshed ID token is ' +
    'checked as at sign-in). The stored session is used only for its own issuer and client: --issuer or --client-id ' +
    'naming another is "not signed in", and its tokens go only to the endpoints it was signed in with. A token that lives ' +
    'less than twice --min-ttl is fresh for half its lifetime. With --client-credentials, a service token, cached until near expiry (until ' +
    'revoked with oauth revoke). Output is raw on a pipe and a redacted summary on a terminal.',
  flags: FLAGS,
  examples: [
    'TOKEN=$(oauth token)',
    'curl -H "$(oauth token -o header)" https://api.example.com/orders',
    'TOKEN=$(OAUTH_CLIENT_SECRET=… oauth token --client-credentials --issuer https://id.example.com --client-id svc --scope api:read)',
    'oauth token --refresh --output json | jq .expires_in',
    'curl -H "$(oauth token -o header --htu https://api.example.com/orders --htm GET)" https://api.example.com/orders   # DPoP: two header lines',
  ],
  exits:
    'Exit codes: 0 ok · 2 bad flags, missing settings or a corrupt store · 3 refreshed ID token invalid · 4 not signed in\n            (for this issuer and client) or refresh rejected · 5 server error',
  run: (_args, flags, ctx) => run(flags, ctx),
});

export async function run(flags: TokenFlags, ctx: Context): Promise<number> {
  const output = chooseOutput(ctx, flags.output);
  if ((flags.htu !== undefined || flags.htm !== undefined) && output !== 'header')
    throw new CliError('USAGE', '--htu and --htm go with --output header (a DPoP proof for that request).');
  const proofFor = flags.htu !== undefined ? proofRequest(flags.htu, flags.htm) : undefined;
  const minTtlSeconds = parseSeconds(flags.minTtl ?? String(DEFAULT_MIN_TTL_SECONDS), '--min-ttl', {
    max: MAX_WAIT_SECONDS,
    zero: true,
  });
  if (flags.authorizationDetails !== undefined && !flags.clientCredentials) {
    throw new CliError(
      'USAGE',
      '--authorization-details asks for a new grant: use it with --client-credentials (or with oauth login).',
      {
        hint: 'A refresh keeps the authorization details the session was granted; "oauth status" shows them.',
      },
    );
  }
  const tokens = await store(ctx);

  let session: Session;
  let storedIn: string | undefined = tokens.describe();
  let notStored: string | undefined;
  if (flags.clientCredentials) {
    const service = await serviceToken(ctx, flags, minTtlSeconds, tokens);
    session = service.session;
    storedIn = service.storedIn;
    if (storedIn === undefined)
      notStored = flags.cache === false ? '(--no-cache)' : '(the server gave no expiry, so it is not cached)';
  } else {
    // --dpop on a session without a key: its next refresh (--refresh makes it now) binds the tokens to a new key.
    const dpopAlg = flags.dpop === true ? wantedDpop(ctx, flags) : undefined;
    const fresh = await freshProfileSession(ctx, flags, tokens, {
      minTtlSeconds,
      force: flags.refresh === true,
      parameters: requestParameters(ctx, flags).parameters,
      dpopAlg,
    });
    if (dpopAlg && !fresh.session.dpop_jwk)
      ctx.out.warn('The stored token is not DPoP-bound; add --refresh to have it replaced by one bound to a new key.');
    session = fresh.session;
    if (fresh.refreshed && ctx.out.verbosity > 0) ctx.out.trace('token: refreshed and saved');
  }
  rememberSecrets(ctx, session);
  if (output === 'header' && session.token_type === 'DPoP') {
    await printDpopHeaders(ctx, session, proofFor);
    return Exit.ok;
  }
  if (proofFor || flags.htm !== undefined)
    ctx.out.warn('--htu and --htm apply only to DPoP sessions; this token is a Bearer token, printed without a proof.');
  printToken(ctx, session, output, storedIn, notStored);
  return Exit.ok;
}

/** RFC 9449 §4.2: htu is an absolute http(s) URL; htm a method token. */
function proofRequest(htu: string, htm: string | undefined): { url: URL; method: string } {
  let url: URL;
  try {
    url = new URL(htu);
  } catch {
    throw new CliError('USAGE', `--htu must be an absolute URL, not ${JSON.stringify(htu)}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new CliError('USAGE', `--htu must be an http or https URL, not ${JSON.stringify(htu)}.`);
  const method = (htm ?? 'GET').toUpperCase();
  if (!/^[!#$%&'*+.^_`|~0-9A-Z-]+$/.test(method))
    throw new CliError('USAGE', `--htm must be an HTTP method such as GET or POST, not ${JSON.stringify(htm)}.`);
  return { url, method };
}

/**
 * A DPoP token is no use alone: the API wants a proof for its own URL and method beside it (RFC 9449 §7.1), so the
 * header output is both lines, the proof made now for --htu/--htm.
 */
async function printDpopHeaders(
  ctx: Context,
  session: Session,
  request: { url: URL; method: string } | undefined,
): Promise<void> {
  if (!request)
    throw new CliError(
      'USAGE',
      'This token is DPoP-bound: --output header needs --htu <url> (and --htm <method>, default GET).',
      {
        hint: 'The DPoP proof is made for one request: oauth token -o header --htu https://api.example.com/orders --htm GET',
      },
    );
  if (!session.dpop_jwk)
    throw new CliError('STORE_CORRUPT', 'The stored DPoP token has no DPoP key with it.', {
      hint: 'Sign in again with "oauth login --dpop".',
    });
  const { importDpopKey, resourceProof } = await import('../oauth/dpop.js');
  const key = await importDpopKey(session.dpop_jwk, ctx.knownSecrets);
  const proof = await resourceProof(
    key,
    {
      url: request.url,
      method: request.method,
      accessToken: session.access_token,
      nonce: dpopNonces(ctx).get(request.url),
    },
    ctx.now() / 1000,
  );
  ctx.out.result([`Authorization: DPoP ${session.access_token}`, `DPoP: ${proof}`], {
    reveal: [session.access_token, proof],
  });
}

async function serviceToken(
  ctx: Context,
  flags: TokenFlags,
  minTtlSeconds: number,
  tokens: Awaited<ReturnType<typeof store>>,
): Promise<{ session: Session; storedIn: string | undefined }> {
  const [{ connect }, { clientCredentials }] = await Promise.all([
    import('./shared/connect.js'),
    import('../oauth/grants.js'),
  ]);
  const details =
    flags.authorizationDetails === undefined ? undefined : parseAuthorizationDetails(flags.authorizationDetails);
  // RFC 9449: a service token bound to a key is cached with its key (dpop_jwk), and only for runs that ask for DPoP.
  const dpopAlg = wantedDpop(ctx, flags);
  const dpop = dpopAlg ? await newDpopKey(ctx, dpopAlg) : undefined;
  const connection = await connect(ctx, flags, { confidentialGrant: 'client credentials', ...(dpop ? { dpop } : {}) });
  if (dpopAlg) (await import('../oauth/dpop.js')).assertServerAlg(connection.as, dpopAlg, dpopAlgOrigin(ctx));
  const request = requestParameters(ctx, flags);
  // In the parameters, so the cache key holds them: a token granted other details is another token.
  if (details) request.parameters.authorization_details = [JSON.stringify(details)];
  const key = serviceTokenKey({
    issuer: connection.as.issuer,
    clientId: connection.clientId,
    authMethod: connection.authMethod,
    // A token bound to one certificate (RFC 8705) is no token for a run with another.
    credential: `${connection.keyThumbprint ?? connection.clientSecret ?? ''}${connection.certThumbprint ? ` x5t#S256=${connection.certThumbprint}` : ''}`,
    scope: request.scope ?? '',
    parameters: request.parameters,
    dpop: dpopAlg,
  });
  const useCache = flags.cache !== false;
  const cached = useCache ? await cachedServiceToken(ctx, tokens, key) : undefined;
  if (cached && isFresh(cached, ctx.now() / 1000, minTtlSeconds) && cached.expires_at !== undefined) {
    await indexServiceToken(tokens, key, cached);
    return { session: cached, storedIn: tokens.describe() };
  }
  const response = await clientCredentials(connection.protocol, {
    ...request.parameters,
    ...(request.scope ? { scope: [request.scope] } : {}),
  });
  const session = sessionFromResponse(response, {
    issuer: connection.as.issuer,
    clientId: connection.clientId,
    requestedScope: request.scope,
    nowSeconds: Math.floor(ctx.now() / 1000),
    dpopJwk: dpop?.jwk,
    certThumbprint: connection.certThumbprint,
    authorizationDetails: details,
  });
  session.grant_type = 'client_credentials';
  // Without an expiry there is no knowing when a cached token goes bad: such a token is not kept.
  if (!useCache || session.expires_at === undefined) return { session, storedIn: undefined };
  await cacheServiceToken(tokens, key, session, cached);
  return { session, storedIn: tokens.describe() };
}

/** A cache entry that is not a session is a miss (said once), not a reason to stop: the next token replaces it. */
async function cachedServiceToken(
  ctx: Context,
  tokens: Awaited<ReturnType<typeof store>>,
  key: string,
): Promise<Session | undefined> {
  try {
    return parseSession(await tokens.get(key), `the cached service token in ${tokens.describe()}`);
  } catch (error) {
    if (!isCliError(error) || error.code !== 'STORE_CORRUPT') throw error;
    ctx.out.warn(
      `${saidAfter(`The cached service token in ${tokens.describe()} is corrupt`, error)} Fetching a new one.`,
    );
    return undefined;
  }
}

function chooseOutput(ctx: Context, flag: string | undefined): TokenOutput {
  if (flag !== undefined) {
    const output = OUTPUTS.find((name) => name === flag);
    if (output === undefined)
      throw new CliError('USAGE', `--output must be one of ${OUTPUTS.join(', ')}, not "${flag}".`);
    return output;
  }
  if (ctx.out.json) return 'json';
  return ctx.io.stdoutIsTTY ? 'human' : 'raw';
}

function printToken(
  ctx: Context,
  session: Session,
  output: TokenOutput,
  storedIn: string | undefined,
  notStored: string | undefined,
): void {
  const nowSeconds = ctx.now() / 1000;
  switch (output) {
    case 'raw':
      ctx.out.result(session.access_token, { reveal: [session.access_token] });
      return;
    case 'header':
      ctx.out.result(`Authorization: ${session.token_type} ${session.access_token}`, {
        reveal: [session.access_token],
      });
      return;
    case 'json':
      // The token response as the user asked for it; the refresh token stays in the store.
      ctx.out.jsonResult(
        {
          access_token: session.access_token,
          token_type: session.token_type,
          ...(session.expires_at !== undefined
            ? { expires_in: Math.max(0, Math.round(session.expires_at - nowSeconds)), expires_at: session.expires_at }
            : {}),
          ...(session.scope !== undefined ? { scope: session.scope } : {}),
          ...(session.id_token ? { id_token: session.id_token } : {}),
          ...(session.authorization_details ? { authorization_details: session.authorization_details } : {}),
        },
        { reveal: [session.access_token, ...(session.id_token ? [session.id_token] : [])] },
      );
      return;
    case 'human':
      printSessionSummary(ctx, session, {
        profile: ctx.profileName,
        store: storedIn,
        ...(notStored ? { notStored } : {}),
        heading: session.grant_type === 'client_credentials' ? 'Service token' : 'Access token',
      });
      if (ctx.io.stdoutIsTTY)
        ctx.out.info(ctx.out.errStyle.dim('The token is redacted here; use --output raw (or pipe it) to get it.'));
  }
}
