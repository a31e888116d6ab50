// Tokens in the OS keychain (a real gnome-keyring on a private D-Bus), and the file fallback when there is none.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';
import { keychainEntries, keyringAvailable, startKeyring, type TestKeyring } from '../helpers/keyring.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

// CI installs gnome-keyring (.ci/run); a developer machine without it skips rather than fails.
const runKeychain = keyringAvailable() || process.env.CI !== undefined;
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());

describe.runIf(runKeychain)('under a Secret Service (gnome-keyring)', () => {
  let keyring: TestKeyring;
  beforeAll(async () => {
    keyring = await startKeyring();
  });
  afterAll(() => keyring.close());

  it('stores the tokens in the keychain and in no file', async () => {
    const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, ...keyring.env });
    const login = await spawnCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli'], { env });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('stored in      the OS keychain');
    expect(login.stderr).not.toContain('warning');
    const entries = keychainEntries(keyring, 'oauth-cli');
    expect(entries).toContain('profile:default');
    expect(entries).toContain('"refresh_token"');
    expect(existsSync(join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json'))).toBe(false);

    const token = await spawnCli(['token'], { env });
    expect(token.code).toBe(0);
    expect(entries).toContain(token.stdout.trim());
    expect((await spawnCli(['status'], { env })).stdout).toContain('the OS keychain');

    expect((await spawnCli(['logout'], { env })).code).toBe(0);
    expect(keychainEntries(keyring, 'oauth-cli')).not.toContain('profile:default');
  });
});

describe.runIf(runKeychain)('when the keychain cannot be used', () => {
  it('a keychain that refuses to save (no default collection) falls back to the file, with a warning, losing nothing', async () => {
    const unusable = await startKeyring({ unlocked: false });
    try {
      const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, ...unusable.env });
      const result = await spawnCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli'], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('The keychain could not save the tokens');
      expect(result.stdout).toContain('tokens.json');
      const token = await spawnCli(['token'], { env });
      expect(token.code, token.stderr).toBe(0);
      expect(token.stdout).toMatch(/^\S{20,}\n$/);
    } finally {
      await unusable.close();
    }
  });
});

describe('when the session bus is gone', () => {
  const deadBus = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/oauth-test-bus' };

  it('OAUTH_STORE=keychain fails within ~2 s and says why', async () => {
    const started = Date.now();
    const result = await spawnCli(['status'], { env: sandboxEnv({ ...deadBus, OAUTH_STORE: 'keychain' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('otherwise the tokens go to the file, with a warning', async () => {
    const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, ...deadBus });
    const result = await spawnCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('No keychain is available (the keychain did not answer');
  });
});

describe('with no D-Bus at all', () => {
  it('keeps the tokens in a 0600 file and says so once', async () => {
    const env = sandboxEnv({ BROWSER: SIMULATED_BROWSER });
    const first = await spawnCli(['login', '--issuer', as.issuer, '--client-id', 'oauth-cli'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('warning: No keychain is available (there is no D-Bus session bus');
    const file = join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await spawnCli(['token', '--refresh'], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('warning');
  });

  it('OAUTH_STORE=keychain fails fast and says why', async () => {
    const result = await spawnCli(['token'], { env: sandboxEnv({ OAUTH_STORE: 'keychain' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no D-Bus session bus');
  });
});
