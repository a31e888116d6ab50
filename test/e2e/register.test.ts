// `oauth register` and `oauth login --register` end to end against a real oidc-provider with dynamic client
// registration (RFC 7591) and client management (RFC 7592): register, read back, delete, and sign in with a client the
// run registered itself — the way MCP clients start.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateUser } from '../../src/serve/simulated-user.js';
import { spawnCli, STACK_TRACE, startCli } from '../helpers/cli.js';
import { findLeaks, recordSecret } from '../helpers/leak-scan.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { USER_SCOPE, userHome } from '../helpers/sign-in.js';

const INITIAL_ACCESS_TOKEN = 'initial-access-token-7d3f9a1c5e8b2046';

let as: TestAuthorizationServer;
let gated: TestAuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer({ registration: {} });
  gated = await startAuthorizationServer({ registration: { initialAccessToken: INITIAL_ACCESS_TOKEN } });
});
afterAll(async () => {
  await as.close();
  await gated.close();
});

const config = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('oauth register', () => {
  it('registers a public native client, prints its id on stdout and saves it as the profile', async () => {
    const home = userHome();
    const result = await spawnCli(['register', '--issuer', as.issuer], { env: home.env });
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code, result.stderr).toBe(0);
    const clientId = result.stdout.trim();
    expect(clientId).toMatch(/^[\w-]{10,}$/);
    expect(result.stderr).toContain(`Registered client ${clientId}`);
    expect(config(home.configFile).profiles.default).toEqual({ issuer: as.issuer, client_id: clientId });
    const stored = JSON.parse(home.storedEntries()['registration:default']!);
    expect(stored).toMatchObject({ version: 1, issuer: as.issuer, client_id: clientId });
    expect(stored.client_secret).toBeUndefined();
    expect(stored.registration_access_token).toMatch(/.{20,}/);
    expect(stored.registration_client_uri).toBe(`${as.issuer}/reg/${clientId}`);

    // The registered public client signs in with no flags: the profile names it.
    const login = await spawnCli(['login', '--scope', USER_SCOPE], { env: home.env });
    expect(login.code, login.stderr).toBe(0);
    expect(home.storedSession().client_id).toBe(clientId);
  });

  it('registers a confidential client whose secret stays in the token store, and uses it', async () => {
    const home = userHome();
    const result = await spawnCli(
      [
        'register',
        '--issuer',
        as.issuer,
        '--profile',
        'svc',
        '--auth-method',
        'client_secret_basic',
        '--grant-type',
        'client_credentials',
        '--name',
        'service',
        '--json',
      ],
      { env: home.env },
    );
    expect(result.code, result.stderr).toBe(0);
    const response = JSON.parse(result.stdout);
    const stored = JSON.parse(home.storedEntries()['registration:svc']!);
    recordSecret(stored.client_secret);
    expect(stored.client_secret).toMatch(/.{32,}/);
    expect(response.client_id).toBe(stored.client_id);
    expect(response.client_secret).not.toBe(stored.client_secret);
    expect(result.stdout).not.toContain(stored.client_secret);
    expect(result.stdout).not.toContain(stored.registration_access_token);
    expect(readFileSync(home.configFile, 'utf8')).not.toContain(stored.client_secret);
    expect(config(home.configFile).profiles.svc).toMatchObject({ auth_method: 'client_secret_basic' });

    // The secret is found in the store: no OAUTH_CLIENT_SECRET needed.
    const token = await spawnCli(['token', '--client-credentials', '--profile', 'svc'], { env: home.env });
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim().length).toBeGreaterThan(20);
  });

  it('--show reads the client back, --delete deletes it at the server and here', async () => {
    const home = userHome();
    const registered = await spawnCli(['register', '--issuer', as.issuer, '--name', 'to delete'], { env: home.env });
    expect(registered.code, registered.stderr).toBe(0);
    const clientId = registered.stdout.trim();
    const before = JSON.parse(home.storedEntries()['registration:default']!);

    const shown = await spawnCli(['register', '--show', '--json'], { env: home.env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ client_id: clientId, client_name: 'to delete' });
    const after = JSON.parse(home.storedEntries()['registration:default']!);
    expect(after).toMatchObject({ client_id: clientId, registration_client_uri: before.registration_client_uri });
    expect(shown.stdout).not.toContain(after.registration_access_token);

    const human = await spawnCli(['register', '--show'], { env: home.env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/client_name\s+to delete/);

    const deleted = await spawnCli(['register', '--delete'], { env: home.env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`Deleted client ${clientId}`);
    expect(home.storedEntries()['registration:default']).toBeUndefined();
    expect(config(home.configFile).profiles.default.client_id).toBeUndefined();
    const gone = await fetch(`${as.issuer}/reg/${clientId}`, {
      headers: { authorization: `Bearer ${after.registration_access_token}` },
    });
    expect(gone.status).toBe(401);

    const again = await spawnCli(['register', '--show'], { env: home.env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('No registered client is saved for profile default');
    expect(again.stderr).toContain('oauth register --issuer <url>');
  });

  it('--delete and --forget sign out the profile when its session is with that client: revoked, then deleted here', async () => {
    const home = userHome();
    const registered = await spawnCli(['register', '--issuer', as.issuer], { env: home.env });
    expect(registered.code, registered.stderr).toBe(0);
    expect((await spawnCli(['login', '--scope', USER_SCOPE], { env: home.env })).code).toBe(0);
    const refreshToken = home.storedSession().refresh_token!;
    const deleted = await spawnCli(['register', '--delete'], { env: home.env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(
      'Signed out profile default, whose session was with this client: revoked the refresh token',
    );
    expect(home.storedEntries()['profile:default']).toBeUndefined();
    const status = await spawnCli(['status', '--json'], { env: home.env });
    expect(JSON.parse(status.stdout).profiles).toMatchObject([{ profile: 'default', signed_in: false }]);

    // --forget too (the server still knows the client, so the revocation goes through); JSON says it.
    const again = userHome();
    expect((await spawnCli(['register', '--issuer', as.issuer], { env: again.env })).code).toBe(0);
    expect((await spawnCli(['login', '--scope', USER_SCOPE], { env: again.env })).code).toBe(0);
    const forgot = await spawnCli(['register', '--forget', '--json'], { env: again.env });
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(JSON.parse(forgot.stdout)).toMatchObject({
      forgotten: true,
      signed_out: { revoked: expect.arrayContaining(['refresh_token']) },
    });
    expect(again.storedEntries()['profile:default']).toBeUndefined();
    expect(forgot.stdout + forgot.stderr).not.toContain(refreshToken);
  });

  it('names the profile in every next step it prints when the run used another profile', async () => {
    const home = userHome();
    const registered = await spawnCli(['register', '--issuer', as.issuer, '--profile', 'staging'], { env: home.env });
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stderr).toContain('Read it back with "oauth register --show --profile staging"');
    expect(registered.stderr).toContain('delete it with "oauth register --delete --profile staging"');
    const replaced = await spawnCli(['register', '--issuer', as.issuer, '--profile', 'staging'], { env: home.env });
    expect(replaced.code).toBe(2);
    expect(replaced.stderr).toContain('"oauth register --delete --profile staging"');
    expect((await spawnCli(['register', '--forget', '--profile', 'staging'], { env: home.env })).code).toBe(0);
    const none = await spawnCli(['register', '--show', '--profile', 'staging'], { env: home.env });
    expect(none.stderr).toContain('Register one first: oauth register --issuer <url> --profile staging');
  });

  it('-vv shows the registration exchange with its secrets redacted', async () => {
    const home = userHome();
    const result = await spawnCli(['register', '--issuer', as.issuer, '--auth-method', 'client_secret_basic', '-vv'], {
      env: home.env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/> POST .*\/reg/);
    expect(result.stderr).toMatch(/< 201/);
    expect(result.stderr).toContain('"client_secret"');
    const stored = JSON.parse(home.storedEntries()['registration:default']!);
    recordSecret(stored.client_secret);
    for (const secret of [stored.client_secret, stored.registration_access_token])
      expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('--show-secret with --json prints the secrets whole, on request only', async () => {
    const home = userHome();
    const result = await spawnCli(
      ['register', '--issuer', as.issuer, '--auth-method', 'client_secret_post', '--json', '--show-secret'],
      { env: home.env },
    );
    expect(result.code, result.stderr).toBe(0);
    const stored = JSON.parse(home.storedEntries()['registration:default']!);
    expect(JSON.parse(result.stdout).client_secret).toBe(stored.client_secret);
  });

  it('asks for the initial access token a server requires: exit 4 without or with a wrong one, 0 with it', async () => {
    const home = userHome();
    const without = await spawnCli(['register', '--issuer', gated.issuer], { env: home.env });
    expect(without.code, without.stderr).toBe(4);
    expect(without.stderr).toContain('OAUTH_INITIAL_ACCESS_TOKEN');
    const wrong = await spawnCli(['register', '--issuer', gated.issuer], {
      env: { ...home.env, OAUTH_INITIAL_ACCESS_TOKEN: 'not-the-initial-access-token' },
    });
    expect(wrong.code, wrong.stderr).toBe(4);
    const right = await spawnCli(['register', '--issuer', gated.issuer], {
      env: { ...home.env, OAUTH_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN },
    });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stderr).not.toContain(INITIAL_ACCESS_TOKEN);
  });

  it('says what the server refused: a web client with a custom-scheme redirect URI (exit 5)', async () => {
    const result = await spawnCli(
      [
        'register',
        '--issuer',
        as.issuer,
        '--redirect-uri',
        'https://app.example.com/cb',
        '--redirect-uri',
        'myapp:/cb',
      ],
      {
        env: userHome().env,
      },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/invalid_redirect_uri|invalid_client_metadata/);
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it('refuses bad flags before any request (exit 2)', async () => {
    const env = userHome().env;
    const notUrl = await spawnCli(['register', '--issuer', as.issuer, '--redirect-uri', 'not a url'], { env });
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('--redirect-uri');
    const method = await spawnCli(['register', '--issuer', as.issuer, '--auth-method', 'private_key_jwt'], { env });
    expect(method.code).toBe(2);
    const both = await spawnCli(['register', '--show', '--delete'], { env });
    expect(both.code).toBe(2);
    const plainHttp = await spawnCli(
      ['register', '--issuer', as.issuer, '--registration-endpoint', 'http://registration.example.com/reg'],
      { env },
    );
    expect(plainHttp.code).toBe(2);
    expect(plainHttp.stderr).toContain('INSECURE_URL');
  });

  it('does not register over a registered client (its management token would be lost) unless --replace', async () => {
    const home = userHome();
    const first = await spawnCli(['register', '--issuer', as.issuer], { env: home.env });
    expect(first.code, first.stderr).toBe(0);
    const second = await spawnCli(['register', '--issuer', as.issuer], { env: home.env });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`already has a registered client, ${first.stdout.trim()}`);
    expect(second.stderr).toContain('oauth register --delete');
    const replaced = await spawnCli(['register', '--issuer', as.issuer, '--replace'], { env: home.env });
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout.trim()).not.toBe(first.stdout.trim());
    expect(JSON.parse(home.storedEntries()['registration:default']!).client_id).toBe(replaced.stdout.trim());
  });
});

describe('oauth login --register', () => {
  it('registers a loopback public client when none is configured, signs in with it and saves it', async () => {
    const home = userHome();
    const result = await spawnCli(['login', '--issuer', as.issuer, '--register', '--scope', USER_SCOPE], {
      env: home.env,
    });
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code, result.stderr).toBe(0);
    const clientId = /Registered client (\S+) at/.exec(result.stderr)?.[1];
    expect(clientId).toBeDefined();
    expect(home.storedSession().client_id).toBe(clientId);
    expect(config(home.configFile).profiles.default).toMatchObject({ issuer: as.issuer, client_id: clientId });

    // A second sign-in uses the saved client: nothing new is registered.
    const again = await spawnCli(['login', '--register', '--scope', USER_SCOPE], { env: home.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('Registered client');
    expect(home.storedSession().client_id).toBe(clientId);
  });

  it('registers the exact redirect URI when --port fixes one', async () => {
    const home = userHome();
    const result = await spawnCli(['login', '--issuer', as.issuer, '--register', '--port', '0'], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
  });

  it('with --device registers a device-flow client and signs in with it', async () => {
    const home = userHome();
    const run = startCli(['login', '--issuer', as.issuer, '--register', '--device'], { env: home.env });
    const complete = await run.stderrMatch(/\(or open (\S+)\)/);
    const signedIn = simulateUser(complete[1]!, { login: 'erin' });
    const result = await run.finished;
    await signedIn;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Signed in as "erin"');
    const clientId = /Registered client (\S+) at/.exec(result.stderr)?.[1];
    expect(home.storedSession().client_id).toBe(clientId);
  });

  it('without --register and without a client id, asks for one as before (exit 2)', async () => {
    const result = await spawnCli(['login', '--issuer', as.issuer], { env: userHome().env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--client-id');
  });
});

describe('the leak scan', () => {
  it('found no secret printed', () => {
    expect(findLeaks()).toEqual([]);
  });
});
