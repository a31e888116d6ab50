// The URL policy's one question about hosts: is this loopback (where plain http is allowed)?
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isSecureUrl } from '../../src/net/url.js';

describe('isLoopbackHost', () => {
  it('knows localhost, 127.0.0.0/8 and ::1, in every spelling the URL parser leaves', () => {
    for (const url of [
      'http://localhost/',
      'http://127.0.0.1/',
      'http://127.8.9.10/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f01:203]/',
    ])
      expect(isLoopbackHost(new URL(url).hostname), url).toBe(true);
  });

  it('knows that nothing else is: other mapped addresses, look-alike names', () => {
    for (const url of [
      'http://[::ffff:10.0.0.1]/',
      'http://[::ffff:8.8.8.8]/',
      'http://128.0.0.1/',
      'http://localhost.example/',
      'http://127.0.0.1.example/',
      'http://[::2]/',
    ])
      expect(isLoopbackHost(new URL(url).hostname), url).toBe(false);
  });

  it('allows plain http to loopback only, unless --insecure', () => {
    expect(isSecureUrl(new URL('http://[::ffff:127.0.0.1]:8080/api'), false)).toBe(true);
    expect(isSecureUrl(new URL('http://api.example/'), false)).toBe(false);
    expect(isSecureUrl(new URL('http://api.example/'), true)).toBe(true);
  });
});
