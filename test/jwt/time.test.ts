import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  atTime,
  BEYOND_CALENDAR,
  datedRelative,
  formatDuration,
  isoTime,
  relative,
  shownTime,
} from '../../src/jwt/time.js';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { forge, hmac } from '../helpers/tokens.js';

describe('time wording', () => {
  it('formats durations with at most two units', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(900)).toBe('15m');
    expect(formatDuration(5400)).toBe('1h 30m');
    expect(formatDuration(90 * 86400 + 3600)).toBe('90d 1h');
  });
  it('says "in" for the future and "ago" for the past', () => {
    expect(relative(1000 + 840, 1000)).toBe('in 14m');
    expect(relative(1000 - 7200, 1000)).toBe('2h ago');
  });
  it("shows a server's time as ISO, or as the number it came as when no Date holds it", () => {
    expect(shownTime(0)).toBe('1970-01-01T00:00:00Z');
    expect(shownTime(1e300)).toBe('1e+300 (not a time)');
    expect(shownTime(8.64e12 + 1)).toBe('8640000000001 (not a time)');
  });
  it('gives ISO time only for representable dates', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00Z');
    expect(isoTime(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(isoTime(1e20)).toBeUndefined();
  });
  it('writes what toISOString writes, without ".000", for every representable time', () => {
    const expected = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
    expect(isoTime(1.5)).toBe('1970-01-01T00:00:01.500Z');
    expect(isoTime(-62_198_755_200)).toBe(expected(-62_198_755_200)); // year -1
    expect(isoTime(253_402_300_800)).toBe('+010000-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.double({ min: -8.64e12, max: 8.64e12, noNaN: true }), (seconds) => {
        expect(isoTime(seconds)).toBe(expected(seconds));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -1e10, max: 1e11 }), (seconds) => {
        expect(isoTime(seconds)).toBe(expected(seconds));
      }),
    );
  });
});

describe('times no Date can hold', () => {
  it('are said to be beyond any calendar date, and spans that large are not written as 1e+295d', () => {
    for (const seconds of [-1e300, 1e300, 1e20, -8.7e12]) {
      expect(relative(seconds, 1000)).toBe(BEYOND_CALENDAR);
      expect(datedRelative(seconds, 1000)).toBe(BEYOND_CALENDAR);
      expect(atTime(seconds, 1000)).toBe(BEYOND_CALENDAR);
    }
    expect(atTime(0, 3600)).toBe('at 1970-01-01T00:00:00Z (1h ago)');
    expect(formatDuration(1e300)).toBe('longer than any calendar spans');
    expect(formatDuration(500 * 31_557_600)).toBe('500 years');
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (seconds) => {
        expect(formatDuration(seconds)).not.toMatch(/e[+-]|NaN|Infinity/);
      }),
    );
  });

  const secret = new TextEncoder().encode('a-secret-of-thirty-two-bytes-ok!');
  const verify = async (payload: Record<string, unknown>) =>
    runCli(['decode', await hmac(secret, { alg: 'HS256' }, payload), '--verify', '--secret-env', 'SECRET'], {
      env: sandboxEnv({ SECRET: new TextDecoder().decode(secret) }),
    });

  it('decode --verify says so for exp, nbf and iat', async () => {
    const expired = await verify({ sub: 'a', exp: -1e300 });
    expect(expired.code).toBe(3);
    expect(expired.stderr).toContain('The token expired beyond any calendar date.');
    const notYet = await verify({ sub: 'a', exp: 1e300, nbf: 1e300 });
    expect(notYet.stderr).toContain('"nbf" is beyond any calendar date.');
    const future = await verify({ sub: 'a', exp: 1e300, iat: 1e300 });
    expect(future.stderr).toContain('"iat" is beyond any calendar date.');
    for (const result of [expired, notYet, future])
      expect(result.stdout + result.stderr).not.toMatch(/undefined|e\+\d+d/);
  });

  it('decode shows each such claim as beyond any calendar date, and no positive lifetime when exp is before iat', async () => {
    const shown = await runCli(['decode', forge({ alg: 'none' }, { iat: 1e300, exp: -1e300 })]);
    expect(shown.stdout).toMatch(/exp\s+-1e\+300\s+beyond any calendar date/);
    expect(shown.stdout).toMatch(/Lifetime\s+none: "exp" is longer than any calendar spans before its start/);
    expect(shown.stdout + shown.stderr).not.toContain('undefined');
    const backwards = await runCli(['decode', forge({ alg: 'none' }, { iat: 2000, exp: 1000 })]);
    expect(backwards.stdout).toMatch(/Lifetime\s+none: "exp" is 16m before its start/);
  });
});
