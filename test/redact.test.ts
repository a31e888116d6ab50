import { describe, expect, it } from 'vitest';
import { redactHeaders, redactJson, redactText, stub } from '../src/redact.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MTc5NTQ3OTU3MH0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl';

describe('stub', () => {
  it('keeps a recognisable prefix and suffix of long values, and the length', () => {
    expect(stub(JWT)).toBe(`eyJhbG…dXJl (${JWT.length} chars)`);
  });
  it('shows little of medium values and nothing of short ones', () => {
    expect(stub('0123456789abcdefXYZ')).toBe('012… (19 chars)');
    expect(stub('hunter2')).toBe('[redacted, 7 chars]');
  });
});

describe('redactText', () => {
  it('replaces JWTs wherever they appear', () => {
    const text = `token is ${JWT}, done`;
    expect(redactText(text)).not.toContain(JWT.split('.')[2]);
    expect(redactText(text)).toContain('token is eyJhbG…');
  });
  it('replaces secret form and query parameters, encoded or not', () => {
    const body = 'grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_secret=s3cr3t%2Bvalue';
    const redacted = redactText(body);
    expect(redacted).toContain('grant_type=authorization_code');
    for (const secret of ['SplxlOBeZQQYbYS6WxSbIA', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 's3cr3t']) expect(redacted).not.toContain(secret);
  });
  it('replaces secret JSON members', () => {
    const text = '{"access_token": "opaque-token-value-1234567890", "token_type": "Bearer", "refresh_token":"r-0123456789"}';
    const redacted = redactText(text);
    expect(redacted).not.toContain('opaque-token-value-1234567890');
    expect(redacted).not.toContain('r-0123456789');
    expect(redacted).toContain('"token_type": "Bearer"');
  });
  it('replaces Bearer and Basic credentials', () => {
    expect(redactText('Authorization: Bearer abcdef0123456789opaque')).not.toContain('abcdef0123456789opaque');
    expect(redactText('Basic c2VydmljZTpzZWNyZXQ=')).not.toContain('c2VydmljZTpzZWNyZXQ=');
  });
  it('replaces secrets this run knows, whatever their shape', () => {
    expect(redactText('the secret is plain-words-secret ok', ['plain-words-secret'])).not.toContain('plain-words-secret');
  });
  it('leaves ordinary text alone', () => {
    expect(redactText('The token expired at 2026-11-24T00:19:30Z (1h ago).')).toBe('The token expired at 2026-11-24T00:19:30Z (1h ago).');
  });
});

describe('redactJson and redactHeaders', () => {
  it('stubs secret members, including private JWK members, and keeps the rest', () => {
    const redacted = redactJson({ access_token: 'x'.repeat(40), expires_in: 300, keys: [{ kty: 'RSA', n: 'modulus', d: 'private-exponent-value' }] }) as Record<string, unknown>;
    expect(JSON.stringify(redacted)).not.toContain('x'.repeat(40));
    expect(JSON.stringify(redacted)).not.toContain('private-exponent-value');
    expect(redacted.expires_in).toBe(300);
  });
  it('stubs Authorization, Cookie and Set-Cookie', () => {
    const headers = redactHeaders({ authorization: 'Basic c2VydmljZTpzZWNyZXQ=', cookie: 'sid=abcdef', 'set-cookie': ['a=1', 'b=2'], accept: 'application/json' });
    expect(headers.authorization).toMatch(/^Basic \[redacted/);
    expect(headers.cookie).not.toContain('abcdef');
    expect(headers.accept).toBe('application/json');
  });
});

describe('redacting what is already redacted', () => {
  const CODE = 'SplxlOBeZQQYbYS6WxSbIA0123456789abcdefXYZ';
  const samples = [
    `code=${CODE}&state=xyz`,
    `Authorization: Bearer ${CODE}`,
    `Basic ${Buffer.from(`client:${CODE}`).toString('base64')}`,
    `{"refresh_token":"${CODE}"}`,
    `token=${JWT}`,
    `known ${CODE} here`,
  ];
  it('leaves stubs whole: a trace line redacted twice reads the same as once', () => {
    for (const sample of samples) {
      const once = redactText(sample, [CODE]);
      expect(redactText(once, [CODE])).toBe(once);
      expect(once).not.toMatch(/\[redacted, \d+ chars\][^\s&"]*\(\d+ chars\)|\[redacted, \d+ chars\]…/);
    }
  });
  it('keeps auth-params of a challenge: realm, error and scope are not credentials', () => {
    const challenge = 'WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="expired"';
    expect(redactText(challenge)).toBe(challenge);
    expect(redactText('WWW-Authenticate: Basic realm=example')).toBe('WWW-Authenticate: Basic realm=example');
    expect(redactText('Authorization: Basic dXNlcjpwYXNzd29yZA==')).toBe('Authorization: Basic [redacted, 20 chars]');
  });
});
