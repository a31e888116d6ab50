// `oauth discover` end to end: the metadata of a real oidc-provider, as a table and as JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';

let as: TestAuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());

describe('oauth discover', () => {
  it('shows the metadata', async () => {
    const human = await spawnCli(['discover', as.issuer]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/token_endpoint\s+http:\/\/127\.0\.0\.1:\d+\/token/);
    const json = JSON.parse((await spawnCli(['discover', as.issuer, '--json'])).stdout);
    expect(json.issuer).toBe(as.issuer);
    expect(json.code_challenge_methods_supported).toEqual(['S256']);
  });
});
