// What a command gets to work with (gh's "factory"): output, settings, clock, and HTTP/caches created on first use so
// that commands which never touch the network never load undici.
import { configFile, cacheDir } from '../settings/paths.js';
import { loadConfig, profileName, type ConfigFile, type Profile } from '../settings/config.js';
import { timerMs } from '../settings/duration.js';
import { resolveSettings, type SettingFlags, type Settings } from '../settings/settings.js';
import type { IO } from '../term/io.js';
import { createOutput, type Output } from '../term/output.js';
import { urlCredentials, urlQuerySecrets, type SecretRegistry } from '../redact.js';
import type { HttpClient } from '../net/http.js';
import type { ClientCertificate } from '../net/client-cert.js';
import type { DocumentCache } from '../net/http-cache.js';
import { CliError } from '../errors.js';
import type { GlobalFlags } from './globals.js';

/** Runs a command line of this CLI with other streams (the demo runs the real commands). */
export type CommandRunner = (argv: string[], io: IO) => Promise<number>;

export interface Context {
  readonly io: IO;
  readonly out: Output;
  readonly options: GlobalFlags;
  /** flag > OAUTH_* > profile > default, each resolved once (when first read) with where it came from. */
  readonly settings: Settings;
  /** Runs another command line of this CLI (for the demo). */
  readonly runCommand: CommandRunner;
  /** Milliseconds since the epoch. */
  now(): number;
  readonly profileName: string;
  profile(): Profile | undefined;
  /** The config file, read once; URL passwords in it are registered as secrets. */
  config(): ConfigFile;
  /** The run's secret registry (the output's): add a secret the moment the run knows it; nothing printed shows it. */
  readonly knownSecrets: SecretRegistry;
  /**
   * A value the user gave (a flag, an argument) without the user:password@ of a URL in it: never sent, never printed,
   * registered as a secret, and said once. Every command's flags and arguments pass here before the command runs.
   */
  withoutUrlCredentials(value: string, origin: string): string;
  /** Registers the user:password@ of a URL as secrets, without removing it (a URL under audit); returns it. */
  registerUrlCredentials(value: unknown): string | undefined;
  /** --insecure or OAUTH_INSECURE=1: plain http to hosts that are not loopback. */
  readonly insecure: boolean;
  timeoutMs(): number;
  http(): Promise<HttpClient>;
  /** The run's client certificate (--cert/--key, OAUTH_CERT/OAUTH_KEY, the profile), read and checked once. */
  clientCertificate(): Promise<ClientCertificate | undefined>;
  documents(): Promise<DocumentCache>;
  close(): Promise<void>;
}

export interface ContextSources {
  /** The command's flags, for the settings they give (--issuer, --client-id, …). */
  flags?: SettingFlags;
  runCommand?: CommandRunner;
  /** The command takes --cert/--key for mutual TLS (RFC 8705): only then does the run present a certificate. */
  mutualTls?: boolean;
}

export async function createContext(io: IO, options: GlobalFlags, sources: ContextSources = {}): Promise<Context> {
  const debug = options.debug === true || io.env.OAUTH_DEBUG === '1';
  const out = await createOutput(io, {
    json: options.json === true,
    color: options.color,
    debug,
    verbosity: options.verbose ?? 0,
  });
  const name = profileName(options.profile, io.env);
  let config: ConfigFile | undefined;
  let http: HttpClient | undefined;
  let documents: DocumentCache | undefined;
  let certificate: Promise<ClientCertificate | undefined> | undefined;
  const knownSecrets = out.secrets;

  /** The secrets in the user:password@ of a URL: the pair, and the password as written and decoded. */
  const credentialSecrets = (credentials: string): string[] => {
    const password = credentials.slice(credentials.indexOf(':') + 1);
    return [credentials, password, decodeURIComponentSafe(password)];
  };
  /**
   * Registers the user:password@ of a URL as secrets, and the values of its secret-named query parameters (they stay
   * in the URL: the user may mean to send them); returns the user:password, if the value has one.
   */
  const registerUrlCredentials = (value: unknown): string | undefined => {
    if (typeof value === 'string') for (const secret of urlQuerySecrets(value)) knownSecrets.add(secret);
    const credentials = typeof value === 'string' ? urlCredentials(value) : undefined;
    if (credentials === undefined) return undefined;
    for (const part of credentialSecrets(credentials)) knownSecrets.add(part);
    return credentials;
  };
  /** user:password@ in a URL setting is never sent nor printed: registered as a secret, dropped, and said once. */
  const withoutUrlCredentials = (value: string, originOf: () => string): string => {
    const credentials = registerUrlCredentials(value);
    if (credentials === undefined) return value;
    const origin = originOf();
    // The warning holds none of the credentials (only our words and where the URL came from), but a short password is
    // redacted wherever it stands as a word: one that is "user" or "name" would black out the warning's own words.
    out.warnOnce(
      `url-credentials:${origin}`,
      `Ignored the user name and password in the URL from ${origin}: they are never sent (a client authenticates with its secret or key settings).`,
      { reveal: credentialSecrets(credentials) },
    );
    return value.replace(`${credentials}@`, '');
  };
  // A URL with a password in the environment (ours, or a proxy's) or the config file is a secret the run knows, whether
  // or not it uses it.
  for (const [name, value] of Object.entries(io.env))
    if (/^OAUTH_|^(?:https?|all)_proxy$/i.test(name)) registerUrlCredentials(value);

  const settings = resolveSettings({
    flags: { ...sources.flags, timeout: options.timeout, caFile: options.caFile },
    env: io.env,
    profileName: name,
    profile: () => context.profile(),
    withoutUrlCredentials: (value, origin) => withoutUrlCredentials(value, () => origin),
  });

  const context: Context = {
    io,
    out,
    options: { ...options, debug },
    settings,
    runCommand:
      sources.runCommand ??
      (() => Promise.reject(new CliError('INTERNAL', 'This context was created without a command runner.'))),
    now: () => Date.now(),
    profileName: name,
    config() {
      if (!config) {
        config = loadConfig(configFile(io.env));
        for (const profile of Object.values(config.profiles))
          for (const value of Object.values(profile)) registerUrlCredentials(value);
      }
      return config;
    },
    profile: () => context.config().profiles[name],
    knownSecrets,
    withoutUrlCredentials: (value, origin) => withoutUrlCredentials(value, () => origin),
    registerUrlCredentials,
    insecure: options.insecure === true || io.env.OAUTH_INSECURE === '1',
    timeoutMs: () => timerMs(settings.timeout.value),
    async http() {
      if (http) return http;
      const { createHttpClient } = await import('../net/http.js');
      const clientCertificate = await context.clientCertificate();
      http = createHttpClient({
        clientCertificate,
        timeoutMs: context.timeoutMs(),
        caFile: settings.caFile?.value,
        caFileOrigin: settings.caFile?.origin ?? 'the default',
        insecure: context.insecure,
        verbosity: options.verbose ?? 0,
        trace: (lines) => out.trace(lines),
        env: io.env,
        signal: io.signal,
        secrets: knownSecrets,
      });
      return http;
    },
    clientCertificate() {
      certificate ??= (async () => {
        if (!sources.mutualTls) return undefined;
        const { readClientCertificate } = await import('./shared/client-cert.js');
        return readClientCertificate(context, sources.flags ?? {});
      })();
      return certificate;
    },
    async documents() {
      if (documents) return documents;
      const { createDocumentCache } = await import('../net/http-cache.js');
      documents = createDocumentCache({
        http: await context.http(),
        directory: io.env.OAUTH_NO_CACHE === '1' ? undefined : `${cacheDir(io.env)}/http`,
        now: context.now,
        ...((options.verbose ?? 0) > 0 ? { trace: (line: string) => out.trace(line) } : {}),
      });
      return documents;
    },
    async close() {
      await http?.close();
    },
  };
  // A bad --timeout or OAUTH_TIMEOUT is a usage error whether or not this run gets as far as a request.
  if (options.timeout !== undefined || io.env.OAUTH_TIMEOUT?.trim()) void settings.timeout;
  return context;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
