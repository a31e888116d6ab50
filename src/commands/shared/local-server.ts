// The local authorization server as `serve` and `demo` start it: its settings from flags, and the server itself with
// persisted (or throwaway) keys and secrets.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../errors.js';
import { ALL_FEATURES, type ProtocolFeatures } from '../../serve/features.js';
import { ALL_MISTAKES } from '../../serve/resource-token.js';
import { DEFAULT_AUDIENCE, defaultClients, type LocalServer, startLocalServer } from '../../serve/provider.js';
import {
  clientKeyFile,
  freshState,
  loadState,
  publicJwk,
  stateFile,
  writeClientKey,
  SIGNING_ALGORITHMS,
  type ServerState,
  type SigningAlgorithm,
} from '../../serve/state.js';
import { MAX_LIFETIME_SECONDS, parseSeconds } from '../../settings/duration.js';
import { runningServer } from '../../serve/running.js';
import { stateDir } from '../../settings/paths.js';
import type { Context } from '../context.js';
import type { LocalCaFiles } from '../../serve/local-ca.js';

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
  laxApi?: boolean;
  registration?: boolean;
  dpopNonce?: boolean;
  requirePar?: boolean;
}

export interface ServeSettings {
  port: number;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  alg: SigningAlgorithm;
  ephemeral: boolean;
  opaqueTokens: boolean;
  /** Also the deliberately insecure example API. */
  laxApi: boolean;
  /** Dynamic client registration (RFC 7591/7592) open to anyone: for trying `oauth register` and `login --register`. */
  registration: boolean;
  /** DPoP, PAR, request objects, JARM and RAR, all on; --dpop-nonce and --require-par make the first two strict. */
  features: ProtocolFeatures;
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
  const alg = flags.alg ?? 'RS256';
  if (!isSigningAlgorithm(alg))
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
    laxApi: flags.laxApi === true,
    registration: flags.registration === true,
    features: {
      ...ALL_FEATURES,
      dpop: { nonce: flags.dpopNonce === true },
      par: { required: flags.requirePar === true },
    },
  };
}

/**
 * Starts the server with persisted (or throwaway) keys and secrets; shared by `serve` and `demo`, which keeps them in
 * its own temporary home (`env`) so that the commands it runs sign with the keys its server publishes.
 */
export async function startServer(
  settings: ServeSettings,
  ctx: Context,
  env: Readonly<Record<string, string | undefined>> = ctx.io.env,
  options: { mtls?: boolean } = {},
): Promise<{ server: LocalServer; state: ServerState; clientKeyPath: string; mtls?: LocalCaFiles }> {
  const state = settings.ephemeral
    ? freshState(settings.alg)
    : (await loadState(stateDir(env), settings.alg, { serving: true })).state;
  // A throwaway server's client key goes to a directory of its own that is removed when the server stops.
  const throwaway = settings.ephemeral ? await mkdtemp(join(tmpdir(), 'oauth-serve-')) : undefined;
  const clientKeyPath = throwaway ? join(throwaway, 'jwt-client.jwk') : clientKeyFile(stateDir(env));
  const clientKey = await writeClientKey(state, clientKeyPath, throwaway ? undefined : stateFile(stateDir(env)));
  const current = state.keys.find((key) => key.alg === settings.alg)!;
  // The current algorithm's key signs; older keys stay published so earlier tokens still verify.
  const keys = [current, ...state.keys.filter((key) => key !== current)];
  // Mutual TLS (RFC 8705): the local CA and client certificate kept with the state (profiles point at their files),
  // a server certificate from that CA each run.
  const kept = options.mtls
    ? await (await import('../../serve/local-ca.js')).keptLocalCa(
        join(throwaway ?? join(stateDir(env), 'serve'), 'mtls'),
        (text) => ctx.out.warn(text),
      )
    : undefined;
  const localCa = kept?.ca;
  const mtlsFiles = kept?.files;
  try {
    const server = await startLocalServer({
      port: settings.port,
      audience: settings.audience,
      accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
      opaqueTokens: settings.opaqueTokens,
      ...(settings.laxApi ? { laxApi: ALL_MISTAKES } : {}),
      ...(settings.registration ? { registration: {} } : {}),
      signingKeys: keys,
      clients: defaultClients(state.secrets, { keys: [publicJwk(clientKey)] }, localCa?.client.subject),
      features: {
        ...settings.features,
        ...(localCa ? { mtls: { ca: localCa.ca, cert: localCa.server.cert, key: localCa.server.key } } : {}),
      },
      log: (line) => ctx.out.verbosity > 0 && ctx.out.trace(`server: ${line}`),
      ...(ctx.out.verbosity > 0
        ? {
            onExchange: (exchange: { method: string; path: string; status: number }) =>
              ctx.out.trace(`server: ${exchange.method} ${exchange.path} ${exchange.status}`),
          }
        : {}),
    });
    const mtls = mtlsFiles ? { mtls: mtlsFiles } : {};
    if (!throwaway) return { server, state, clientKeyPath, ...mtls };
    const close = server.close;
    return {
      server: { ...server, close: () => close().finally(() => rm(throwaway, { recursive: true, force: true })) },
      state,
      clientKeyPath,
      ...mtls,
    };
  } catch (error) {
    if (throwaway) await rm(throwaway, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError('PORT_IN_USE', `Port ${settings.port} on 127.0.0.1 is in use.`, {
        hint: 'Pick another --port, or --port 0 for a random free one.',
      });
    }
    throw error;
  }
}

function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return SIGNING_ALGORITHMS.some((alg) => alg === value);
}

/** Where a claim of a test token came from, in words: "from --issuer", "the default". */
export interface LocalServerClaims {
  issuer: string;
  audience: string;
  from: { issuer: string; audience: string };
}

/**
 * The issuer and audience tokens for the local server carry: the flags, else the running `oauth serve`'s (its real
 * port and --audience), else the defaults. Says on stderr when the running server's were taken. A running server with
 * throwaway keys (--ephemeral) refuses every token signed with the state's keys: without --issuer that is an error.
 */
export async function localServerClaims(
  given: { issuer?: string | undefined; audience?: string | undefined },
  ctx: Context,
  flags: { issuer: string; audience: string },
): Promise<LocalServerClaims> {
  const running =
    given.issuer === undefined || given.audience === undefined ? runningServer(stateDir(ctx.io.env)) : undefined;
  if (running?.ephemeral && given.issuer === undefined)
    throw new CliError(
      'USAGE',
      `The running oauth serve (pid ${running.pid}) uses throwaway keys (--ephemeral): restart it without --ephemeral to mint for it.`,
      { hint: `Or give ${flags.issuer} for another issuer whose API trusts the local server's kept keys.` },
    );
  const issuer = given.issuer ?? running?.issuer ?? `http://127.0.0.1:${DEFAULT_SERVE_PORT}`;
  const audience = given.audience ?? running?.audience ?? DEFAULT_AUDIENCE;
  const origin = (flag: string, value: string | undefined, fromServer: string | undefined) =>
    value !== undefined
      ? `from ${flag}`
      : fromServer !== undefined
        ? `from the running oauth serve, pid ${running?.pid}`
        : 'the default';
  const from = {
    issuer: origin(flags.issuer, given.issuer, running?.issuer),
    audience: origin(flags.audience, given.audience, running?.audience),
  };
  if (running) {
    const taken = [
      ...(given.issuer === undefined ? [`issuer ${issuer}`] : []),
      ...(given.audience === undefined ? [`audience ${audience}`] : []),
    ];
    ctx.out.info(`Using the ${taken.join(' and ')} of the running oauth serve (pid ${running.pid}).`);
  }
  return { issuer, audience, from };
}
