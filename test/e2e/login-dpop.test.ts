// `oauth login --dpop` end to end against the reference oidc-provider with DPoP on (ES256, Ed25519/EdDSA), nonces
// required or not: the sign-in binds the code (dpop_jkt) and the tokens to the session's key, userinfo needs a fresh
// proof, a refresh keeps the binding, the example API takes curl's proofs, and the header pair of `token -o header`
// is accepted. A server with DPoP off ignores the proofs: said once, the token kept as Bearer.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { login, startLogin, userHome } from '../helpers/sign-in.js';
import { simulateUser } from '../../src/serve/simulated-user.js';

/** DPoP with nonces required, at the token endpoint and the example API. */
let as: TestAuthorizationServer;
/** DPoP without nonces; its userinfo endpoint takes its own opaque tokens (the other's JWTs are for the API). */
let opaque: TestAuthorizationServer;
/** DPoP off. */
let plain: TestAuthorizationServer;
beforeAll(async () => {
  [as, opaque, plain] = await Promise.all([
    startAuthorizationServer({ features: { dpop: { nonce: true } } }),
    startAuthorizationServer({ opaqueTokens: true, features: { dpop: {} } }),
    startAuthorizationServer(),
  ]);
});
afterAll(() => Promise.all([as.close(), opaque.close(), plain.close()]));

interface Claims {
  cnf?: { jkt?: string };
  [claim: string]: unknown;
}
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Claims;

describe('oauth login --dpop', () => {
  it('binds the code and the tokens to the session key, and a refresh keeps the binding', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'oauth-browser-')), 'urls');
    const { env, storedSession, configFile } = userHome({ SIMULATED_BROWSER_LOG: log });
    const result = await login(as, env, '--dpop', '-v');
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.code, result.stderr).toBe(0);
    const session = storedSession();
    expect(session.token_type).toBe('DPoP');
    expect(session.dpop_jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    const { d, crv, x, y } = session.dpop_jwk!;
    const jkt = await calculateJwkThumbprint({ kty: 'EC', crv: crv!, x: x!, y: y! });
    expect(readFileSync(log, 'utf8')).toContain(`dpop_jkt=${jkt}`);
    expect(claims(session.access_token).cnf).toEqual({ jkt });
    // The key is never printed, nor saved in the config file; the trace shows proofs summarised.
    expect(result.stderr + result.stdout).not.toContain(d);
    expect(result.stderr).toMatch(/> dpop: eyJ\w*…\w* \(\d+ chars\)/);
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    expect(config.profiles.default).toMatchObject({ dpop: true });
    expect(JSON.stringify(config)).not.toContain(d);

    const json = await spawnCli(['token', '-o', 'json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ token_type: 'DPoP', access_token: session.access_token });

    const noHtu = await spawnCli(['token', '-o', 'header'], { env });
    expect(noHtu.code).toBe(2);
    expect(noHtu.stderr).toContain('--htu');

    const refreshed = await spawnCli(['token', '--refresh', '-o', 'json'], { env });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const renewed = JSON.parse(refreshed.stdout) as { access_token: string; token_type: string };
    expect(renewed.token_type).toBe('DPoP');
    expect(renewed.access_token).not.toBe(session.access_token);
    expect(claims(renewed.access_token).cnf).toEqual({ jkt });
    expect(storedSession().dpop_jwk).toEqual(session.dpop_jwk);

    // The example API on the same origin wants a nonce too: curl proves the key with ath, and answers it once.
    const curl = await spawnCli(['curl', `${as.issuer}/api/orders`], { env });
    expect(curl.code, curl.stderr).toBe(0);
    const rawCall = await fetch(`${as.issuer}/api/orders`, {
      headers: { authorization: `DPoP ${renewed.access_token}` },
    });
    expect(rawCall.status).toBe(401);

    const status = await spawnCli(['status'], { env });
    expect(status.stdout).toContain('DPoP-bound');
    const decoded = await spawnCli(['decode', renewed.access_token], { env });
    expect(decoded.code, decoded.stderr).toBe(0);
    expect(decoded.stdout).toContain(`cnf.jkt ${jkt}`);
    expect(decoded.stdout).toMatch(/bound to the DPoP key of profile "default" .*: ok/);
  });

  it('userinfo takes the token only with a fresh proof; the header pair of token -o header is such a proof', async () => {
    const { env, storedSession } = userHome();
    const result = await login(opaque, env, '--dpop');
    expect(result.code, result.stderr).toBe(0);
    const session = storedSession();
    expect(session.token_type).toBe('DPoP');
    const userinfo = await spawnCli(['userinfo', '--json'], { env });
    expect(userinfo.code, userinfo.stderr).toBe(0);
    expect(JSON.parse(userinfo.stdout).sub).toBe('alice');
    const userinfoUrl = `${opaque.issuer}/me`;
    const refused = await fetch(userinfoUrl, { headers: { authorization: `DPoP ${session.access_token}` } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const asBearer = await fetch(userinfoUrl, { headers: { authorization: `Bearer ${session.access_token}` } });
    expect(asBearer.status).toBeGreaterThanOrEqual(400);

    const header = await spawnCli(['token', '-o', 'header', '--htu', userinfoUrl, '--htm', 'GET'], { env });
    expect(header.code, header.stderr).toBe(0);
    const [authorization, dpop] = header.stdout
      .trim()
      .split('\n')
      .map((line) => line.slice(line.indexOf(': ') + 2));
    expect(authorization).toBe(`DPoP ${session.access_token}`);
    const accepted = await fetch(userinfoUrl, { headers: { authorization: authorization!, dpop: dpop! } });
    expect(accepted.status).toBe(200);
    // A proof is for one request: the same one again is a replay.
    const replayed = await fetch(userinfoUrl, { headers: { authorization: authorization!, dpop: dpop! } });
    expect(replayed.status).toBeGreaterThanOrEqual(400);
  });

  it('the device flow polls with proofs and answers the nonce demand once', async () => {
    const { env, storedSession } = userHome();
    const run = startLogin(as, env, '--device', '--dpop');
    const complete = await run.stderrMatch(/\(or open (\S+)\)/);
    const signedIn = simulateUser(complete[1]!, { login: 'dave' });
    const result = await run.finished;
    await signedIn;
    expect(result.code, result.stderr).toBe(0);
    const session = storedSession();
    expect(session.token_type).toBe('DPoP');
    const { crv, x, y } = session.dpop_jwk!;
    expect(claims(session.access_token).cnf).toEqual({
      jkt: await calculateJwkThumbprint({ kty: 'EC', crv: crv!, x: x!, y: y! }),
    });
  });

  it('token --dpop --refresh binds a session that had no key: the new tokens and every later refresh use a new key', async () => {
    const { env, storedSession } = userHome();
    const signedIn = await login(as, env);
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(storedSession().dpop_jwk).toBeUndefined();
    const notYet = await spawnCli(['token', '--dpop', '-o', 'json'], { env });
    expect(notYet.code).toBe(0);
    expect(notYet.stderr).toContain('add --refresh');
    const bound = await spawnCli(['token', '--dpop', '--refresh', '-o', 'json'], { env });
    expect(bound.code, bound.stderr).toBe(0);
    expect(JSON.parse(bound.stdout).token_type).toBe('DPoP');
    const session = storedSession();
    const { crv, x, y } = session.dpop_jwk!;
    const jkt = await calculateJwkThumbprint({ kty: 'EC', crv: crv!, x: x!, y: y! });
    expect(claims(session.access_token).cnf).toEqual({ jkt });
    const later = await spawnCli(['token', '--refresh', '-o', 'json'], { env });
    expect(later.code, later.stderr).toBe(0);
    expect(claims(JSON.parse(later.stdout).access_token).cnf).toEqual({ jkt });
  });

  it('with a pushed authorization request (required, nonces required): the push carries a proof and answers the nonce once', async () => {
    const strict = await startAuthorizationServer({ features: { dpop: { nonce: true }, par: { required: true } } });
    try {
      const { env, storedSession } = userHome();
      const result = await login(strict, env, '--dpop', '-v');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/> POST \S+\/request\n(?:> .*\n)*> dpop: eyJ/);
      expect(storedSession().token_type).toBe('DPoP');
    } finally {
      await strict.close();
    }
  });

  it('at a server with DPoP off: the proofs are ignored, said once, and the token kept as Bearer with the key', async () => {
    const { env, storedSession } = userHome();
    const result = await login(plain, env, '--dpop');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/ignored DPoP/g)).toHaveLength(1);
    const session = storedSession();
    expect(session.token_type).toBe('Bearer');
    expect(session.dpop_jwk?.alg).toBe('ES256');
    // The profile now says dpop: a sign-in without the flag makes a new key all the same.
    const again = await login(plain, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('ignored DPoP');
    expect(storedSession().dpop_jwk?.x).not.toBe(session.dpop_jwk?.x);
  });

  it('an alg the server does not take is said before the sign-in (exit 2), naming the ones it does', async () => {
    const { env } = userHome();
    const result = await login(as, env, '--dpop', '--dpop-alg', 'ES384');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not take ES384 for DPoP');
    expect(result.stderr).toContain('--dpop-alg ES256');
    expect(result.stderr).not.toContain('Open this URL');
  });
});
