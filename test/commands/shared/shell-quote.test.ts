// A value in a printed command line stays one word when pasted into a POSIX shell.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../../src/commands/shared/shell-quote.js';

describe('shellQuote', () => {
  it('leaves a plain URL or name as it is', () => {
    expect(shellQuote('https://api.example.com/orders')).toBe('https://api.example.com/orders');
    expect(shellQuote('my-profile')).toBe('my-profile');
  });

  it('makes spaces, quotes and shell syntax one literal word', () => {
    expect(shellQuote('https://api.example.com/orders?x')).toBe("'https://api.example.com/orders?x'");
    for (const value of ["it's", 'a b', '$(id) `x` ; rm', "'", '', 'orders:read openid']) {
      const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });
      expect(echoed).toBe(value);
    }
  });
});
