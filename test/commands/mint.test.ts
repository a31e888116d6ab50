// `oauth mint`'s claims: a claim is minted as given or refused (exit 2) with the reason, never silently changed.
import { describe, expect, it } from 'vitest';
import { runCli, sandboxEnv } from '../helpers/cli.js';

const ISSUER = ['--issuer', 'http://127.0.0.1:9/', '--aud', 'http://127.0.0.1:9/api'];

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.trim().split('.')[1]!, 'base64url').toString());
}

describe('oauth mint --claim', () => {
  it('carries a claim named __proto__ as an own claim, not dropped', async () => {
    const result = await runCli(['mint', ...ISSUER, '--claim', '__proto__={"a":1}'], { env: sandboxEnv() });
    expect(result.code).toBe(0);
    const claims = payload(result.stdout);
    expect(Object.hasOwn(claims, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(claims, '__proto__')?.value).toEqual({ a: 1 });
  });

  it('refuses a number JSON cannot carry (exit 2), naming the claim', async () => {
    for (const value of ['1e400', '-1e400', '[1,1e999]', '{"n":1e400}']) {
      const result = await runCli(['mint', ...ISSUER, '--claim', `x=${value}`], { env: sandboxEnv() });
      expect(result.code, value).toBe(2);
      expect(result.stderr).toContain('--claim x');
      expect(result.stderr).toContain('JSON cannot carry');
      expect(result.stdout).toBe('');
    }
  });

  it('refuses --missing-claim of a claim the token does not carry (exit 2); one it carries is left out', async () => {
    const result = await runCli(['mint', ...ISSUER, '--missing-claim', 'foo'], { env: sandboxEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('foo');
    expect(result.stderr).not.toContain('valid');
    expect(result.stdout).toBe('');
    const extra = await runCli(['mint', ...ISSUER, '--claim', 'foo=1', '--missing-claim', 'foo'], {
      env: sandboxEnv(),
    });
    expect(extra.code).toBe(0);
    expect(payload(extra.stdout)).not.toHaveProperty('foo');
    const jti = await runCli(['mint', ...ISSUER, '--missing-claim', 'jti'], { env: sandboxEnv() });
    expect(jti.code).toBe(0);
    expect(payload(jti.stdout)).not.toHaveProperty('jti');
  });
});
