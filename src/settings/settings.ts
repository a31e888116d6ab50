// The run's settings, each resolved once: flag > environment (OAUTH_*) > profile in the config file > default, and each
// remembering where its value came from, for messages ("from OAUTH_TIMEOUT") and for output that shows origins.
// A setting is resolved the first time it is read: a command that never reads one never reads the config file, and a
// malformed value is an error only for the run that uses it.
import { resolve } from 'node:path';
import { ENDPOINT_SETTINGS, type EndpointSetting } from '../oauth/endpoints.js';
import { findSetting, type Profile } from './config.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_TIMEOUT_SECONDS, MAX_WAIT_SECONDS, parseSeconds } from './duration.js';

/**
 * Where a value came from; `origin` says it in words: "--timeout", "OAUTH_TIMEOUT", `"timeout" in profile dev`. A value
 * the command chose for the run (an issuer an API names) counts as a flag: given to this run.
 */
export interface Setting<T = string> {
  readonly value: T;
  readonly source: 'flag' | 'env' | 'profile' | 'default';
  readonly origin: string;
}

/** The settings a run reads by name (the flag is the name in kebab case, the variable OAUTH_ and the name). */
export const SETTING_NAMES = [
  'issuer',
  'client_id',
  'scope',
  'audience',
  'resource',
  'auth_method',
  'private_key',
  // RFC 8705 mutual TLS: the client certificate and its key (PEM files), bound to the issuer like the client itself.
  'cert',
  'key',
  'redirect_uri',
  'ca_file',
  'timeout',
  'clock_skew',
  'dpop',
  'dpop_alg',
  ...ENDPOINT_SETTINGS,
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

/**
 * A profile's settings that belong to its issuer: the client registered there, how it authenticates, the endpoints,
 * and what was asked of that server. A run at another issuer uses none of the profile's, and a profile that moves to
 * another issuer keeps none of them.
 */
export const ISSUER_BOUND_SETTINGS: readonly SettingName[] = SETTING_NAMES.filter(
  // What is the run's or the machine's, whichever server it talks to; any setting added later is bound by default.
  (name) => !['issuer', 'ca_file', 'timeout', 'clock_skew'].includes(name),
);
const isIssuerBound = (name: SettingName) => ISSUER_BOUND_SETTINGS.includes(name);

/** The flags a setting can come from, as the command parsed them (a repeatable flag gives a list). */
export type SettingFlags = Readonly<Record<string, unknown>>;

export interface Settings {
  readonly issuer: Setting | undefined;
  readonly clientId: Setting | undefined;
  readonly scope: Setting | undefined;
  /** A list: repeated flags, or a value split at spaces and commas; a list with nothing in it is unset. */
  readonly audience: Setting<string[]> | undefined;
  readonly resource: Setting<string[]> | undefined;
  readonly authMethod: Setting | undefined;
  readonly privateKey: Setting | undefined;
  readonly redirectUri: Setting | undefined;
  readonly caFile: Setting | undefined;
  /** Seconds; a malformed value is a usage error naming its origin. */
  readonly timeout: Setting<number>;
  readonly clockSkew: Setting<number>;
  /** Endpoints given for servers without discovery. */
  readonly endpoints: Partial<Record<EndpointSetting, Setting>>;
  /** Any setting by name, as given (flag > OAUTH_* > profile), without its default. */
  get(name: SettingName): Setting | undefined;
  /**
   * The same run at the issuer a command chose (curl: the one an API's metadata names), as if given to the run: when it
   * is not the profile's, none of the profile's issuer-bound settings count.
   */
  atIssuer(issuer: string, origin: string): Settings;
}

export interface SettingSources {
  flags: SettingFlags;
  env: Readonly<Record<string, string | undefined>>;
  /** The profile's name, and the profile itself (read when a setting first needs it). */
  profileName: string;
  profile: () => Profile | undefined;
  /** A value without the user:password@ of a URL in it (said once per origin: the command line says it too). */
  withoutUrlCredentials: (value: string, origin: string) => string;
  /** The issuer a command chose for the run, ahead of every other source. */
  issuer?: Setting;
}

const camelCase = (name: string) => name.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());

export function resolveSettings(sources: SettingSources): Settings {
  const { flags, env, profileName, withoutUrlCredentials } = sources;
  const once = <T>(read: () => T): (() => T) => {
    let value: { read: T } | undefined;
    return () => (value ??= { read: read() }).read;
  };
  const profile = once(sources.profile);
  const resolved = new Map<SettingName, Setting | undefined>();

  const given = (name: SettingName): Setting | undefined => {
    if (name === 'issuer' && sources.issuer) return sources.issuer;
    // A blank flag never gets here: the command line refuses it. An empty variable or profile value counts as unset.
    const flag = flags[camelCase(name)];
    const fromFlag = Array.isArray(flag) ? flag.join(' ') : flag;
    if (typeof fromFlag === 'string' && fromFlag !== '') {
      const origin = `--${name.replace(/_/g, '-')}`;
      return { value: withoutUrlCredentials(fromFlag, origin), source: 'flag', origin };
    }
    const found = findSetting(name, env, profile(), profileName);
    if (found === undefined) return undefined;
    const source = found.origin.startsWith('OAUTH_') ? 'env' : 'profile';
    return { value: withoutUrlCredentials(found.value, found.origin), source, origin: found.origin };
  };
  const get = (name: SettingName): Setting | undefined => {
    if (!resolved.has(name)) resolved.set(name, given(name));
    return resolved.get(name);
  };
  // A profile's settings were made for the profile's issuer: a run given another issuer (flag, OAUTH_* or the
  // command's choice) neither sends them there nor authenticates with them, as a client, key, endpoint, resource or
  // audience meant for one server means nothing, or too much, to another.
  const forAnotherIssuer = once(() => {
    const issuer = get('issuer');
    const profileIssuer = findSetting('issuer', {}, profile(), profileName)?.value;
    if (issuer === undefined || issuer.source === 'profile' || profileIssuer === undefined) return false;
    return withoutTrailingSlash(issuer.value) !== withoutTrailingSlash(profileIssuer);
  });
  const issuerBound = (name: SettingName): Setting | undefined => {
    const setting = get(name);
    return setting?.source === 'profile' && isIssuerBound(name) && forAnotherIssuer() ? undefined : setting;
  };
  const list = (name: 'audience' | 'resource'): Setting<string[]> | undefined => {
    const flag = flags[name];
    if (Array.isArray(flag) && flag.length > 0) {
      const value = flag
        .filter((item) => typeof item === 'string')
        .map((item) => withoutUrlCredentials(item, `--${name}`));
      return { value, source: 'flag', origin: `--${name}` };
    }
    const setting = issuerBound(name);
    const value = setting?.value.split(/[\s,]+/).filter(Boolean);
    return setting && value?.length ? { ...setting, value } : undefined;
  };
  const seconds = (name: 'timeout' | 'clock_skew', fallback: number, rule: { zero?: boolean }): Setting<number> => {
    const setting = issuerBound(name);
    if (setting === undefined) return { value: fallback, source: 'default', origin: 'the default' };
    return { ...setting, value: parseSeconds(setting.value, setting.origin, { max: MAX_WAIT_SECONDS, ...rule }) };
  };
  const timeout = once(() => seconds('timeout', DEFAULT_TIMEOUT_SECONDS, {}));
  const clockSkew = once(() => seconds('clock_skew', DEFAULT_CLOCK_SKEW_SECONDS, { zero: true }));
  const audience = once(() => list('audience'));
  const resource = once(() => list('resource'));
  const endpoints = once(() => {
    const found: Partial<Record<EndpointSetting, Setting>> = {};
    for (const name of ENDPOINT_SETTINGS) {
      const setting = issuerBound(name);
      if (setting) found[name] = setting;
    }
    return found;
  });

  return {
    get issuer() {
      return get('issuer');
    },
    get clientId() {
      return issuerBound('client_id');
    },
    get scope() {
      return issuerBound('scope');
    },
    get audience() {
      return audience();
    },
    get resource() {
      return resource();
    },
    get authMethod() {
      return issuerBound('auth_method');
    },
    get privateKey() {
      return issuerBound('private_key');
    },
    get redirectUri() {
      return issuerBound('redirect_uri');
    },
    get caFile() {
      return issuerBound('ca_file');
    },
    get timeout() {
      return timeout();
    },
    get clockSkew() {
      return clockSkew();
    },
    get endpoints() {
      return endpoints();
    },
    get: issuerBound,
    atIssuer: (issuer, origin) => resolveSettings({ ...sources, issuer: { value: issuer, source: 'flag', origin } }),
  };
}

/** The settings that name a file, saved as absolute paths. */
export const FILE_SETTINGS = ['private_key', 'cert', 'key', 'ca_file'] as const satisfies readonly SettingName[];

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * A profile saved by a sign-in or a registration at `next.issuer`: the previous one's settings, unless it was another issuer's, whose
 * issuer-bound settings are dropped (a merge would keep its client, key and endpoints for the new server).
 */
export function savedProfile(previous: Profile | undefined, next: Profile): Profile {
  const saved: Profile = { ...next };
  // Paths as given are relative to where this run was started; the profile is read from anywhere.
  for (const name of FILE_SETTINGS) {
    const value = saved[name];
    if (typeof value === 'string' && value !== '') saved[name] = resolve(value);
  }
  const kept = { ...previous };
  const moved =
    typeof previous?.issuer === 'string' &&
    typeof next.issuer === 'string' &&
    withoutTrailingSlash(previous.issuer) !== withoutTrailingSlash(next.issuer);
  if (moved) for (const name of ISSUER_BOUND_SETTINGS) delete kept[name];
  return { ...kept, ...saved };
}
