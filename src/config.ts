// Profiles and settings. A setting resolves flag > environment (OAUTH_*) > profile in the config file > default.
// The config file holds only non-secret settings; secrets live in the token store.
import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

export interface Profile {
  issuer?: string;
  client_id?: string;
  audience?: string;
  scope?: string;
  [setting: string]: unknown;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
}

export function loadConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError('CONFIG_INVALID', `Cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError('CONFIG_INVALID', `The config file ${path} is not valid JSON (${(error as Error).message}).`, {
      hint: 'Fix or delete that file; it holds only profile settings, no tokens.',
    });
  }
  const profiles = (parsed as { profiles?: unknown } | null)?.profiles ?? {};
  if (!isPlainObject(parsed) || !isPlainObject(profiles) || !Object.values(profiles).every(isPlainObject)) {
    throw new CliError('CONFIG_INVALID', `The config file ${path} does not have the expected shape {"profiles": {"<name>": {…}}}.`, {
      hint: 'Fix or delete that file; it holds only profile settings, no tokens.',
    });
  }
  return { profiles: profiles as Record<string, Profile> };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function profileName(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return flag || env.OAUTH_PROFILE || 'default';
}

/** OAUTH_<NAME> > profile > fallback (a flag, when given, wins before this is asked). Empty strings count as unset. */
export function resolveSetting(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  profile: Profile | undefined,
  fallback?: string,
): string | undefined {
  const fromEnv = env[`OAUTH_${name.toUpperCase()}`];
  const fromProfile = profile?.[name];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (typeof fromProfile === 'string' && fromProfile !== '') return fromProfile;
  return fallback;
}
