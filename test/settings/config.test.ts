// Settings from the environment and the profile: a blank value is unset, a profile number or boolean is its string
// form, and any other JSON value in a profile is exit 2 naming the setting and the profile.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSetting, resolveSetting } from '../../src/settings/config.js';
import { CliError } from '../../src/errors.js';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { forge } from '../helpers/tokens.js';

describe('findSetting', () => {
  it('uses a profile number or boolean as its string form, naming the profile', () => {
    expect(findSetting('timeout', {}, { timeout: 1 }, 'dev')).toEqual({
      value: '1',
      origin: '"timeout" in profile dev',
    });
    expect(findSetting('timeout', {}, { timeout: 2.5 }, 'dev')?.value).toBe('2.5');
    expect(findSetting('insecure', {}, { insecure: true }, 'dev')?.value).toBe('true');
  });

  it('refuses an object, an array, null or a non-finite number with exit 2 naming the setting and the profile', () => {
    for (const value of [{}, [1], null, Number.POSITIVE_INFINITY]) {
      let error: unknown;
      try {
        findSetting('timeout', {}, { timeout: value }, 'default');
      } catch (failure) {
        error = failure;
      }
      expect(error, JSON.stringify(value)).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      expect((error as CliError).message).toMatch(
        /^"timeout" in profile default must be a string, a number or a boolean, not /,
      );
    }
  });

  it('counts an empty or blank value as unset, from the environment and from the profile', () => {
    expect(findSetting('issuer', { OAUTH_ISSUER: ' ' }, { issuer: 'https://from-profile.test' }, 'dev')?.origin).toBe(
      '"issuer" in profile dev',
    );
    expect(findSetting('issuer', { OAUTH_ISSUER: '' }, { issuer: ' \t' }, 'dev')).toBeUndefined();
    expect(resolveSetting('timeout', { OAUTH_TIMEOUT: '  ' }, undefined, '10')).toBe('10');
  });
});

describe('a profile setting that is not a string', () => {
  function withConfig(profile: Record<string, unknown>) {
    const env = sandboxEnv();
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'oauth'), { recursive: true });
    writeFileSync(
      join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json'),
      JSON.stringify({ profiles: { default: profile } }),
    );
    return env;
  }
  const fetchKeys = (env: Record<string, string | undefined>) =>
    runCli(['decode', forge({ alg: 'RS256' }, { sub: 'a' }, 'AAAA'), '--verify', '--jwks', 'http://127.0.0.1:9/jwks'], {
      env,
    });

  it('a number is used: {"timeout": 0} is refused as a timeout of 0, not replaced by the default', async () => {
    const result = await fetchKeys(withConfig({ timeout: 0 }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"timeout" in profile default must be a positive number of seconds');
  });

  it('an object is exit 2 naming it', async () => {
    const result = await fetchKeys(withConfig({ timeout: { seconds: 5 } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '"timeout" in profile default must be a string, a number or a boolean, not an object.',
    );
  });
});
