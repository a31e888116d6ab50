import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, isoTime, relative } from '../../src/jwt/time.js';

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
