// Where things live on disk, following the XDG base directory spec (and its usual defaults).
import { join } from 'node:path';

/** Only when HOME is unset: loading node:os for nothing costs every run. */
const homedir = (): string => process.getBuiltinModule('node:os').homedir();

type Env = Readonly<Record<string, string | undefined>>;

function base(env: Env, variable: string, fallback: string[]): string {
  const value = env[variable];
  return value?.startsWith('/') ? value : join(env.HOME || homedir(), ...fallback);
}

export function configFile(env: Env): string {
  return env.OAUTH_CONFIG || join(base(env, 'XDG_CONFIG_HOME', ['.config']), 'oauth', 'config.json');
}

export function cacheDir(env: Env): string {
  return join(base(env, 'XDG_CACHE_HOME', ['.cache']), 'oauth');
}

export function stateDir(env: Env): string {
  return join(base(env, 'XDG_STATE_HOME', ['.local', 'state']), 'oauth');
}
