// Profiles and settings. A setting resolves flag > environment (OAUTH_*) > profile in the config file > default.
// The config file holds only non-secret settings; secrets live in the token store.
import { readFileSync } from 'node:fs';
import { CliError } from '../errors.js';
import { describeJsonType } from '../errors.js';

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
    throw new CliError(
      'CONFIG_INVALID',
      `The config file ${path} does not have the expected shape {"profiles": {"<name>": {…}}}.`,
      {
        hint: 'Fix or delete that file; it holds only profile settings, no tokens.',
      },
    );
  }
  return { profiles: profiles as Record<string, Profile> };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function profileName(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return flag?.trim() || envSetting(env, 'OAUTH_PROFILE') || 'default';
}

/** An OAUTH_* variable as a setting: empty or blank counts as unset, as for every other setting. */
export function envSetting(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A setting's value and where it came from, in words for messages: "OAUTH_TIMEOUT", `"timeout" in profile dev`. */
export interface FoundSetting {
  value: string;
  origin: string;
}

/**
 * OAUTH_<NAME> > profile (a flag, when given, wins before this is asked). An empty or blank value counts as unset,
 * from either. A profile number or boolean is its string form (`"timeout": 5`); any other JSON value is exit 2.
 */
export function findSetting(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  profile: Profile | undefined,
  profileLabel: string,
): FoundSetting | undefined {
  const envName = `OAUTH_${name.toUpperCase()}`;
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { value: fromEnv, origin: envName };
  const origin = `"${name}" in profile ${profileLabel}`;
  const fromProfile = profileValue(profile?.[name], origin);
  if (fromProfile !== undefined && fromProfile.trim() !== '') return { value: fromProfile, origin };
  return undefined;
}

/** OAUTH_<NAME> > profile > fallback, as `findSetting` reads them. */
export function resolveSetting(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  profile: Profile | undefined,
  fallback?: string,
  profileLabel = 'default',
): string | undefined {
  return findSetting(name, env, profile, profileLabel)?.value ?? fallback;
}

function profileValue(value: unknown, origin: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  throw new CliError(
    'CONFIG_INVALID',
    `${origin} must be a string, a number or a boolean, not ${describeJsonType(value, { showValue: true })}.`,
    { hint: 'Fix that setting in the config file (OAUTH_CONFIG, or oauth/config.json in the config directory).' },
  );
}

/** Read, change and write the config under a lock, so parallel sign-ins into different profiles keep each other's. */
export async function updateConfig(path: string, change: (config: ConfigFile) => void): Promise<void> {
  // Only `oauth login` writes the config: every other run reads it, and need not load the lock and its crypto.
  const [{ withFileLock }, { writeFileAtomic }] = await Promise.all([
    import('../store/lock.js'),
    import('../store/atomic-file.js'),
  ]);
  await withFileLock(`${path}.lock`, async () => {
    const config = loadConfig(path);
    change(config);
    await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  });
}
