// What a refused refresh says, and the fields it carries for callers that say it in words of their own.
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { refresh, type Protocol } from '../../src/oauth/grants.js';
import type { ProtocolOptions } from '../../src/oauth/transport.js';

function answering(status: number, body: unknown, client: oauth.Client = { client_id: 'cli' }): Protocol {
  const options: ProtocolOptions = {
    [oauth.customFetch]: async () =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
  };
  return {
    as: { issuer: 'https://id.example.test', token_endpoint: 'https://id.example.test/token' },
    client,
    auth: oauth.None(),
    options,
  };
}

describe('a refresh the server refuses', () => {
  it('is REFRESH_TOKEN_REJECTED, with the server’s answer as its reason and the status and error code as fields', async () => {
    const refused = refresh(
      answering(400, { error: 'invalid_grant', error_description: 'grant expired' }),
      'rt-0123456789',
    );
    await expect(refused).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_REJECTED',
      message: 'The refresh failed: the server answered invalid_grant (grant expired) (HTTP 400).',
      reason: 'the server answered invalid_grant (grant expired) (HTTP 400)',
      endpoint: 'token endpoint',
      status: 400,
      oauthError: 'invalid_grant',
      details: { status: 400, error: 'invalid_grant', error_description: 'grant expired' },
    });
  });

  it('an OAuth error under another status is an OAUTH_ERROR that still carries its error code', async () => {
    const refused = refresh(answering(403, { error: 'invalid_grant' }), 'rt-0123456789');
    await expect(refused).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      message: 'The refresh failed: the server answered invalid_grant (HTTP 403).',
      reason: 'the server answered invalid_grant (HTTP 403)',
      status: 403,
      oauthError: 'invalid_grant',
    });
  });

  it('invalid_client for a public client says the client may no longer exist, not to check a secret it has none of', async () => {
    const body = { error: 'invalid_client', error_description: 'client authentication failed' };
    const publicClient = { client_id: 'cli', token_endpoint_auth_method: 'none' };
    const gone = await refresh(answering(401, body, publicClient), 'rt-0123456789').catch((error: unknown) => error);
    expect(gone).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_client' });
    expect((gone as { hint: string }).hint).toMatch(/may no longer exist/);
    expect((gone as { hint: string }).hint).not.toContain('OAUTH_CLIENT_SECRET');
    const confidential = { client_id: 'cli', token_endpoint_auth_method: 'client_secret_basic' };
    const wrong = await refresh(answering(401, body, confidential), 'rt-0123456789').catch((error: unknown) => error);
    expect((wrong as { hint: string }).hint).toContain('OAUTH_CLIENT_SECRET');
  });
});
