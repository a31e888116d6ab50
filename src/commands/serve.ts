// `oauth serve`: a local OAuth 2.0 / OpenID Connect server on 127.0.0.1 (oidc-provider), until Ctrl-C.
import type { Context } from './context.js';
import { MAX_LIFETIME_SECONDS, parseSeconds } from '../settings/duration.js';
import { CliError, Exit } from '../errors.js';
import { stateDir } from '../settings/paths.js';
import {
  DEFAULT_AUDIENCE,
  defaultClients,
  startLocalServer,
  type LocalClient,
  type LocalServer,
} from '../serve/provider.js';
import { freshState, loadState, SIGNING_ALGORITHMS, type ServerState, type SigningAlgorithm } from '../serve/state.js';

export const DEFAULT_SERVE_PORT = 9400;
const LIFETIME = { max: MAX_LIFETIME_SECONDS, whole: true };

export interface ServeFlags {
  port?: string;
  audience?: string;
  accessTokenTtl?: string;
  refreshTokenTtl?: string;
  alg?: string;
  ephemeral?: boolean;
  opaqueTokens?: boolean;
}

export interface ServeSettings {
  port: number;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  alg: SigningAlgorithm;
  ephemeral: boolean;
  opaqueTokens: boolean;
}

export function serveSettings(flags: ServeFlags): ServeSettings {
  const number = (value: string | undefined, fallback: number, flag: string, min: number) => {
    const parsed = Number(value ?? fallback);
    if (!Number.isInteger(parsed) || parsed < min)
      throw new CliError(
        'USAGE',
        `${flag} must be a whole number ${min === 0 ? '0 or more' : `of at least ${min}`}, not "${value}".`,
      );
    return parsed;
  };
  const alg = (flags.alg ?? 'RS256') as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg))
    throw new CliError('USAGE', `--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}, not "${flags.alg}".`);
  const port = number(flags.port, DEFAULT_SERVE_PORT, '--port', 0);
  if (port > 65535) throw new CliError('USAGE', `--port must be at most 65535, not ${port}.`);
  const audience = flags.audience ?? DEFAULT_AUDIENCE;
  try {
    if (new URL(audience).hash) throw new Error('fragment');
  } catch {
    throw new CliError('USAGE', `--audience must be an absolute URI without a fragment (RFC 8707), not "${audience}".`);
  }
  return {
    port,
    audience,
    accessTokenTtlSeconds: parseSeconds(flags.accessTokenTtl ?? '900', '--access-token-ttl', LIFETIME),
    refreshTokenTtlSeconds: parseSeconds(flags.refreshTokenTtl ?? String(14 * 86400), '--refresh-token-ttl', LIFETIME),
    alg,
    ephemeral: flags.ephemeral === true,
    opaqueTokens: flags.opaqueTokens === true,
  };
}

/** Starts the server with persisted (or throwaway) keys and secrets; shared by `serve` and `demo`. */
export async function startServer(
  settings: ServeSettings,
  ctx: Context,
): Promise<{ server: LocalServer; state: ServerState }> {
  const state = settings.ephemeral
    ? freshState(settings.alg)
    : (await loadState(stateDir(ctx.io.env), settings.alg, { serving: true })).state;
  const current = state.keys.find((key) => key.alg === settings.alg)!;
  // The current algorithm's key signs; older keys stay published so earlier tokens still verify.
  const keys = [current, ...state.keys.filter((key) => key !== current)];
  try {
    const server = await startLocalServer({
      port: settings.port,
      audience: settings.audience,
      accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
      opaqueTokens: settings.opaqueTokens,
      signingKeys: keys,
      clients: defaultClients(state.secrets),
      log: (line) => ctx.out.verbosity > 0 && ctx.out.trace(`server: ${line}`),
      ...(ctx.out.verbosity > 0
        ? {
            onExchange: (exchange: { method: string; path: string; status: number }) =>
              ctx.out.trace(`server: ${exchange.method} ${exchange.path} ${exchange.status}`),
          }
        : {}),
    });
    return { server, state };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError('PORT_IN_USE', `Port ${settings.port} on 127.0.0.1 is in use.`, {
        hint: 'Pick another --port, or --port 0 for a random free one.',
      });
    }
    throw error;
  }
}

export function describeClients(clients: LocalClient[]) {
  return clients.map((client) => ({
    client_id: client.client_id,
    ...(client.client_secret ? { client_secret: client.client_secret } : {}),
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    grant_types: client.grant_types,
    redirect_uris: client.redirect_uris,
    description: client.description,
  }));
}

export async function run(flags: ServeFlags, ctx: Context): Promise<number> {
  const settings = serveSettings(flags);
  const { server } = await startServer(settings, ctx);
  const clients = describeClients(server.clients);
  if (ctx.out.json) {
    ctx.out.jsonResult({
      issuer: server.issuer,
      audience: settings.audience,
      access_tokens: settings.opaqueTokens ? 'opaque' : 'jwt',
      jwks_uri: `${server.issuer}/jwks`,
      discovery: `${server.issuer}/.well-known/openid-configuration`,
      keys: settings.ephemeral ? 'ephemeral' : 'persisted',
      clients,
    });
  } else {
    ctx.out.result(banner(server.issuer, settings, clients, ctx));
  }
  ctx.out.info(ctx.out.json ? `serving ${server.issuer} (Ctrl-C to stop)` : 'Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    if (ctx.io.signal.aborted) resolve();
    ctx.io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  ctx.out.info('Stopped.');
  return Exit.ok;
}

function banner(
  issuer: string,
  settings: ServeSettings,
  clients: ReturnType<typeof describeClients>,
  ctx: Context,
): string[] {
  const style = ctx.out.style;
  const confidential = clients.find((client) => client.client_id === 'confidential-app');
  const service = clients.find((client) => client.client_id === 'service');
  const lines = [
    `${style.green('✓')} Local authorization server at ${style.bold(issuer)}`,
    `  discovery  ${issuer}/.well-known/openid-configuration`,
    `  JWKS       ${issuer}/jwks (${settings.alg}; keys ${settings.ephemeral ? 'thrown away on exit' : 'kept in the state directory'})`,
    settings.opaqueTokens
      ? `  tokens     opaque access tokens (userinfo, introspection, revocation); a JWT (RFC 9068) when a client asks for resource=${settings.audience}; ${settings.accessTokenTtlSeconds}s`
      : `  tokens     JWT access tokens (RFC 9068) for ${settings.audience}, ${settings.accessTokenTtlSeconds}s (--opaque-tokens for tokens that work at userinfo and introspection)`,
    `  sign-in    any username, any password`,
    '',
    style.bold('Clients'),
    ...clients.flatMap((client) => [
      `  ${style.cyan(client.client_id.padEnd(17))} ${client.description}`,
      ...(client.client_secret ? [`  ${''.padEnd(17)} secret: ${client.client_secret}`] : []),
    ]),
    '',
    style.bold('Try'),
    `  oauth login --issuer ${issuer} --client-id oauth-cli --scope "openid offline_access api:read"`,
    `  oauth token | oauth decode - --verify --issuer ${issuer} --audience ${settings.audience}`,
    `  OAUTH_CLIENT_SECRET=${service?.client_secret ?? '…'} oauth token --client-credentials --issuer ${issuer} --client-id service | oauth decode - --verify --issuer ${issuer} --audience ${settings.audience}`,
    `  OAUTH_CLIENT_SECRET=${confidential?.client_secret ?? '…'} oauth login --issuer ${issuer} --client-id confidential-app`,
    `  oauth check --issuer ${issuer} --client-id oauth-cli --redirect-uri http://127.0.0.1/callback --public --probe`,
  ];
  return lines;
}
