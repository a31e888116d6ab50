import { describe, expect, it } from 'vitest';
import { describeJsonType } from '../src/json-type.js';

describe('describeJsonType', () => {
  it('names every JSON type with its article', () => {
    expect(describeJsonType(null)).toBe('null');
    expect(describeJsonType([1])).toBe('an array');
    expect(describeJsonType({ a: 1 })).toBe('an object');
    expect(describeJsonType('')).toBe('an empty string');
    expect(describeJsonType('secret')).toBe('a string');
    expect(describeJsonType(42)).toBe('a number');
    expect(describeJsonType(true)).toBe('a boolean');
    expect(describeJsonType(undefined)).toBe('nothing');
  });

  it('shows a scalar value only when asked, cut to a message-sized length', () => {
    expect(describeJsonType(42, { showValue: true })).toBe('the number 42');
    expect(describeJsonType(Number.POSITIVE_INFINITY, { showValue: true })).toBe('the number Infinity');
    expect(describeJsonType(false, { showValue: true })).toBe('the boolean false');
    expect(describeJsonType('code', { showValue: true })).toBe('the string "code"');
    expect(describeJsonType('x'.repeat(100), { showValue: true })).toBe(`the string "${'x'.repeat(59)}…`);
    expect(describeJsonType([1], { showValue: true })).toBe('an array');
    expect(describeJsonType('', { showValue: true })).toBe('an empty string');
  });
});
