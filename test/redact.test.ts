import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactHeaders, redactJson, redactText, SecretRegistry, stub } from '../src/redact.js';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MTc5NTQ3OTU3MH0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl';

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
    const body =
      'grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_secret=s3cr3t%2Bvalue';
    const redacted = redactText(body);
    expect(redacted).toContain('grant_type=authorization_code');
    for (const secret of ['SplxlOBeZQQYbYS6WxSbIA', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 's3cr3t'])
      expect(redacted).not.toContain(secret);
  });
  it('replaces secret JSON members', () => {
    const text =
      '{"access_token": "opaque-token-value-1234567890", "token_type": "Bearer", "refresh_token":"r-0123456789"}';
    const redacted = redactText(text);
    expect(redacted).not.toContain('opaque-token-value-1234567890');
    expect(redacted).not.toContain('r-0123456789');
    expect(redacted).toContain('"token_type": "Bearer"');
  });
  it('replaces Bearer and Basic credentials', () => {
    expect(redactText('Authorization: Bearer abcdef0123456789opaque')).not.toContain('abcdef0123456789opaque');
    expect(redactText('Basic c2VydmljZTpzZWNyZXQ=')).not.toContain('c2VydmljZTpzZWNyZXQ=');
  });
  it('keeps a word of prose after a scheme name: "DPoP proofs", "Bearer tokens." are no credentials', () => {
    for (const text of [
      '--htu and --htm apply only to DPoP sessions; this one is Bearer.',
      'The API takes Bearer tokens.',
      'DPoP proofs are made per request',
      'Negotiate Kerberos first, then Basic authentication',
    ])
      expect(redactText(text)).toBe(text);
  });
  it('still redacts what a credential looks like after a scheme, and any value in an Authorization or DPoP header', () => {
    const cases: Array<[text: string, credential: string]> = [
      ['Bearer opaque42', 'opaque42'],
      ['the token: Bearer abc.def', 'abc.def'],
      ['DPoP xyzZyplugh', 'xyzZyplugh'],
      ['Basic YWxhZGRpbjpvcGVu', 'YWxhZGRpbjpvcGVu'],
      ['Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
      ['Bearer abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxyz'],
      ['Bearer ABCDEFGH', 'ABCDEFGH'],
      ['Bearer secret=', 'secret='],
      ['Authorization: Bearer abcdefgh', 'abcdefgh'],
      ['proxy-authorization:Basic password', 'password'],
      ['{"authorization": "DPoP sessions"}', 'sessions'],
    ];
    for (const [text, credential] of cases) expect(redactText(text), text).not.toContain(credential);
  });
  it('replaces secrets this run knows, whatever their shape', () => {
    expect(redactText('the secret is plain-words-secret ok', ['plain-words-secret'])).not.toContain(
      'plain-words-secret',
    );
  });
  it('leaves ordinary text alone', () => {
    expect(redactText('The token expired at 2026-11-24T00:19:30Z (1h ago).')).toBe(
      'The token expired at 2026-11-24T00:19:30Z (1h ago).',
    );
  });
});

describe('redactJson and redactHeaders', () => {
  it('stubs secret members, including private JWK members, and keeps the rest', () => {
    const redacted = redactJson({
      access_token: 'x'.repeat(40),
      expires_in: 300,
      keys: [{ kty: 'RSA', n: 'modulus', d: 'private-exponent-value' }],
    }) as Record<string, unknown>;
    expect(JSON.stringify(redacted)).not.toContain('x'.repeat(40));
    expect(JSON.stringify(redacted)).not.toContain('private-exponent-value');
    expect(redacted.expires_in).toBe(300);
  });
  it('stubs the private parts of a JWK only: d, p, q, dp, dq, qi, k elsewhere are ordinary members', () => {
    const jwk = {
      kty: 'RSA',
      n: 'modulus',
      d: 'private-exponent-value',
      dp: 'crt-exponent-value',
      k: 'octet-key-value',
    };
    const shown = JSON.stringify(redactJson({ jwk, error: { d: 'ERR_JWKS_NO_MATCHING_KEY', p: 'ERR_JWT_EXPIRED' } }));
    for (const secret of ['private-exponent-value', 'crt-exponent-value', 'octet-key-value'])
      expect(shown).not.toContain(secret);
    expect(shown).toContain('"d":"ERR_JWKS_NO_MATCHING_KEY"');
    expect(shown).toContain('"p":"ERR_JWT_EXPIRED"');
  });
  it("registers the private parts of a JWK answer as secrets, not an error body's members so named", () => {
    const registry = new SecretRegistry()
      .addFromJson({ kty: 'oct', k: 'octet-key-value-0123' })
      .addFromJson({ d: 'ERR_JWKS_NO_MATCHING_KEY', q: 'ERR_JWT_EXPIRED', error: 'invalid_token' });
    expect(registry.redact('key octet-key-value-0123')).not.toContain('octet-key-value-0123');
    expect(registry.redact('failed: ERR_JWKS_NO_MATCHING_KEY, ERR_JWT_EXPIRED')).toBe(
      'failed: ERR_JWKS_NO_MATCHING_KEY, ERR_JWT_EXPIRED',
    );
  });
  it('stubs Authorization, Cookie and Set-Cookie', () => {
    const headers = redactHeaders({
      authorization: 'Basic c2VydmljZTpzZWNyZXQ=',
      cookie: 'sid=abcdef',
      'set-cookie': ['a=1', 'b=2'],
      accept: 'application/json',
    });
    expect(headers.authorization).toMatch(/^Basic \[redacted/);
    expect(headers.cookie).not.toContain('abcdef');
    expect(headers.accept).toBe('application/json');
  });
  it('stubs tokens, secrets, passwords, API keys, auth, sessions and cookies by the name, and registers them when sent', () => {
    const secret = 'k3y-0123456789abcdefghij';
    const names = [
      ...['X-Api-Key', 'api-key', 'Apikey', 'api_key', 'X-Goog-Api-Key', 'X-Auth-Token', 'x-amz-security-token'],
      ...['Private-Token', 'Access-Token', 'Token', 'Authorization-Token', 'X-Session-Id', 'Session', 'X-Cookie'],
      ...['Client-Secret', 'Password', 'X-Passwd', 'X-Authentication', 'Auth', 'X-Refresh-Token'],
    ];
    const visible = ['x-request-id', 'WWW-Authenticate', 'Proxy-Authenticate', 'X-OAuth-Scopes', 'Content-Type'];
    const headers = redactHeaders({
      ...Object.fromEntries(names.map((name) => [name, secret])),
      ...Object.fromEntries(visible.map((name) => [name, 'r1'])),
    });
    for (const name of names) expect(headers[name], name).not.toContain(secret.slice(4));
    for (const name of visible) expect(headers[name], name).toBe('r1');
    for (const name of names) {
      const registry = new SecretRegistry().addFromRequest({ [name]: secret }, undefined, undefined);
      expect(registry.redact(`echo: ${secret}`), name).not.toContain(secret.slice(4));
    }
    // An API key with a space in it is secret whole, not only after the space.
    const spaced = new SecretRegistry().addFromRequest({ 'x-api-key': `team ${secret}` }, undefined, undefined);
    expect(spaced.redact(`team ${secret}`)).not.toContain('team');
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
  it('a stub whose visible ends hold "+" or "%" (base64 secrets do) is left whole too, not decoded and stubbed again', () => {
    for (const secret of ['Ab+cdEFGHIJKLMNOPQRSTUVWXYZ0123456789ab+c', 'Ab%2BcdEFGHIJKLMNOPQRSTUVWXYZ0123456789%41'])
      for (const sample of [
        `client_secret=${encodeURIComponent(secret)}&client_id=c`,
        `client_secret=${secret}`,
        `token=${secret}`,
      ]) {
        const once = redactText(sample, [secret]);
        expect(once).toContain(`${secret.slice(0, 6)}…${secret.slice(-4)} (${secret.length} chars)`);
        expect(redactText(once, [secret])).toBe(once);
      }
  });
  it('keeps auth-params of a challenge: realm, error and scope are not credentials', () => {
    const challenge = 'WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="expired"';
    expect(redactText(challenge)).toBe(challenge);
    expect(redactText('WWW-Authenticate: Basic realm=example')).toBe('WWW-Authenticate: Basic realm=example');
    expect(redactText('Authorization: Basic dXNlcjpwYXNzd29yZA==')).toBe('Authorization: Basic [redacted, 20 chars]');
  });
});

describe('the secret registry, against a server that echoes a secret in a spelling of its own', () => {
  // Each way a server may re-encode what it received before echoing it: form and query encodings in either case of
  // hex and with more or fewer characters escaped, JSON and HTML escapes, base64 at any position of a longer text.
  const hexCase = (text: string, lower: boolean) =>
    text.replace(/%[0-9A-Fa-f]{2}/g, (hex) => (lower ? hex.toLowerCase() : hex.toUpperCase()));
  const strictEncode = (text: string) =>
    encodeURIComponent(text).replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16)}`);
  const encodeEvery = (text: string) =>
    [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
  const echoes: Record<string, (secret: string) => string> = {
    raw: (secret) => secret,
    'encodeURIComponent, lower-case hex': (secret) => hexCase(encodeURIComponent(secret), true),
    'RFC 3986 strict, upper-case hex': (secret) => hexCase(strictEncode(secret), false),
    'every byte encoded': encodeEvery,
    form: (secret) => new URLSearchParams({ v: secret }).toString().slice(2),
    'JSON with escaped solidus': (secret) => JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
    'JSON with \\u escapes': (secret) =>
      Array.from(
        { length: secret.length },
        (_, unit) => `\\u${secret.charCodeAt(unit).toString(16).padStart(4, '0')}`,
      ).join(''),
    'HTML character references': (secret) =>
      [...secret].map((char) => `&#x${char.codePointAt(0)!.toString(16)};`).join(''),
    'base64 inside a longer text': (secret) => Buffer.from(`id:${secret}`).toString('base64'),
    'base64 one byte in': (secret) => Buffer.from(`:${secret}.`).toString('base64'),
    'percent-encoded twice (an encoded request inside a redirect URL)': (secret) =>
      encodeURIComponent(`https://x.example/?q=${encodeURIComponent(secret)}`),
    'hex dump': (secret) => Buffer.from(`body=${secret}`).toString('hex'),
    'base64 of a form body': (secret) =>
      Buffer.from(`a=1&refresh_token=${new URLSearchParams({ v: secret }).toString().slice(2)}`).toString('base64'),
    'in a Basic credential as oauth4webapi encodes it, without padding': (secret) =>
      Buffer.from(
        `svc:${encodeURIComponent(secret).replace(/[-_.!~*'()]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)}`,
      )
        .toString('base64')
        .replace(/=+$/, ''),
    'base64 of JSON with escaped solidus': (secret) =>
      Buffer.from(`{"s":"${JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/')}"}`).toString('base64'),
    'base64 wrapped at 76 characters': (secret) =>
      Buffer.from(`${'x'.repeat(70)}${secret}`)
        .toString('base64')
        .replace(/.{76}/g, '$&\n'),
    'base64url two bytes in': (secret) => Buffer.from(`t:${secret}`).toString('base64url'),
  };
  const secretText = fc
    .string({ unit: 'grapheme', minLength: 8, maxLength: 48 })
    .filter((text) => text.trim().length >= 8);

  for (const [name, echo] of Object.entries(echoes)) {
    it(`never lets a registered secret through in its ${name} spelling`, () => {
      fc.assert(
        fc.property(secretText, fc.string({ maxLength: 20 }), (secret, around) => {
          const registry = new SecretRegistry().add(secret);
          const echoed = echo(secret);
          const printed = registry.redact(`${around}error_description=${echoed} ${around}`);
          expect(printed).not.toContain(echoed);
          expect(printed).not.toContain(secret);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('redacts the signature of a JWT secret on its own: with an echoed header and payload it would rebuild the token', () => {
    const jwt = `eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjbGllbnQiLCJleHAiOjE4MDAwMDAwMDB9.${'S'.repeat(40)}_sig-part`;
    const registry = new SecretRegistry().add(jwt);
    expect(registry.redact(`header {"alg":"ES256"} signature ${jwt.split('.')[2]}`)).not.toContain('SSSSSSSSSS');
  });

  it('redacts a cut-off echo that holds most of a secret, and leaves a mere common prefix alone', () => {
    const secret = 'Zq7-Kp_Wm3-Rt9xLv2_Nb8-Hc5Jd4';
    const registry = new SecretRegistry().add(secret);
    expect(registry.redact(`unknown secret "${secret.slice(0, 24)}..."`)).not.toContain('Zq7-Kp_Wm3-Rt9x');
    expect(registry.redact(`client_secret%3D${secret.slice(0, 18)}`)).not.toContain('Zq7-Kp_Wm3-Rt9x');
    expect(registry.redact(`a value ${secret.slice(0, 13)}-something-else-entirely`)).toContain(secret.slice(0, 13));
  });

  it('redacts a secret echoed in pieces that together hold more than half of it, and leaves our own words that share a piece', () => {
    const secret = 'Zq7Kp9Wm3Rt5Xb2Lc8Vn4Hs6Jd1Fg0Qa';
    const registry = new SecretRegistry().add(secret).add('client-secret with spaces+plus/slash=&amp;');
    for (const echo of [
      `first part: ${secret.slice(0, 15)} second part: ${secret.slice(15)}`,
      `denied for ${secret.slice(0, 15)} ${secret.slice(15)}`,
      `h:${secret.slice(0, 10)} t:${secret.slice(10)}`,
    ]) {
      const printed = registry.redact(echo);
      expect(printed).not.toContain(secret.slice(0, 10));
      expect(printed).not.toContain(secret.slice(15));
    }
    expect(registry.redact('use --client-secret-file or OAUTH_CLIENT_SECRET')).toBe(
      'use --client-secret-file or OAUTH_CLIENT_SECRET',
    );
  });

  it('redacts a short secret where it stands as a word, and leaves words that merely contain it', () => {
    const registry = new SecretRegistry().add('s3cr3');
    expect(registry.redact('wrong secret s3cr3 for client')).toBe('wrong secret [redacted, 5 chars] for client');
    expect(registry.redact('xs3cr3x stays')).toBe('xs3cr3x stays');
  });

  it('keeps a value the user asked for raw, and still redacts every other secret', () => {
    const registry = new SecretRegistry().add('the-access-token-1234').add('the-refresh-token-5678');
    const printed = registry.redact('the-access-token-1234 the-refresh-token-5678', ['the-access-token-1234']);
    expect(printed).toContain('the-access-token-1234');
    expect(printed).not.toContain('the-refresh-token-5678');
  });
});

describe('redacting a hostile body of a megabyte', () => {
  // Each of these once made one pattern search from every position of one long run: minutes for a megabyte, which a
  // server can send to any -vv trace. A linear search ends in milliseconds; the test's own timeout is the bound.
  const bodies: Record<string, string> = {
    'JWT-like runs': 'eyJ'.repeat(300_000),
    'scheme-like runs without ://': 'eyJa.'.repeat(200_000),
    'dots after JWT-like heads': `${'eyJab.....'.repeat(100_000)}`,
    'auth schemes': `${'Bearer '.repeat(150_000)}`,
    'named parameters': 'access_token='.repeat(70_000),
    'JSON members': '"access_token": "'.repeat(50_000),
  };
  for (const [name, body] of Object.entries(bodies))
    it(`ends for ${name}`, { timeout: 20_000 }, () => {
      const secrets = new SecretRegistry();
      secrets.add('s3cr3t-value-abcdefgh');
      expect(redactText(body, secrets).length).toBeGreaterThan(0);
    });

  it('still finds user:password@ after a long scheme-like run and in a URL with a short scheme', () => {
    expect(redactText('see https://alice:pa55word@host.example/x')).toBe(
      'see https://[credentials removed]@host.example/x',
    );
    expect(redactText('x.y.https://alice:pa55word@host.example/')).not.toContain('pa55word');
  });
});
