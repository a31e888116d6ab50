// Every command that talks to an authorization server, against one that echoes every secret it received into every
// field it controls and puts terminal control sequences in every string: nothing a client sent as a secret, and no
// control character, may appear in anything printed — human, --json or -vv — and no failure may exit 1.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, STACK_TRACE, type CliResult } from '../helpers/cli.js';
import { startEchoServer, type EchoServer, type Failure } from '../helpers/echo-as.js';
import { raw } from '../helpers/server.js';
import { SIMULATED_BROWSER } from '../helpers/sign-in.js';

const CLIENT_SECRET = 'client-secret with spaces+plus/slash=&amp;';
const MODES: Array<{ name: string; args: string[] }> = [
  { name: 'human', args: [] },
  { name: '--json', args: ['--json'] },
  { name: '-vv', args: ['-vv'] },
];
/** Control characters that must never reach a terminal (newline and tab are ours). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let echo: EchoServer;
let env: Record<string, string | undefined>;
let keyFile: string;

beforeAll(async () => {
  echo = await startEchoServer();
  env = sandboxEnv({ BROWSER: SIMULATED_BROWSER, OAUTH_STORE: 'file', PATH: process.env.PATH });
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  keyFile = join(env.HOME!, 'client-key.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await jose.exportJWK(privateKey)), kid: 'client-key-1' }));
});
afterAll(() => echo.close());

/** Runs the CLI and holds its output to the promise: no secret the server received, no control character, no exit 1. */
async function run(args: string[], options: { rawStdout?: boolean; secret?: boolean } = {}): Promise<CliResult> {
  const result = await runCli(args, {
    env: { ...env, ...(options.secret ? { OAUTH_CLIENT_SECRET: CLIENT_SECRET } : {}) },
  });
  const printed = options.rawStdout ? result.stderr : result.stdout + result.stderr;
  const what = `oauth ${args.join(' ')}\n${result.stdout}\n${result.stderr}`;
  for (const secret of echo.received) {
    if (secret.length < 6) continue;
    // The spellings the server echoes it in, besides base64 (see echo-as.ts).
    const lowerHex = encodeURIComponent(secret)
      .replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16)}`)
      .replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
    const cut = secret.length >= 18 ? [secret.slice(0, Math.ceil((secret.length * 2) / 3))] : [];
    for (const spelling of [secret, lowerHex, secret.replace(/\//g, '\\/'), ...cut]) {
      expect(printed, `${what}\nleaked ${JSON.stringify(spelling)}`).not.toContain(spelling);
    }
  }
  expect(result.stdout + result.stderr, what).not.toMatch(CONTROL);
  expect(result.stdout + result.stderr, what).not.toMatch(/^hint: forged-line/m);
  expect(result.stderr, what).not.toMatch(STACK_TRACE);
  expect(result.code, what).not.toBe(1);
  return result;
}

const login = (mode: string[] = []) =>
  run([
    ...mode,
    'login',
    '--issuer',
    echo.issuer,
    '--client-id',
    'echo-cli',
    '--scope',
    'openid offline_access',
    '--login-timeout',
    '20',
  ]);

const clientCredentials = (method: 'basic' | 'post' | 'key', mode: string[], output: string[] = ['-o', 'json']) =>
  run(
    [
      ...mode,
      'token',
      '--client-credentials',
      '--no-cache',
      '--issuer',
      echo.issuer,
      '--client-id',
      'echo-service',
      ...output,
      ...(method === 'key'
        ? ['--private-key', keyFile]
        : ['--auth-method', method === 'basic' ? 'client_secret_basic' : 'client_secret_post']),
    ],
    { secret: method !== 'key', rawStdout: true },
  );

describe('against a server that echoes secrets and injects escape sequences', () => {
  it('signs in and shows the session, the metadata, userinfo, introspection and an audit, all printable and redacted', async () => {
    echo.failure = null;
    for (const mode of MODES) {
      expect((await login(mode.args)).code).toBe(0);
      expect((await run([...mode.args, 'status'])).code).toBe(0);
      expect((await run([...mode.args, 'discover', '--issuer', echo.issuer])).code).toBe(0);
      expect((await run([...mode.args, 'token', '--refresh', '-o', 'human'])).code).toBe(0);
      expect((await run([...mode.args, 'userinfo'])).code).toBe(0);
      expect((await run([...mode.args, 'introspect'])).code).toBe(0);
      await run([...mode.args, 'check', '--issuer', echo.issuer]);
    }
    expect(echo.received.size).toBeGreaterThan(5);
  });

  it('shows the device flow’s user code and verification URI printable (one real 5 s poll)', async () => {
    echo.failure = null;
    const result = await run([
      'login',
      '--device',
      '--issuer',
      echo.issuer,
      '--client-id',
      'echo-cli',
      '--scope',
      'openid',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`open ${echo.issuer}/activate and enter the code AB\\u001b[2K`);
  });

  it('gets service tokens with Basic, post and private_key_jwt client authentication', async () => {
    echo.failure = null;
    for (const mode of MODES) {
      for (const method of ['basic', 'post', 'key'] as const)
        expect((await clientCredentials(method, mode.args)).code).toBe(0);
    }
  });

  for (const failure of ['json-400', 'empty-403', 'text-401', 'html-500'] as Failure[]) {
    it(`fails cleanly when every endpoint answers ${failure}, echoing what it received`, async () => {
      for (const mode of MODES) {
        echo.failure = null;
        expect((await login()).code).toBe(0);
        echo.failure = failure;
        const results = [
          await run([...mode.args, 'token', '--refresh', '-o', 'json'], { rawStdout: true }),
          await clientCredentials('basic', mode.args),
          await clientCredentials('post', mode.args),
          await clientCredentials('key', mode.args),
          await run([...mode.args, 'userinfo']),
          await run([...mode.args, 'introspect']),
          await run([...mode.args, 'revoke']),
          await run([...mode.args, 'logout']),
          await login(mode.args),
        ];
        for (const result of results.slice(0, -1)) {
          if (result.code === 0) continue;
          expect([2, 3, 4, 5]).toContain(result.code);
        }
        // A failure keeps its status in the message, whatever the body was.
        if (failure === 'empty-403') expect(results[1]!.stderr).toContain('HTTP 403 with an empty body');
        expect(results.at(-1)!.code).not.toBe(0);
      }
    });
  }

  // Last: it replaces the userinfo endpoint. A resource endpoint's status is its answer, whatever the body says.
  it('reports a refused userinfo request by its status: 401 and 403 need a new token (exit 4), others are the server’s (exit 5)', async () => {
    echo.failure = null;
    expect((await login()).code).toBe(0);
    const answers: Array<[number, string, number, RegExp]> = [
      [401, '{"error":"invalid_token","error_description":"expired"}', 4, /TOKEN_REJECTED.*HTTP 401/],
      [401, '', 4, /TOKEN_REJECTED.*HTTP 401 with an empty body/],
      [403, '{"error":"insufficient_scope"}', 4, /TOKEN_REJECTED.*HTTP 403/],
      [400, '{"error":"invalid_request"}', 5, /HTTP_STATUS.*HTTP 400/],
      [404, '{"error":"not_found"}', 5, /HTTP_STATUS.*HTTP 404/],
    ];
    for (const [status, body, code, message] of answers) {
      echo.hostile.server.route('/userinfo', raw(status, body, { 'content-type': 'application/json' }));
      const result = await run(['userinfo']);
      expect(result.code, result.stderr).toBe(code);
      expect(result.stderr).toMatch(message);
    }
  });
});
