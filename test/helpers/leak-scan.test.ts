// The leak scan itself: it must catch a leak, or it proves nothing.
import { describe, expect, it } from 'vitest';
import { createLeakScanner } from './leak-scan.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

describe('the secret-leak scan', () => {
  it('finds a token on stderr, and a JWT signature alone', () => {
    const scan = createLeakScanner();
    scan.recordExchange({
      method: 'POST',
      path: '/token',
      status: 200,
      parameters: {},
      response: { access_token: JWT },
    });
    scan.recordRun(['login', '-vv'], '', `trace: ${JWT.split('.')[2]}`);
    expect(scan.findLeaks()).toHaveLength(1);
    expect(scan.findLeaks()[0]).toContain('on stderr');
  });

  it('finds codes, verifiers and Basic client secrets the server received', () => {
    const scan = createLeakScanner();
    scan.recordExchange({
      method: 'POST',
      path: '/token',
      status: 200,
      parameters: { code: 'authorization-code-123456', code_verifier: 'verifier-verifier-verifier-1234' },
      authorization: `Basic ${Buffer.from('client:client-secret-abcdef').toString('base64')}`,
    });
    scan.recordRun(['status'], 'authorization-code-123456 verifier-verifier-verifier-1234', 'client-secret-abcdef');
    expect(scan.findLeaks()).toHaveLength(3);
  });

  it('allows tokens on stdout only where the user asked for them', () => {
    const scan = createLeakScanner();
    scan.recordSecret(JWT);
    scan.recordRun(['token'], `${JWT}\n`, '');
    scan.recordRun(['token', '-o', 'json'], JSON.stringify({ access_token: JWT }), '');
    expect(scan.findLeaks()).toEqual([]);
    scan.recordRun(['token', '-o', 'human'], JWT, '');
    scan.recordRun(['status'], JWT, '');
    expect(scan.findLeaks()).toHaveLength(2 * 2);
  });
});
