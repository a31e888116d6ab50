// DPoP end to end against a strict DPoP server and API on 127.0.0.1 (test/helpers/dpop-server.ts), and against the
// ways such a server misbehaves: a nonce demanded twice, a bound token sent as Bearer, nonces no header should carry.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { DPOP_CLIENT, type DpopServer, type DpopServerMode, startDpopServer } from '../helpers/dpop-server.js';

let server: DpopServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function world(mode: DpopServerMode) {
  server = await startDpopServer(mode);
  const env = sandboxEnv({ OAUTH_STORE: 'file', OAUTH_CLIENT_SECRET: DPOP_CLIENT.secret });
  const base = ['--issuer', server.origin, '--client-id', DPOP_CLIENT.id];
  return { server, env, base };
}

const storeFile = (env: Record<string, string | undefined>) => join(env.XDG_STATE_HOME!, 'oauth', 'tokens.json');
interface StoredEntry {
  access_token?: string;
  grant_type?: string;
  dpop_jwk: { d: string };
  [member: string]: unknown;
}
interface Claims {
  cnf?: { jkt?: string };
  [claim: string]: unknown;
}
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Claims;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

describe('a DPoP service token', () => {
  it('is bound to the run’s key after one nonce retry, cached with its key, and its header pair is accepted by the API', async () => {
    const { server, env, base } = await world('good');
    const first = await runCli(['token', '--client-credentials', '--dpop', ...base, '--output', 'json'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const answer = JSON.parse(first.stdout) as { access_token: string; token_type: string };
    expect(answer.token_type).toBe('DPoP');
    expect(server.tokenRequests).toBe(2);
    expect(claims(answer.access_token).cnf?.jkt).toBe(server.proofKeys[1]);

    // The private key is kept with the cached token, in the secret store, and nowhere in what was printed.
    const stored = JSON.parse(readFileSync(storeFile(env), 'utf8')) as { entries: Record<string, string> };
    const cached = Object.values(stored.entries)
      .filter((entry) => entry.startsWith('{'))
      .map((entry) => JSON.parse(entry) as StoredEntry)
      .find((entry) => entry.access_token === answer.access_token);
    expect(cached?.dpop_jwk?.d).toEqual(expect.any(String));
    expect(first.stdout).not.toContain(cached!.dpop_jwk.d);

    // A usage error without --htu: the proof is for one request.
    const noHtu = await runCli(['token', '--client-credentials', '--dpop', ...base, '-o', 'header'], { env });
    expect(noHtu.code).toBe(2);
    expect(noHtu.stderr).toContain('--htu');

    const api = `${server.origin}/api/orders`;
    const header = await runCli(
      ['token', '--client-credentials', '--dpop', ...base, '-o', 'header', '--htu', `${api}?page=2#x`, '--htm', 'get'],
      { env },
    );
    expect(header.code).toBe(0);
    expect(server.tokenRequests).toBe(2); // from the cache, with the key it was bound to
    const lines = header.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Authorization: DPoP ${answer.access_token}`);
    expect(lines[1]).toMatch(/^DPoP: ey/);
    const proof = claims(lines[1]!.slice('DPoP: '.length));
    expect(proof).toMatchObject({ htu: api, htm: 'GET' });
    expect(proof.ath).toEqual(expect.any(String));
    expect(header.stdout).not.toContain(cached!.dpop_jwk.d);

    // The pair is what an API that checks proofs accepts; the same token without a proof, or with this proof at
    // another URL, is refused.
    const call = (url: string, headers: Record<string, string>) => fetch(url, { headers }).then((r) => r.status);
    const plain = `${server.origin}/api/plain`;
    const pair = await runCli(
      ['token', '--client-credentials', '--dpop', ...base, '-o', 'header', '--htu', plain, '--htm', 'GET'],
      { env },
    );
    const [authorization, dpop] = pair.stdout
      .trim()
      .split('\n')
      .map((line) => line.slice(line.indexOf(': ') + 2));
    expect(await call(plain, { authorization: authorization!, dpop: dpop! })).toBe(200);
    expect(await call(plain, { authorization: authorization! })).toBe(401);
    expect(await call(plain, { authorization: authorization!, dpop: lines[1]!.slice(6) })).toBe(401);

    // oauth curl with this token as the profile's session: proof with ath, the API's nonce answered once, then 200.
    const session = { ...cached };
    delete session.grant_type;
    stored.entries['profile:default'] = JSON.stringify(session);
    writeFileSync(storeFile(env), JSON.stringify(stored));
    const curl = await runCli(['curl', api], { env });
    expect(curl.stderr).toBe('');
    expect(curl.code).toBe(0);
    expect(JSON.parse(curl.stdout)).toEqual({ orders: [], nonceAskedFirst: true });
    expect(server.apiRequests.at(-1)).toMatchObject({ status: 200, nonce: 'api-nonce-1' });

    // A refresh proves the same key: the new token is bound to it as the old one was.
    const before = server.tokenRequests;
    const refreshed = await runCli(['token', '--refresh', '-o', 'json'], { env });
    expect(refreshed.stderr).toBe('');
    expect(refreshed.code).toBe(0);
    const renewed = JSON.parse(refreshed.stdout) as { access_token: string; token_type: string };
    expect(renewed.token_type).toBe('DPoP');
    expect(renewed.access_token).not.toBe(answer.access_token);
    expect(claims(renewed.access_token).cnf?.jkt).toBe(server.proofKeys[1]);
    expect(server.grants.slice(before)).toContain('refresh_token');
    const status = await runCli(['status'], { env });
    expect(status.stdout + status.stderr).toContain('DPoP');

    // decode: the profile's own token is bound to the profile's key; another key is a mismatch (exit 3).
    const decoded = await runCli(['decode', renewed.access_token], { env });
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).toContain(`cnf.jkt ${server.proofKeys[1]}`);
    expect(decoded.stdout).toMatch(/bound to the DPoP key of profile "default" .*: ok/);
    const keyFile = join(env.HOME!, 'dpop.jwk');
    writeFileSync(keyFile, JSON.stringify(cached!.dpop_jwk));
    const withKey = await runCli(['decode', answer.access_token, '--dpop-key', keyFile, '--json'], { env });
    expect(withKey.code).toBe(0);
    expect(JSON.parse(withKey.stdout).dpop).toMatchObject({ jkt: server.proofKeys[1], bound: true });
    expect(withKey.stdout).not.toContain(cached!.dpop_jwk.d);
    const other = await runCli(['token', '--client-credentials', '--dpop', ...base, '--no-cache', '-o', 'raw'], {
      env,
    });
    const mismatch = await runCli(['decode', other.stdout.trim(), '--dpop-key', keyFile], { env });
    expect(mismatch.code).toBe(3);
    expect(mismatch.stderr).toContain(server.proofKeys[1]);
  });
});

describe('a misbehaving DPoP server', () => {
  it('asks for a nonce twice in a row: one retry, then exit 5 saying so', async () => {
    const { server, env, base } = await world('nonce-twice');
    const result = await runCli(['token', '--client-credentials', '--dpop', ...base], { env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('asked for a DPoP nonce twice');
    expect(server.tokenRequests).toBe(2);
  });

  it('sends a DPoP-bound token as Bearer: refused (exit 5), nothing stored', async () => {
    const { server, env, base } = await world('bearer-bound');
    const result = await runCli(['token', '--client-credentials', '--dpop', ...base], { env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('cnf.jkt');
    expect(server.tokenRequests).toBe(1);
    let stored = '';
    try {
      stored = readFileSync(storeFile(env), 'utf8');
    } catch {}
    expect(stored).not.toContain('access_token');
  });

  it('ignores DPoP (an opaque Bearer token): said once on stderr, the token kept as Bearer', async () => {
    const { env, base } = await world('bearer-opaque');
    const result = await runCli(['token', '--client-credentials', '--dpop', ...base, '-o', 'json'], { env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).token_type).toBe('Bearer');
    expect(result.stderr.match(/ignored DPoP/g)).toHaveLength(1);
  });

  it('hands out a nonce with control characters: refused as no HTTP (exit 5), no raw control character printed', async () => {
    const { server, env, base } = await world('evil-nonce');
    const result = await runCli(['token', '--client-credentials', '--dpop', ...base, '-v'], { env });
    expect(result.code).toBe(5);
    expect(server.tokenRequests).toBe(1);
    expect(result.stderr).toContain('not valid HTTP');
    expect(result.stdout + result.stderr).not.toMatch(CONTROL);
  });

  it('hands out nonces of 7000 characters: never sent back, one retry, then exit 5; the trace stays short', async () => {
    const { server, env, base } = await world('huge-nonce');
    const result = await runCli(['token', '--client-credentials', '--dpop', ...base, '-v'], { env });
    expect(result.code).toBe(5);
    expect(server.tokenRequests).toBe(2);
    expect(result.stderr).toContain('asked for a DPoP nonce twice');
    expect(result.stderr).not.toContain('z'.repeat(2000));
  });
});
