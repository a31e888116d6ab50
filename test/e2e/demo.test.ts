// `oauth demo` as a new user runs it: the whole tour without a TTY, leaving nothing behind.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';

describe('oauth demo', () => {
  it('completes with exit 0 without a TTY and removes its temporary store', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: 'https://should-not-leak-in.example' });
    const result = await spawnCli(['demo'], { env, timeoutMs: 60_000 });
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('a simulated user follows the URL it prints');
    // What a step reads on stdin is shown piped in, as one would type it.
    expect(result.stdout).toMatch(/\$ oauth token \| oauth decode - --verify/);
    expect(result.stdout).toMatch(
      /pipes in the refresh token from its store[^\n]*\n\s*\$ <the stored refresh token> \| oauth introspect -/,
    );
    // openid and offline_access are not listed in the token's scope: the summary says what shows them granted.
    expect(result.stdout).toContain(
      'scope          api:read (asked: openid offline_access api:read; ID token and refresh token issued)',
    );
    expect(result.stdout).not.toContain('requested: openid');
    expect(result.stdout).toContain('(rotated)');
    expect(result.stdout).toContain('✓ valid');
    expect(result.stdout).toContain('Done.');
    // oauth curl calls the example API with the signed-in user's token: its body, on a line of its own.
    expect(result.stdout).toMatch(/\$ oauth curl http:\/\/127\.0\.0\.1:\d+\/api\/orders\n.*"orders":\[.*\n\n6\. /);
    // check --api against the example API (nothing to report), then the lax one (its mistakes named).
    expect(result.stdout).toMatch(/check --api http:\/\/127\.0\.0\.1:\d+\/api\/orders[\s\S]*Nothing to report\./);
    expect(result.stdout).toMatch(/check --api http:\/\/127\.0\.0\.1:\d+\/lax-api\/orders[\s\S]*api-accepts-alg-none/);
    // The server's keys lived in the demo's temporary home, not in the user's state.
    expect(existsSync(join(env.XDG_STATE_HOME!, 'oauth', 'serve'))).toBe(false);
    const store = /stored in\s+file (\S+tokens\.json)/.exec(result.stdout)?.[1];
    expect(store).toBeDefined();
    expect(existsSync(store!)).toBe(false);
  }, 90_000);
});
