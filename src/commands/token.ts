// `oauth token`: a usable access token. The profile's, refreshed (and rotated) when near expiry; or a service token
// through client credentials, cached until near expiry. Raw on a pipe, so TOKEN=$(oauth token …) just works.
import type { Context } from '../context.js';
import { CliError, Exit } from '../errors.js';
import { stateDir } from '../paths.js';
import { freshSession, isFresh, parseSession, serviceTokenKey, sessionFromResponse, type Session } from '../session.js';
import { requestParameters, store, type ClientFlags, type RequestFlags } from './common.js';
import { DEFAULT_MIN_TTL_SECONDS, OUTPUTS, type TokenOutput } from './options.js';
import { rememberSecrets } from './stored-token.js';
import { printSessionSummary } from './session-format.js';

export interface TokenFlags extends ClientFlags, RequestFlags {
  clientCredentials?: boolean;
  refresh?: boolean;
  minTtl?: string;
  output?: string;
  cache?: boolean;
}

export async function run(flags: TokenFlags, ctx: Context): Promise<number> {
  const output = chooseOutput(ctx, flags.output);
  const minTtlSeconds = Number(flags.minTtl ?? DEFAULT_MIN_TTL_SECONDS);
  if (!Number.isFinite(minTtlSeconds) || minTtlSeconds < 0) throw new CliError('USAGE', `--min-ttl must be a number of seconds, not "${flags.minTtl}".`);
  const tokens = await store(ctx);
  const nowSeconds = () => Math.floor(ctx.now() / 1000);

  let session: Session;
  if (flags.clientCredentials) {
    session = await serviceToken(ctx, flags, minTtlSeconds, tokens);
  } else {
    const fresh = await freshSession(
      ctx.profileName,
      {
        store: tokens,
        stateDir: stateDir(ctx.io.env),
        nowSeconds,
        signal: ctx.io.signal,
        refresh: async (current) => {
          ctx.knownSecrets.add(current.refresh_token!);
          // The protocol stack loads only when a refresh is due: a fresh token from the store needs none of it.
          const [{ connectForSession }, { refresh }] = await Promise.all([import('./connection.js'), import('../oauth/grants.js')]);
          const connection = await connectForSession(ctx, flags, current);
          return refresh(connection.protocol, current.refresh_token!, requestParameters(ctx, flags).parameters);
        },
      },
      { minTtlSeconds, force: flags.refresh === true },
    );
    session = fresh.session;
    if (fresh.refreshed && ctx.out.verbosity > 0) ctx.out.trace('token: refreshed and saved');
  }
  rememberSecrets(ctx, session);
  printToken(ctx, session, output, tokens.describe());
  return Exit.ok;
}

async function serviceToken(ctx: Context, flags: TokenFlags, minTtlSeconds: number, tokens: Awaited<ReturnType<typeof store>>): Promise<Session> {
  const [{ connect }, { clientCredentials }] = await Promise.all([import('./connection.js'), import('../oauth/grants.js')]);
  const connection = await connect(ctx, flags, { confidentialGrant: 'client credentials' });
  const request = requestParameters(ctx, flags);
  const key = serviceTokenKey({
    issuer: connection.as.issuer,
    clientId: connection.clientId,
    credential: `${connection.authMethod}:${connection.clientSecret ?? connection.privateKeyFile ?? ''}`,
    scope: request.scope ?? '',
    resource: request.resource,
    audience: request.audience,
  });
  const useCache = flags.cache !== false;
  if (useCache) {
    const cached = parseSession(await tokens.get(key), 'the cached service token');
    if (cached && isFresh(cached, ctx.now() / 1000, minTtlSeconds) && cached.expires_at !== undefined) return cached;
  }
  const response = await clientCredentials(connection.protocol, { ...request.parameters, ...(request.scope ? { scope: [request.scope] } : {}) });
  const session = sessionFromResponse(response, {
    issuer: connection.as.issuer,
    clientId: connection.clientId,
    requestedScope: request.scope,
    nowSeconds: Math.floor(ctx.now() / 1000),
  });
  if (useCache && session.expires_at !== undefined) await tokens.set(key, JSON.stringify(session));
  return session;
}

function chooseOutput(ctx: Context, flag: string | undefined): TokenOutput {
  if (flag !== undefined) {
    if (!(OUTPUTS as readonly string[]).includes(flag)) throw new CliError('USAGE', `--output must be one of ${OUTPUTS.join(', ')}, not "${flag}".`);
    return flag as TokenOutput;
  }
  if (ctx.out.json) return 'json';
  return ctx.io.stdoutIsTTY ? 'human' : 'raw';
}

function printToken(ctx: Context, session: Session, output: TokenOutput, storeDescription: string): void {
  const nowSeconds = ctx.now() / 1000;
  switch (output) {
    case 'raw':
      ctx.out.result(session.access_token, { reveal: [session.access_token] });
      return;
    case 'header':
      ctx.out.result(`Authorization: ${session.token_type} ${session.access_token}`, { reveal: [session.access_token] });
      return;
    case 'json':
      // The token response as the user asked for it; the refresh token stays in the store.
      ctx.out.jsonResult({
        access_token: session.access_token,
        token_type: session.token_type,
        ...(session.expires_at !== undefined ? { expires_in: Math.max(0, Math.round(session.expires_at - nowSeconds)), expires_at: session.expires_at } : {}),
        ...(session.scope !== undefined ? { scope: session.scope } : {}),
        ...(session.id_token ? { id_token: session.id_token } : {}),
      }, { reveal: [session.access_token, ...(session.id_token ? [session.id_token] : [])] });
      return;
    case 'human':
      printSessionSummary(ctx, session, { profile: ctx.profileName, store: storeDescription, heading: 'Access token' });
      if (ctx.io.stdoutIsTTY) ctx.out.info(ctx.out.errStyle.dim('The token is redacted here; use --output raw (or pipe it) to get it.'));
  }
}
