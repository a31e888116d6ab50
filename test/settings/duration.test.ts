// Durations from users: one reader for every flag, variable and profile setting, with bounds no timer can overflow.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_LIFETIME_SECONDS,
  MAX_TIMER_MS,
  MAX_WAIT_SECONDS,
  parseSeconds,
  timerMs,
} from '../../src/settings/duration.js';
import { CliError } from '../../src/errors.js';
import { runCli, sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { forge } from '../helpers/tokens.js';

describe('parseSeconds', () => {
  it('reads plain, fractional and exponent numbers of seconds', () => {
    expect(parseSeconds('10', '--timeout', { max: MAX_WAIT_SECONDS })).toBe(10);
    expect(parseSeconds(' 0.5 ', '--timeout', { max: MAX_WAIT_SECONDS })).toBe(0.5);
    expect(parseSeconds('1e3', '--timeout', { max: MAX_WAIT_SECONDS })).toBe(1000);
    expect(parseSeconds('86400', '--timeout', { max: MAX_WAIT_SECONDS })).toBe(86400);
    expect(parseSeconds('0', '--min-ttl', { max: 60, zero: true })).toBe(0);
  });

  it('refuses what is not a finite number within the bounds, naming where it came from', () => {
    for (const raw of [
      '',
      ' ',
      'abc',
      '10s',
      '0x10',
      '0b11',
      '0o7',
      '1_000',
      'NaN',
      'Infinity',
      '-Infinity',
      '1e400',
      '-1',
      '0',
      '86401',
      '3000000',
      '1e10',
    ]) {
      const failure = (() => {
        try {
          return parseSeconds(raw, 'OAUTH_TIMEOUT', { max: MAX_WAIT_SECONDS });
        } catch (error) {
          return error;
        }
      })();
      expect(failure, raw).toBeInstanceOf(CliError);
      expect(failure).toMatchObject({ code: 'USAGE', exitCode: 2 });
      expect((failure as CliError).message).toBe(
        `OAUTH_TIMEOUT must be a positive number of seconds up to 86400 (a day), not "${raw}".`,
      );
    }
    for (const raw of ['1e-9', '0.0001']) {
      expect(() => parseSeconds(raw, '--login-timeout', { max: MAX_WAIT_SECONDS })).toThrow(
        `--login-timeout must be 0.001 seconds (a millisecond) or more, not "${raw}".`,
      );
      expect(() => parseSeconds(raw, '--clock-skew', { max: MAX_WAIT_SECONDS, zero: true })).toThrow('a millisecond');
    }
    expect(() => parseSeconds('1.5', '--ttl', { max: MAX_LIFETIME_SECONDS, whole: true })).toThrow(
      '--ttl must be a whole number of seconds up to 315360000 (ten years), not "1.5".',
    );
  });

  it('never gives a timer more than it can hold, nor 0 (which undici reads as "no deadline")', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double().map(String), fc.integer().map(String)), (raw) => {
        let seconds: number;
        try {
          seconds = parseSeconds(raw, '--timeout', { max: MAX_WAIT_SECONDS });
        } catch (error) {
          expect(error).toMatchObject({ code: 'USAGE' });
          return;
        }
        const ms = timerMs(seconds);
        expect(ms).toBeGreaterThanOrEqual(1);
        expect(ms).toBeLessThanOrEqual(MAX_TIMER_MS);
      }),
    );
    expect(timerMs(MAX_WAIT_SECONDS)).toBe(86_400_000);
    expect(timerMs(1e12)).toBe(MAX_TIMER_MS);
    expect(timerMs(0.0001)).toBe(1);
  });
});

describe('every duration a user gives', () => {
  const TOKEN = forge({ alg: 'RS256' }, { sub: 'a' }, 'AAAA');
  const issuer = ['--issuer', 'http://127.0.0.1:1'];
  const cases: Array<{ name: string; args: string[]; env?: Record<string, string>; origin: string }> = [
    { name: '--timeout', args: ['discover', ...issuer, '--timeout', 'VALUE'], origin: '--timeout' },
    { name: 'OAUTH_TIMEOUT', args: ['discover', ...issuer], env: { OAUTH_TIMEOUT: 'VALUE' }, origin: 'OAUTH_TIMEOUT' },
    {
      name: '--login-timeout',
      args: ['login', ...issuer, '--client-id', 'c', '--login-timeout', 'VALUE'],
      origin: '--login-timeout',
    },
    {
      name: '--access-token-ttl',
      args: ['serve', '--port', '0', '--ephemeral', '--access-token-ttl', 'VALUE'],
      origin: '--access-token-ttl',
    },
    {
      name: '--refresh-token-ttl',
      args: ['serve', '--port', '0', '--ephemeral', '--refresh-token-ttl', 'VALUE'],
      origin: '--refresh-token-ttl',
    },
    { name: 'mint --ttl', args: ['mint', '--ttl', 'VALUE'], origin: '--ttl' },
    {
      name: '--clock-skew',
      args: ['decode', TOKEN, '--verify', '--jwks', 'http://127.0.0.1:1/jwks', '--clock-skew', 'VALUE'],
      origin: '--clock-skew',
    },
    {
      name: 'OAUTH_CLOCK_SKEW',
      args: ['decode', TOKEN, '--verify', ...issuer],
      env: { OAUTH_CLOCK_SKEW: 'VALUE' },
      origin: 'OAUTH_CLOCK_SKEW',
    },
    {
      name: 'token --min-ttl',
      args: ['token', '--client-credentials', ...issuer, '--client-id', 'c', '--min-ttl', 'VALUE'],
      origin: '--min-ttl',
    },
    {
      name: 'check --max-token-lifetime',
      args: ['check', ...issuer, '--max-token-lifetime', 'VALUE'],
      origin: '--max-token-lifetime',
    },
    { name: 'token --timeout, with no request to make', args: ['token', '--timeout', 'VALUE'], origin: '--timeout' },
  ];

  it.each(cases)(
    '$name: too long, not finite, negative or not a number is exit 2 naming it, before any request',
    async ({ args, env, origin }) => {
      for (const value of ['3000000000', '1e10', 'Infinity', '-5', 'abc']) {
        const withValue = (list: string[]) => list.map((arg) => (arg === 'VALUE' ? value : arg));
        const environment = sandboxEnv(
          Object.fromEntries(Object.entries(env ?? {}).map(([name, raw]) => [name, raw === 'VALUE' ? value : raw])),
        );
        const result = await runCli(withValue(args), { env: environment });
        expect({ value, code: result.code }).toEqual({ value, code: 2 });
        expect(result.stderr).toContain(`error[USAGE]: ${origin} must be a`);
        expect(result.stderr).toContain(`not "${value}"`);
      }
    },
  );

  it('an empty value is exit 2 naming the flag, not "not given"', async () => {
    for (const args of [
      ['token', '--timeout', ''],
      ['login', ...issuer, '--client-id', 'c', '--port', ''],
      ['serve', '--port', ''],
      ['login', ...issuer, '--client-id', 'c', '--login-timeout', ' '],
    ]) {
      const result = await runCli(args, { env: sandboxEnv() });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(`error[USAGE]: ${args.at(-2)} was given an empty value.`);
    }
  });

  it('the longest accepted wait runs without a timer overflow (a real process, where Node would warn)', async () => {
    const result = await spawnCli(
      ['discover', '--issuer', 'http://127.0.0.1:1', '--timeout', String(MAX_WAIT_SECONDS)],
      { env: sandboxEnv() },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).not.toContain('TimeoutOverflowWarning');
    expect(result.stderr).not.toMatch(STACK_TRACE);
    const tooLong = await spawnCli(['discover', '--issuer', 'http://127.0.0.1:1', '--timeout', '3000000'], {
      env: sandboxEnv(),
    });
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain(
      '--timeout must be a positive number of seconds up to 86400 (a day), not "3000000".',
    );
    expect(tooLong.stderr).not.toContain('TimeoutOverflowWarning');
  });
});
