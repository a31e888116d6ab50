// A signed-in user for end-to-end tests: a private HOME whose file store holds a session from a real `oauth login`
// against the test authorization server, signed in by the simulated user set as BROWSER (no browser window).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Session } from '../../src/oauth/session.js';
import { type CliResult, type RunningCli, sandboxEnv, spawnCli, startCli } from './cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from './oidc.js';

/** The test "browser" for BROWSER=…; SIMULATED_LOGIN names the user, SIMULATED_BROWSER_MODE=ignore opens nothing. */
export const SIMULATED_BROWSER = join(import.meta.dirname, 'browser.mjs');

/** The scopes of a user's sign-in: an ID token, a refresh token and an API access token. */
export const USER_SCOPE = 'openid offline_access api:read';

export interface UserHome {
  env: Record<string, string | undefined>;
  /** The file store of this home (OAUTH_STORE=file). */
  tokenFile: string;
  configFile: string;
  /** The session of `profile` as the file store holds it now. */
  storedSession(profile?: string): Session;
  /** Every entry of the file store now, by key ("profile:default", …). */
  storedEntries(): Record<string, string>;
}

/** A private HOME with the file store and the simulated browser; `extra` adds or overrides variables. */
export function userHome(extra: Record<string, string | undefined> = {}): UserHome {
  const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, OAUTH_STORE: 'file', ...extra });
  const tokenFile = join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json');
  const storedEntries = (): Record<string, string> => JSON.parse(readFileSync(tokenFile, 'utf8')).entries;
  return {
    env,
    tokenFile,
    configFile: join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json'),
    storedEntries,
    storedSession: (profile = 'default'): Session => JSON.parse(storedEntries()[`profile:${profile}`]!),
  };
}

/** `oauth login` as the public client oauth-cli (PKCE, loopback) with the user's scopes. */
export function login(as: TestAuthorizationServer, env: UserHome['env'], ...extra: string[]): Promise<CliResult> {
  return spawnCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli', '--scope', USER_SCOPE, ...extra], {
    env,
  });
}

/**
 * `oauth login` as the public client oauth-cli, left running: the test reads what it prints (the URL, the device code)
 * and signs in itself — a real browser, the simulated user, or nobody and a Ctrl-C.
 */
export function startLogin(as: TestAuthorizationServer, env: UserHome['env'], ...extra: string[]): RunningCli {
  return startCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli', ...extra], { env });
}

/** A home whose default profile is signed in (as alice unless SIMULATED_LOGIN says otherwise); throws if it is not. */
export async function signedInHome(
  as: TestAuthorizationServer,
  extra: Record<string, string | undefined> = {},
): Promise<UserHome & { login: CliResult }> {
  const home = userHome(extra);
  const result = await login(as, home.env);
  if (result.code !== 0) throw new Error(`oauth login exited ${result.code}: ${result.stderr}`);
  return { ...home, login: result };
}

/**
 * For a whole test file: a real authorization server and a user signed in to it, started before the file's tests and
 * stopped after them. Read `as` and `home` inside tests (they exist once the file's set-up has run).
 */
export function signedInUserForThisFile(): { readonly as: TestAuthorizationServer; readonly home: UserHome } {
  let as: TestAuthorizationServer | undefined;
  let home: UserHome | undefined;
  beforeAll(async () => {
    as = await startAuthorizationServer();
    home = await signedInHome(as);
  });
  afterAll(() => as?.close());
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the signed-in user is set up before the tests run, not at load time');
    return value;
  };
  return {
    get as() {
      return ready(as);
    },
    get home() {
      return ready(home);
    },
  };
}

/** Revokes a refresh token at the server directly, behind the CLI's back (the CLI learns it when it next uses it). */
export async function revokeAtServer(as: TestAuthorizationServer, refreshToken: string): Promise<void> {
  const metadata = await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json();
  const response = await fetch(metadata.revocation_endpoint, {
    method: 'POST',
    body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: 'oauth-cli' }),
  });
  if (response.status !== 200) throw new Error(`the revocation endpoint answered ${response.status}`);
}
