import { describe, expect, it } from 'vitest';
import { DEFAULT_TTL_SECONDS, freshnessSeconds, MAX_TTL_SECONDS } from '../../src/net/http-cache.js';

const now = Date.parse('2026-11-24T00:00:00Z');

describe('freshnessSeconds (RFC 9111)', () => {
  it('uses max-age, less Age', () => {
    expect(freshnessSeconds({ 'cache-control': 'public, max-age=600' }, now)).toBe(600);
    expect(freshnessSeconds({ 'cache-control': 'max-age=600', age: '100' }, now)).toBe(500);
  });
  it('does not store no-store or private, and revalidates no-cache', () => {
    expect(freshnessSeconds({ 'cache-control': 'no-store' }, now)).toBeUndefined();
    expect(freshnessSeconds({ 'cache-control': 'private, max-age=60' }, now)).toBeUndefined();
    expect(freshnessSeconds({ 'cache-control': 'no-cache' }, now)).toBe(0);
  });
  it('falls back to Expires, then to a default', () => {
    expect(
      freshnessSeconds({ expires: 'Tue, 24 Nov 2026 00:10:00 GMT', date: 'Tue, 24 Nov 2026 00:00:00 GMT' }, now),
    ).toBe(600);
    expect(freshnessSeconds({ expires: '0' }, now)).toBe(0);
    expect(freshnessSeconds({}, now)).toBe(DEFAULT_TTL_SECONDS);
  });
  it('never keeps a document longer than the ceiling', () => {
    expect(freshnessSeconds({ 'cache-control': 'max-age=31536000' }, now)).toBe(MAX_TTL_SECONDS);
  });
});
