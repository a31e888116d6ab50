// `oauth decode` without --verify, and the conventions every command shares (streams, JSON, color, exit codes).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import packageJson from '../../package.json' with { type: 'json' };
import { b64, forge, makeKey, now, sign, type TestKey } from '../helpers/tokens.js';

let key: TestKey;
let token: string;

beforeAll(async () => {
  key = await makeKey('RS256', 'k1');
  token = await sign(key);
});

describe('decoding one token', () => {
  it('prints header, claims with ISO and relative times, lifetime, on stdout only', async () => {
    const result = await runCli(['decode', token]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/alg\s+"RS256"/);
    expect(result.stdout).toMatch(/sub\s+"alice"/);
    expect(result.stdout).toMatch(/exp\s+\d+\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 1[45]m\)/);
    expect(result.stdout).toMatch(/Lifetime\s+15m/);
    expect(result.stdout).toContain('not verified');
  });

  it('reads the token from stdin with "-" and when piped without an argument', async () => {
    expect((await runCli(['decode', '-'], { stdin: `${token}\n` })).stdout).toContain('"alice"');
    expect((await runCli(['decode'], { stdin: token })).stdout).toContain('"alice"');
  });

  it('asks for a token when none is given on a terminal', async () => {
    const result = await runCli(['decode'], { tty: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No token given');
  });

  it('gives stable JSON with --json', async () => {
    const result = await runCli(['decode', token, '--json']);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual([
      'kind',
      'header',
      'payload',
      'signature',
      'times',
      'notes',
      'lifetimeSeconds',
    ]);
    expect(report.kind).toBe('jws');
    expect(report.header).toEqual({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' });
    expect(report.times.exp.iso).toMatch(/Z$/);
    expect(report.lifetimeSeconds).toBe(900);
  });

  it('notes what is unusual', async () => {
    const unusual = forge(
      { alg: 'none', jku: 'https://attacker.test/jwks' },
      { sub: 'x', iat: now() - 10, exp: now() + 90 * 86400 },
    );
    const { stdout, code } = await runCli(['decode', unusual, '--json']);
    expect(code).toBe(0);
    const notes = JSON.parse(stdout)
      .notes.map((note: { text: string }) => note.text)
      .join('\n');
    expect(notes).toContain('alg is "none"');
    expect(notes).toContain('"jku"');
    expect(notes).toContain('Long lifetime (90d)');
    expect(notes).toContain('No "aud"');
    const neverExpires = await runCli(['decode', forge({ alg: 'HS256', typ: 'JWT' }, { sub: 'x' }, 'sig'), '--json']);
    expect(neverExpires.stdout).toContain('never expires');
  });

  it('recognises and explains an encrypted JWT (JWE) instead of failing', async () => {
    const jwe = `${b64({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'enc-1' })}.${b64('key')}.${b64('iv')}.${b64('ciphertext')}.${b64('tag')}`;
    const result = await runCli(['decode', jwe]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('encrypted JWT (JWE');
    expect(result.stdout).toContain('RSA-OAEP-256');
    const verify = await runCli(['decode', jwe, '--verify', '--key', 'unused.pem']);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('TOKEN_ENCRYPTED');
  });

  it('prints hostile claim values escaped, never raw terminal escapes', async () => {
    const hostile = forge({ alg: 'RS256' }, { sub: '\u001b[31mred\u001b[0m', '\u001b]0;title\u0007': 1 }, 'sig');
    const { stdout } = await runCli(['decode', hostile]);
    expect(stdout).not.toContain('\u001b');
    expect(stdout).toContain('\\u001b[31mred');
  });
});

describe('malformed input exits 2 with the reason', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['one segment', 'abcdef', /has 1 segment;/],
    ['two segments', 'abc.def', /has 2 segments/],
    ['four segments', 'a.b.c.d', /has 4 segments/],
    ['100 000 dots', '.'.repeat(100_000), /more than 5 segments/],
    [
      'non-base64url characters',
      'eyJhbGciOiJSUzI1NiJ9.ey$$.sig',
      /payload segment has a character that is not base64url at position 3/,
    ],
    ['header not JSON', `${b64('not json')}.${b64({})}.sig`, /header is not valid JSON/],
    ['header not an object', `${b64([1, 2])}.${b64({})}.sig`, /header is JSON but not an object/],
    ['payload not an object', `${b64({ alg: 'RS256' })}.${b64('"text"')}.sig`, /payload is JSON but not an object/],
    [
      'invalid UTF-8',
      `${b64({ alg: 'RS256' })}.${Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')}.sig`,
      /not valid UTF-8/,
    ],
    [
      'nesting 100 000 deep',
      `${b64({ alg: 'RS256' })}.${Buffer.from(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`).toString('base64url')}.sig`,
      /nests deeper than 64/,
    ],
  ];
  for (const [name, input, reason] of cases) {
    it(name, async () => {
      const result = await runCli(['decode', '-'], { stdin: input });
      expect(result.stderr).toMatch(reason);
      expect(result.stderr).toContain('error[');
      expect(result.code).toBe(2);
    });
  }

  it('an empty argument, or nothing on stdin', async () => {
    expect(await runCli(['decode', '   '])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('The token is empty'),
    });
    expect(await runCli(['decode', '-'], { stdin: '\n\n' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('No token on stdin'),
    });
  });

  it('handles a 3 MB payload via stdin', async () => {
    const big = await sign(key, { claims: { blob: 'x'.repeat(3 * 1024 * 1024) } });
    const result = await runCli(['decode', '-', '--json'], { stdin: big });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).payload.blob).toHaveLength(3 * 1024 * 1024);
  });

  it('refuses a line over 16 MiB', async () => {
    const result = await runCli(['decode', '-'], { stdin: 'a'.repeat(17 * 1024 * 1024) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('INPUT_TOO_LARGE');
  });
});

describe('conventions', () => {
  it('unknown options and commands are usage errors (exit 2) with a hint', async () => {
    const option = await runCli(['decode', token, '--no-such-flag']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--no-such-flag'");
    expect(option.stderr).toContain('oauth decode --help');
    const command = await runCli(['decodee']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("error[USAGE]: unknown command 'decodee' (Did you mean decode?)");
    expect(command.stderr).toContain('Run "oauth --help" for usage.');
  });

  it("help for one command is that command's help, whichever way it is asked", async () => {
    for (const args of [
      ['decode', '--help'],
      ['help', 'decode'],
    ]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: oauth decode \[options\] \[token\]/);
      expect(result.stdout).toContain('--verify');
    }
  });

  it('help for a command that does not exist is the usage error an unknown command is (exit 2, with a suggestion)', async () => {
    for (const args of [
      ['help', 'nosuch'],
      ['--profile', 'dev', 'help', 'decod'],
    ]) {
      const result = await runCli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(`error[USAGE]: unknown command '${args.at(-1)}'`);
      expect(result.stdout).toBe('');
    }
    expect((await runCli(['help', 'decod'])).stderr).toContain('decode');
    expect((await runCli(['help'])).code).toBe(0);
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('decode');
    const version = await runCli(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('the installed command answers --version and -V on its own, through a pipe', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await spawnCli([flag]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toBe(`${packageJson.version}\n`);
    }
  });

  it('errors are JSON on stderr with --json', async () => {
    const result = await runCli(['decode', 'abc', '--json']);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 'TOKEN_MALFORMED', exitCode: 2 } });
    const usage = await runCli(['decode', '--bogus', '--json']);
    expect(JSON.parse(usage.stderr)).toMatchObject({ error: { code: 'USAGE', exitCode: 2 } });
  });

  it('colors only on a TTY, and never with NO_COLOR or --no-color', async () => {
    const ESC = '\u001b[';
    expect((await runCli(['decode', token])).stdout).not.toContain(ESC);
    expect((await runCli(['decode', token], { tty: true })).stdout).toContain(ESC);
    expect((await runCli(['decode', token], { tty: true, env: sandboxEnv({ NO_COLOR: '1' }) })).stdout).not.toContain(
      ESC,
    );
    expect((await runCli(['decode', token, '--no-color'], { tty: true })).stdout).not.toContain(ESC);
    expect((await runCli(['decode', token], { env: sandboxEnv({ FORCE_COLOR: '1' }) })).stdout).toContain(ESC);
  });

  it('reports a corrupt config file by name, exit 2', async () => {
    const env = sandboxEnv();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(`${env.XDG_CONFIG_HOME}/oauth`, { recursive: true });
    writeFileSync(`${env.XDG_CONFIG_HOME}/oauth/config.json`, '{"profiles": {');
    const result = await runCli(['decode', token, '--verify'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${env.XDG_CONFIG_HOME}/oauth/config.json`);
  });

  it('takes settings from a profile, overridden by the environment, overridden by flags', async () => {
    const env = sandboxEnv();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(`${env.XDG_CONFIG_HOME}/oauth`, { recursive: true });
    writeFileSync(
      `${env.XDG_CONFIG_HOME}/oauth/config.json`,
      JSON.stringify({ profiles: { default: { audience: 'from-profile' } } }),
    );
    const jwksFile = `${env.HOME}/jwks.json`;
    writeFileSync(jwksFile, JSON.stringify({ keys: [key.publicJwk] }));
    const args = ['decode', token, '--verify', '--jwks', jwksFile];
    expect((await runCli(args, { env })).stderr).toContain('"from-profile"');
    expect((await runCli(args, { env: { ...env, OAUTH_AUDIENCE: 'from-env' } })).stderr).toContain('"from-env"');
    expect((await runCli([...args, '--audience', 'api'], { env: { ...env, OAUTH_AUDIENCE: 'from-env' } })).code).toBe(
      0,
    );
  });

  it('the real process never prints a stack trace, unless --debug', async () => {
    const plain = await spawnCli(['decode', 'abc']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).not.toMatch(STACK_TRACE);
    const debug = await spawnCli(['decode', 'abc', '--debug']);
    expect(debug.stderr).toMatch(STACK_TRACE);
  });
});

describe('output through a real pipe', () => {
  const BIN = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
  const manyTokens = () => Array.from({ length: 3000 }, () => token).join('\n');
  const start = () =>
    spawn(process.execPath, [BIN, 'decode', '-', '--json'], {
      env: { PATH: process.env.PATH, ...sandboxEnv() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  const exited = (child: ReturnType<typeof start>) =>
    new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  it('a slow reader gets every line, whole and in order', async () => {
    const child = start();
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end(manyTokens());
    // Read nothing for a while: the pipe fills (3000 lines are far more than its 64 KiB) and the CLI must wait.
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    expect(await exited(child)).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3000);
    expect(lines.every((line) => JSON.parse(line).payload.sub === 'alice')).toBe(true);
    expect(stderr).toBe('');
  });

  it('a reader that goes away (| head -1) ends the run quietly', async () => {
    const child = start();
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // The CLI stops before it has read all its input; that is not this test's error.
    child.stdin.on('error', () => undefined).end(manyTokens());
    child.stdout.once('data', () => child.stdout.destroy());
    expect(await exited(child)).toBe(0);
    expect(stderr).toBe('');
  });
});

afterAll(() => undefined);
