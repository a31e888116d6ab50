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
});
