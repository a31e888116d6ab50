// The reference authorization server's modern features, each seen working by a raw HTTP client: DPoP (with and
// without nonces), PAR (optional and required), signed request objects, JARM and RAR — and each off unless asked for.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_FEATURES, RAR_TYPE } from '../../src/serve/features.js';
import { simulateUser } from '../../src/serve/simulated-user.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { startServer, type TestServer } from '../helpers/server.js';

const PAYMENT = {
  type: RAR_TYPE,
  actions: ['initiate'],
  instructedAmount: { currency: 'EUR', amount: '123.50' },
  creditorName: 'Merchant A',
  creditorAccount: { iban: 'DE02100100109307118603' },
};

let as: TestAuthorizationServer;
let callback: TestServer;
let redirectUri: string;

beforeAll(async () => {
  callback = await startServer({ '/callback': (_request, response) => void response.end('ok') });
  redirectUri = `${callback.origin}/callback`;
  as = await startAuthorizationServer({ features: ALL_FEATURES });
});
afterAll(async () => {
  await as?.close();
  await callback?.close();
});

const form = (body: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body),
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function clientAssertion(server: TestAuthorizationServer): Promise<Record<string, string>> {
  const key = await importJWK(server.jwtClientKey, 'ES256');
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: server.jwtClientKey.kid })
    .setIssuer('jwt-client')
    .setSubject('jwt-client')
    .setAudience(server.issuer)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(key);
  return {
    client_id: 'jwt-client',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  };
}

async function requestObject(server: TestAuthorizationServer, claims: Record<string, unknown>, key?: JWK) {
  const signingKey = key ?? server.jwtClientKey;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: signingKey.kid ?? 'other', typ: 'oauth-authz-req+jwt' })
    .setIssuer('jwt-client')
    .setAudience(server.issuer)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(await importJWK(signingKey, 'ES256'));
}

async function dpopProof(key: CryptoKey, jwk: JWK, htu: string, nonce?: string, extra: Record<string, unknown> = {}) {
  return new SignJWT({ jti: randomUUID(), htm: 'POST', htu, ...(nonce ? { nonce } : {}), ...extra })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt()
    .sign(key);
}

/** The nonce with its last character changed (to another one, whatever it was). */
const tampered = (value: string) => `${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;

const serviceAuth = () =>
  `Basic ${Buffer.from(`service:${'service-secret-8c1f2e7a9b3d4c5e6f70812934a5b6c7'}`).toString('base64')}`;
const confidentialAuth = () =>
  `Basic ${Buffer.from(`confidential-app:${'confidential-secret-5f0c3a9e7d2b4c6a8e1f3b5d7a9c0e2f'}`).toString('base64')}`;

describe('metadata', () => {
  it('advertises every feature that is on', async () => {
    const metadata = await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json();
    expect(metadata).toMatchObject({
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
      pushed_authorization_request_endpoint: `${as.issuer}/request`,
      request_parameter_supported: true,
      request_object_signing_alg_values_supported: expect.arrayContaining(['ES256']),
      authorization_signing_alg_values_supported: ['RS256'],
      response_modes_supported: expect.arrayContaining(['jwt', 'query.jwt', 'form_post.jwt']),
      authorization_details_types_supported: [RAR_TYPE],
    });
  });

  it('advertises none of them when none is asked for', async () => {
    const plain = await startAuthorizationServer();
    try {
      const metadata = await (await fetch(`${plain.issuer}/.well-known/openid-configuration`)).json();
      for (const member of [
        'dpop_signing_alg_values_supported',
        'pushed_authorization_request_endpoint',
        'authorization_signing_alg_values_supported',
        'authorization_details_types_supported',
      ])
        expect(metadata).not.toHaveProperty(member);
      expect(metadata.request_parameter_supported).not.toBe(true);
      expect(metadata.response_modes_supported).not.toContain('jwt');
    } finally {
      await plain.close();
    }
  });
});

describe('DPoP', () => {
  it('binds a token to the proof key (cnf.jkt) and answers token_type DPoP', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const response = await fetch(`${as.issuer}/token`, {
      ...form({ grant_type: 'client_credentials', scope: 'api:read' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: serviceAuth(),
        dpop: await dpopProof(privateKey, jwk, `${as.issuer}/token`),
      },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: await calculateJwkThumbprint(jwk) });
  });

  it('demands a nonce when asked to, and takes the proof that carries it', async () => {
    const strict = await startAuthorizationServer({ features: { dpop: { nonce: true } } });
    try {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const jwk = await exportJWK(publicKey);
      const send = async (nonce?: string) =>
        fetch(`${strict.issuer}/token`, {
          ...form({ grant_type: 'client_credentials', scope: 'api:read' }),
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: serviceAuth(),
            dpop: await dpopProof(privateKey, jwk, `${strict.issuer}/token`, nonce),
          },
        });
      const first = await send();
      expect(first.status).toBe(400);
      expect((await first.json()).error).toBe('use_dpop_nonce');
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce).toBeTruthy();
      const second = await send(nonce ?? undefined);
      expect(second.status).toBe(200);
      const { token_type, access_token } = await second.json();
      expect(token_type).toBe('DPoP');

      // The example API on the same origin demands a nonce too, and takes the authorization server's.
      const api = `${strict.issuer}/api/orders`;
      const ath = createHash('sha256').update(access_token).digest('base64url');
      const call = async (apiNonce?: string) =>
        fetch(api, {
          headers: {
            authorization: `DPoP ${access_token}`,
            dpop: await dpopProof(privateKey, jwk, api, apiNonce, { htm: 'GET', ath }),
          },
        });
      const refused = await call();
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^DPoP .*error="use_dpop_nonce"/);
      const apiNonce = refused.headers.get('dpop-nonce');
      expect(apiNonce).toBeTruthy();
      const accepted = await call(apiNonce ?? undefined);
      expect(accepted.status).toBe(200);
      expect(accepted.headers.get('dpop-nonce')).toBeTruthy();
      expect((await call(nonce ?? undefined)).status).toBe(200);
      const forged = await call(tampered(apiNonce ?? ''));
      expect(forged.status).toBe(401);
      expect(forged.headers.get('www-authenticate')).toMatch(/error="use_dpop_nonce"/);
    } finally {
      await strict.close();
    }
  });

  it('is off unless asked for: a proof is ignored and the token is a bearer token', async () => {
    const plain = await startAuthorizationServer();
    try {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const response = await fetch(`${plain.issuer}/token`, {
        ...form({ grant_type: 'client_credentials', scope: 'api:read' }),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: serviceAuth(),
          dpop: await dpopProof(privateKey, await exportJWK(publicKey), `${plain.issuer}/token`),
        },
      });
      const body = await response.json();
      expect(body.token_type).toBe('Bearer');
      expect(decodeJwt(body.access_token).cnf).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe('PAR', () => {
  it('returns a request_uri that the authorization endpoint then takes', async () => {
    const { challenge } = pkce();
    const response = await fetch(`${as.issuer}/request`, {
      ...form({
        client_id: 'confidential-app',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: confidentialAuth() },
    });
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(body.expires_in).toBeGreaterThan(0);
    const user = await simulateUser(
      `${as.issuer}/auth?${new URLSearchParams({ client_id: 'confidential-app', request_uri: body.request_uri })}`,
    );
    expect(new URL(user.finalUrl).searchParams.get('code')).toBeTruthy();
  });

  it('refuses a plain authorization request when PAR is required', async () => {
    const strict = await startAuthorizationServer({ features: { par: { required: true } } });
    try {
      const metadata = await (await fetch(`${strict.issuer}/.well-known/openid-configuration`)).json();
      expect(metadata.require_pushed_authorization_requests).toBe(true);
      const { challenge } = pkce();
      const user = await simulateUser(
        `${strict.issuer}/auth?${new URLSearchParams({
          client_id: 'confidential-app',
          response_type: 'code',
          scope: 'openid',
          redirect_uri: redirectUri,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        })}`,
      );
      const result = new URL(user.finalUrl);
      expect(result.searchParams.get('code')).toBeNull();
      expect(`${result.searchParams.get('error')} ${user.status}`).toMatch(/invalid_request|400/);
    } finally {
      await strict.close();
    }
  });
});

describe('request objects (JAR)', () => {
  it('takes a request object signed by the client key, also pushed (PAR)', async () => {
    const { challenge } = pkce();
    const claims = {
      client_id: 'jwt-client',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const direct = await simulateUser(
      `${as.issuer}/auth?${new URLSearchParams({ client_id: 'jwt-client', request: await requestObject(as, claims) })}`,
    );
    expect(new URL(direct.finalUrl).searchParams.get('code')).toBeTruthy();

    const pushed = await fetch(
      `${as.issuer}/request`,
      form({ ...(await clientAssertion(as)), request: await requestObject(as, claims) }),
    );
    expect(pushed.status).toBe(201);
    expect((await pushed.json()).request_uri).toBeTruthy();
  });

  it('refuses a request object signed by another key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const stranger = { ...(await exportJWK(privateKey)), kid: 'jwt-client-1' };
    const pushed = await fetch(
      `${as.issuer}/request`,
      form({
        ...(await clientAssertion(as)),
        request: await requestObject(
          as,
          { client_id: 'jwt-client', response_type: 'code', scope: 'openid', redirect_uri: redirectUri },
          stranger,
        ),
      }),
    );
    expect(pushed.status).toBe(400);
    expect((await pushed.json()).error).toBe('invalid_request_object');
  });
});

describe('JARM', () => {
  it('answers with a response JWT signed by the server, carrying the code', async () => {
    const { challenge } = pkce();
    const user = await simulateUser(
      `${as.issuer}/auth?${new URLSearchParams({
        client_id: 'oauth-cli',
        response_type: 'code',
        response_mode: 'jwt',
        scope: 'openid',
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })}`,
    );
    const result = new URL(user.finalUrl);
    expect(result.searchParams.get('code')).toBeNull();
    const response = result.searchParams.get('response');
    expect(response).toBeTruthy();
    const jwks = await (await fetch(`${as.issuer}/jwks`)).json();
    const { payload } = await jwtVerify(response ?? '', createLocalJWKSet(jwks), {
      issuer: as.issuer,
      audience: 'oauth-cli',
    });
    expect(typeof payload.code).toBe('string');
  });
});

describe('RAR', () => {
  it('grants payment_initiation details into the token response and the JWT access token', async () => {
    const response = await fetch(`${as.issuer}/token`, {
      ...form({ grant_type: 'client_credentials', authorization_details: JSON.stringify([PAYMENT]) }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: serviceAuth() },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.authorization_details).toEqual([PAYMENT]);
    expect(decodeJwt(body.access_token).authorization_details).toEqual([PAYMENT]);
  });

  it('carries details asked for at authorization through the code into the tokens', async () => {
    const { verifier, challenge } = pkce();
    const user = await simulateUser(
      `${as.issuer}/auth?${new URLSearchParams({
        client_id: 'oauth-cli',
        response_type: 'code',
        scope: 'openid offline_access',
        prompt: 'consent',
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        authorization_details: JSON.stringify([PAYMENT]),
      })}`,
    );
    const code = new URL(user.finalUrl).searchParams.get('code');
    expect(code).toBeTruthy();
    const response = await fetch(
      `${as.issuer}/token`,
      form({
        grant_type: 'authorization_code',
        client_id: 'oauth-cli',
        code: code ?? '',
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
    );
    const body = await response.json();
    expect(body.authorization_details).toEqual([PAYMENT]);
    expect(decodeJwt(body.access_token).authorization_details).toEqual([PAYMENT]);

    const refresh = (refreshToken: string, details?: unknown) =>
      fetch(
        `${as.issuer}/token`,
        form({
          grant_type: 'refresh_token',
          client_id: 'oauth-cli',
          refresh_token: refreshToken,
          ...(details ? { authorization_details: JSON.stringify(details) } : {}),
        }),
      );
    const refreshed = await (await refresh(body.refresh_token)).json();
    expect(refreshed.authorization_details).toEqual([PAYMENT]);
    // A token request may narrow what was granted, never widen it.
    const wider = await refresh(refreshed.refresh_token, [PAYMENT, { ...PAYMENT, creditorName: 'Merchant B' }]);
    expect(wider.status).toBe(400);
    expect((await wider.json()).error).toBe('invalid_authorization_details');
    expect(decodeJwt(refreshed.access_token).authorization_details).toEqual([PAYMENT]);
  });

  it.each([
    ['an unknown type', { ...PAYMENT, type: 'account_information' }],
    ['an unknown member', { ...PAYMENT, debtorName: 'x' }],
    ['a malformed amount', { ...PAYMENT, instructedAmount: { currency: 'EUR', amount: 'lots' } }],
    ['a missing creditor account', { ...PAYMENT, creditorAccount: undefined }],
  ])('refuses %s with invalid_authorization_details', async (_name, detail) => {
    const response = await fetch(`${as.issuer}/token`, {
      ...form({ grant_type: 'client_credentials', authorization_details: JSON.stringify([detail]) }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: serviceAuth() },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_authorization_details');
  });

  it('does not echo a hostile member name into its error description', async () => {
    const response = await fetch(`${as.issuer}/token`, {
      ...form({
        grant_type: 'client_credentials',
        authorization_details: JSON.stringify([{ ...PAYMENT, '\u001b[31mx"\n': 1 }]),
      }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: serviceAuth() },
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toBe('invalid_authorization_details');
    expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
    expect(body.error_description).toContain('an unknown member');
  });
});
