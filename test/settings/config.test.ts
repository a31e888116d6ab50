// Settings: flag > environment (OAUTH_*) > profile in the config file > default, each value knowing where it came
// from; a blank value is unset, a profile number or boolean is its string form, and any other JSON value in a profile
// is exit 2 naming the setting and the profile. The config file: missing is empty, malformed is exit 2 naming it, and
// writes keep other profiles and stay 0600.
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSetting, loadConfig, profileName, resolveSetting, updateConfig } from '../../src/settings/config.js';
import { CliError } from '../../src/errors.js';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { forge } from '../helpers/tokens.js';

/** A private HOME whose config file holds `profile` as the default profile. */
function withConfig(profile: Record<string, unknown>) {
  const env = sandboxEnv();
  mkdirSync(join(env.XDG_CONFIG_HOME!, 'oauth'), { recursive: true });
  writeFileSync(join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json'), JSON.stringify({ profiles: { default: profile } }));
  return env;
}

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

describe('precedence, and where a value came from', () => {
  const profile = { issuer: 'https://from-profile.test' };

  it('the environment beats the profile, the profile beats the default, each naming its origin', () => {
    expect(findSetting('issuer', { OAUTH_ISSUER: 'https://from-env.test' }, profile, 'dev')).toEqual({
      value: 'https://from-env.test',
      origin: 'OAUTH_ISSUER',
    });
    expect(findSetting('issuer', {}, profile, 'dev')).toEqual({
      value: 'https://from-profile.test',
      origin: '"issuer" in profile dev',
    });
    expect(findSetting('issuer', {}, undefined, 'dev')).toBeUndefined();
    expect(resolveSetting('issuer', {}, undefined, 'https://default.test')).toBe('https://default.test');
    expect(resolveSetting('issuer', {}, profile, 'https://default.test')).toBe('https://from-profile.test');
    expect(resolveSetting('ca_file', { OAUTH_CA_FILE: '/ca.pem' }, { ca_file: '/other.pem' })).toBe('/ca.pem');
  });

  it('the profile name: --profile > OAUTH_PROFILE > "default", blanks unset', () => {
    expect(profileName('work', { OAUTH_PROFILE: 'home' })).toBe('work');
    expect(profileName(undefined, { OAUTH_PROFILE: 'home' })).toBe('home');
    expect(profileName(' ', { OAUTH_PROFILE: ' ' })).toBe('default');
    expect(profileName(undefined, {})).toBe('default');
  });

  describe('through the CLI: the value used, and the level named in its error, is the highest one set', () => {
    const env = withConfig({ timeout: 'soon' });
    const verify = (extra: string[], more: Record<string, string> = {}) =>
      runCli(
        [
          'decode',
          forge({ alg: 'RS256' }, { sub: 'a' }, 'AAAA'),
          '--verify',
          '--jwks',
          'http://127.0.0.1:9/jwks',
          ...extra,
        ],
        { env: { ...env, ...more } },
      );
    const words = 'must be a positive number of seconds up to 86400 (a day)';

    it('profile only: the profile is named', async () => {
      const result = await verify([]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`"timeout" in profile default ${words}, not "soon".`);
    });

    it('environment over profile: OAUTH_TIMEOUT is named', async () => {
      const result = await verify([], { OAUTH_TIMEOUT: 'later' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`OAUTH_TIMEOUT ${words}, not "later".`);
    });

    it('flag over environment: --timeout is named', async () => {
      const result = await verify(['--timeout', 'never'], { OAUTH_TIMEOUT: 'later' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--timeout ${words}, not "never".`);
    });

    it('a good flag wins over a bad environment and profile: the run goes on to the request', async () => {
      const result = await verify(['--timeout', '5'], { OAUTH_TIMEOUT: 'later' });
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('error[JWKS_FETCH_FAILED]');
    });
  });
});

describe('the config file', () => {
  const configPath = (contents?: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'oauth-config-')), 'config.json');
    if (contents !== undefined) writeFileSync(path, contents);
    return path;
  };

  it('missing is no profiles', () => {
    expect(loadConfig(configPath())).toEqual({ profiles: {} });
  });

  it('not JSON, or not {"profiles": {name: {…}}}, is CONFIG_INVALID (exit 2) naming the file, with a hint', () => {
    for (const [contents, words] of [
      ['{"profiles": ', 'is not valid JSON'],
      ['{"profiles": []}', 'does not have the expected shape'],
      ['[]', 'does not have the expected shape'],
      ['{"profiles": {"dev": "https://x.test"}}', 'does not have the expected shape'],
    ]) {
      const path = configPath(contents);
      expect(() => loadConfig(path), contents).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          exitCode: 2,
          message: expect.stringContaining(`The config file ${path} ${words}`),
          hint: 'Fix or delete that file; it holds only profile settings, no tokens.',
        }),
      );
    }
  });

  it('a directory where the file should be is CONFIG_INVALID naming it', () => {
    const path = configPath();
    mkdirSync(path);
    expect(() => loadConfig(path)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(path) }),
    );
  });

  it('malformed, through the CLI: a command that reads it exits 2 naming the file', async () => {
    const env = sandboxEnv();
    const path = join(env.XDG_CONFIG_HOME!, 'oauth', 'config.json');
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '{"profiles": ');
    const result = await runCli(['token'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error[CONFIG_INVALID]: The config file ${path} is not valid JSON`);
    expect(result.stdout).toBe('');
  });

  it('OAUTH_CONFIG names another file, which is the one read', async () => {
    const path = configPath('not json');
    const result = await runCli(['token'], { env: sandboxEnv({ OAUTH_CONFIG: path }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path);
  });

  it('parallel updates of different profiles keep each other’s, and the file is 0600', async () => {
    const path = configPath();
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(
      names.map((name) =>
        updateConfig(path, (config) => {
          config.profiles[name] = { issuer: `https://${name}.test` };
        }),
      ),
    );
    expect(Object.keys(loadConfig(path).profiles).sort()).toEqual(names);
    expect(JSON.parse(readFileSync(path, 'utf8')).profiles.c).toEqual({ issuer: 'https://c.test' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
