import { isAbsolute, resolve } from 'node:path';
// The run's settings: flag > OAUTH_* > profile > default, each once, with where it came from.
import { describe, expect, it } from 'vitest';
import { resolveSettings, type SettingSources, savedProfile } from '../../src/settings/settings.js';

function settings(sources: Partial<SettingSources> & { profileValues?: Record<string, unknown> } = {}) {
  const stripped: string[] = [];
  let profileReads = 0;
  const resolved = resolveSettings({
    flags: {},
    env: {},
    profileName: 'dev',
    profile: () => {
      profileReads++;
      return sources.profileValues;
    },
    withoutUrlCredentials: (value, origin) => {
      const clean = value.replace(/\/\/[^/@]*@/, '//');
      if (clean !== value) stripped.push(origin);
      return clean;
    },
    ...sources,
  });
  return { resolved, stripped, profileReads: () => profileReads };
}

describe('resolveSettings', () => {
  it('takes the flag, then OAUTH_*, then the profile, then the default, and says which', () => {
    // The flag names the profile's own issuer: at another one, the profile's client would not count.
    const profileValues = { issuer: 'https://flag', scope: 'p', client_id: 'pc', timeout: 7 };
    const env = { OAUTH_ISSUER: 'https://env', OAUTH_SCOPE: 'e' };
    const { resolved } = settings({ flags: { issuer: 'https://flag' }, env, profileValues });
    expect(resolved.issuer).toEqual({ value: 'https://flag', source: 'flag', origin: '--issuer' });
    expect(resolved.scope).toEqual({ value: 'e', source: 'env', origin: 'OAUTH_SCOPE' });
    expect(resolved.clientId).toEqual({ value: 'pc', source: 'profile', origin: '"client_id" in profile dev' });
    expect(resolved.timeout).toEqual({ value: 7, source: 'profile', origin: '"timeout" in profile dev' });
    expect(resolved.clockSkew).toEqual({ value: 30, source: 'default', origin: 'the default' });
    expect(resolved.authMethod).toBeUndefined();
  });

  it("leaves out the profile's resource, audience and scope when the run is for another issuer", () => {
    const profileValues = { issuer: 'https://as.example/', resource: 'https://api.example', audience: 'a', scope: 's' };
    for (const other of [{ flags: { issuer: 'https://other.example' } }, { env: { OAUTH_ISSUER: 'https://other' } }]) {
      const { resolved } = settings({ ...other, profileValues });
      expect(resolved.resource).toBeUndefined();
      expect(resolved.audience).toBeUndefined();
      expect(resolved.scope).toBeUndefined();
      expect(resolved.get('resource')).toBeUndefined();
      expect(resolved.clientId).toBeUndefined();
    }
    // The profile's own issuer (a trailing slash aside), or none given: the profile's values apply.
    for (const same of [{ flags: { issuer: 'https://as.example' } }, {}]) {
      const { resolved } = settings({ ...same, profileValues });
      expect(resolved.resource?.value).toEqual(['https://api.example']);
      expect(resolved.scope?.value).toBe('s');
    }
    // What the run itself says still goes to the other issuer.
    const given = settings({
      flags: { issuer: 'https://other.example', resource: ['https://r'] },
      env: { OAUTH_SCOPE: 'e' },
      profileValues,
    }).resolved;
    expect(given.resource?.value).toEqual(['https://r']);
    expect(given.scope?.value).toBe('e');
  });

  it('leaves out every issuer-bound setting of the profile at another issuer, also one the command chose', () => {
    const profileValues = {
      issuer: 'https://as.example',
      client_id: 'old-client',
      auth_method: 'private_key_jwt',
      private_key: '/keys/old.jwk',
      redirect_uri: 'http://127.0.0.1:8400/callback',
      token_endpoint: 'https://as.example/token',
      revocation_endpoint: 'https://as.example/revoke',
      authorization_endpoint: 'https://as.example/authorize',
      timeout: 7,
    };
    for (const other of [
      settings({ flags: { issuer: 'https://other.example' }, profileValues }).resolved,
      settings({ profileValues }).resolved.atIssuer('https://other.example', "the API's metadata"),
    ]) {
      expect(other.issuer?.value).toBe('https://other.example');
      expect(other.clientId).toBeUndefined();
      expect(other.authMethod).toBeUndefined();
      expect(other.privateKey).toBeUndefined();
      expect(other.redirectUri).toBeUndefined();
      expect(other.endpoints).toEqual({});
      expect(other.get('revocation_endpoint')).toBeUndefined();
      // Not the server's: the user's own.
      expect(other.timeout.value).toBe(7);
    }
    const chosen = settings({ flags: { clientId: 'new-client' }, profileValues }).resolved.atIssuer(
      'https://other.example',
      "the API's metadata",
    );
    expect(chosen.clientId?.value).toBe('new-client');
    expect(chosen.issuer?.origin).toBe("the API's metadata");
    const same = settings({ profileValues }).resolved.atIssuer('https://as.example/', "the API's metadata");
    expect(same.clientId?.value).toBe('old-client');
    expect(same.endpoints.token_endpoint?.value).toBe('https://as.example/token');
  });

  it('saves a profile that moves to another issuer without the old issuer-bound settings', () => {
    const previous = {
      issuer: 'https://as.example',
      client_id: 'c',
      private_key: 'k',
      revocation_endpoint: 'r',
      timeout: 7,
    };
    expect(savedProfile(previous, { issuer: 'https://other.example', client_id: 'n' })).toEqual({
      issuer: 'https://other.example',
      client_id: 'n',
      timeout: 7,
    });
    expect(savedProfile(previous, { issuer: 'https://as.example/', scope: 's' })).toEqual({
      ...previous,
      issuer: 'https://as.example/',
      scope: 's',
    });
  });

  it('saves the files a profile names as absolute paths: relative ones are resolved against where the run started', () => {
    const saved = savedProfile(undefined, {
      issuer: 'https://as.example',
      cert: 'certs/client.pem',
      key: './client-key.pem',
      private_key: '../jwt.jwk',
      ca_file: '/etc/ssl/ca.pem',
    });
    expect(saved).toEqual({
      issuer: 'https://as.example',
      cert: resolve('certs/client.pem'),
      key: resolve('client-key.pem'),
      private_key: resolve('..', 'jwt.jwk'),
      ca_file: '/etc/ssl/ca.pem',
    });
    expect(isAbsolute(String(saved.cert))).toBe(true);
  });

  it('counts an empty or blank variable or profile value as unset', () => {
    const { resolved } = settings({
      env: { OAUTH_ISSUER: ' ', OAUTH_SCOPE: '' },
      profileValues: { issuer: 'https://profile', scope: '  ' },
    });
    expect(resolved.issuer?.origin).toBe('"issuer" in profile dev');
    expect(resolved.scope).toBeUndefined();
  });

  it('reads lists from repeated flags, or splits a value at spaces and commas; an empty list is unset', () => {
    expect(settings({ flags: { audience: ['a', 'b'] } }).resolved.audience).toEqual({
      value: ['a', 'b'],
      source: 'flag',
      origin: '--audience',
    });
    expect(settings({ env: { OAUTH_AUDIENCE: 'a, b c' } }).resolved.audience?.value).toEqual(['a', 'b', 'c']);
    expect(settings({ env: { OAUTH_RESOURCE: ',' } }).resolved.resource).toBeUndefined();
    expect(settings({ env: { OAUTH_AUDIENCE: ' , ' } }).resolved.audience).toBeUndefined();
  });

  it('names the origin of a malformed duration', () => {
    expect(() => settings({ env: { OAUTH_TIMEOUT: 'soon' } }).resolved.timeout).toThrow(/^OAUTH_TIMEOUT must be/);
    expect(() => settings({ flags: { timeout: '0x10' } }).resolved.timeout).toThrow(/^--timeout must be/);
  });

  it('reads the profile only when a setting needs it, and each setting once', () => {
    const run = settings({ flags: { issuer: 'https://flag' }, profileValues: { scope: 's' } });
    expect(run.resolved.issuer?.value).toBe('https://flag');
    expect(run.profileReads()).toBe(0);
    expect(run.resolved.scope?.value).toBe('s');
    expect(run.resolved.scope?.value).toBe('s');
    expect(run.profileReads()).toBe(1);
  });

  it('drops the user:password@ of a URL from every source, naming it', () => {
    const run = settings({
      flags: { tokenEndpoint: 'https://u:p@flag/token' },
      env: { OAUTH_ISSUER: 'https://u:p@env' },
      profileValues: { jwks_uri: 'https://u:p@profile/jwks' },
    });
    expect(run.resolved.endpoints).toEqual({
      token_endpoint: { value: 'https://flag/token', source: 'flag', origin: '--token-endpoint' },
      jwks_uri: { value: 'https://profile/jwks', source: 'profile', origin: '"jwks_uri" in profile dev' },
    });
    expect(run.resolved.issuer?.value).toBe('https://env');
    expect(run.stripped).toEqual(['--token-endpoint', '"jwks_uri" in profile dev', 'OAUTH_ISSUER']);
  });
});
