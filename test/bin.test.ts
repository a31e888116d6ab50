// The built CLI as installed: bin/oauth.js checks the Node version first, then runs dist/cli.js and dist/lazy.js from
// code caches of its own.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';
import { sandboxEnv, spawnCli, STACK_TRACE } from './helpers/cli.js';
import { jwks, makeKey, sign, type TestKey } from './helpers/tokens.js';

let key: TestKey;
let otherKey: TestKey;
let token: string;

beforeAll(async () => {
  key = await makeKey('RS256', 'k1');
  otherKey = await makeKey('RS256', 'k1');
  token = await sign(key, { claims: { iss: 'https://issuer.test', aud: 'api' } });
});

/** What a decode run answered, without its relative times (a minute may pass between two runs). */
const outcome = (result: { code: number; stdout: string; stderr: string }) => ({
  code: result.code,
  stderr: result.stderr,
  payload: JSON.parse(result.stdout).payload,
});

const codeCaches = (env: Record<string, string | undefined>) => {
  const directory = join(env.XDG_CACHE_HOME!, 'oauth', 'code');
  return existsSync(directory) ? readdirSync(directory).map((name) => join(directory, name)) : [];
};

describe('code caches', () => {
  it('the first run of a command leaves a cache only this user can read; later runs use it as it is', async () => {
    const env = sandboxEnv();
    const first = await spawnCli(['decode', token, '--json'], { env });
    expect(first.code).toBe(0);
    const [cache, ...others] = codeCaches(env);
    expect(others).toEqual([]);
    expect(cache).toMatch(/[/\\]cli-[0-9a-f]{8}-\d+\.\d+-decode-[^/\\]+\.cache$/);
    expect(statSync(cache!).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_CACHE_HOME!, 'oauth', 'code')).mode & 0o777).toBe(0o700);

    const written = readFileSync(cache!);
    const second = await spawnCli(['decode', token, '--json'], { env });
    expect(outcome(second)).toEqual(outcome(first));
    expect(readFileSync(cache!).equals(written)).toBe(true);
  });

  it('a FIFO where a cache belongs, or a cache directory others may write to, is ignored: the run is unaffected', async () => {
    const env = sandboxEnv();
    const expected = outcome(await spawnCli(['decode', token, '--json'], { env }));
    const [cache] = codeCaches(env);
    rmSync(cache!);
    execFileSync('mkfifo', [cache!]);
    expect(outcome(await spawnCli(['decode', token, '--json'], { env, timeoutMs: 10_000 }))).toEqual(expected);
    rmSync(cache!);
    const directory = dirname(cache!);
    chmodSync(directory, 0o777);
    expect(outcome(await spawnCli(['decode', token, '--json'], { env }))).toEqual(expected);
    expect(codeCaches(env)).toEqual([]);
  });

  it('a damaged cache, or one that others could have written, is replaced, and the run is unaffected', async () => {
    const env = sandboxEnv();
    const expected = outcome(await spawnCli(['decode', token, '--json'], { env }));
    const [cache] = codeCaches(env);

    writeFileSync(cache!, 'not a V8 code cache');
    expect(outcome(await spawnCli(['decode', token, '--json'], { env }))).toEqual(expected);
    expect(readFileSync(cache!, 'utf8')).not.toBe('not a V8 code cache');

    chmodSync(cache!, 0o666);
    expect(outcome(await spawnCli(['decode', token, '--json'], { env }))).toEqual(expected);
    expect(statSync(cache!).mode & 0o777).toBe(0o600);
  });

  it('is keyed by the command a run resolves: options and their values, unknown words and typos make no cache', async () => {
    const env = sandboxEnv();
    const keys = () =>
      [
        ...new Set(
          codeCaches(env).map(
            (file) => /^[\w.]+-[0-9a-f]{8}-\d+\.\d+-([a-z]+)-/.exec(file.replace(/.*[/\\]/, ''))?.[1],
          ),
        ),
      ].sort();
    await spawnCli(['nosuchcmd'], { env });
    await spawnCli(['--profile', 'zzz', 'nosuchcmd'], { env });
    await spawnCli(['decod', token], { env });
    await spawnCli(['help', 'nosuchcmd'], { env });
    // A usage error is not the command's usual path: an unknown option makes no cache either.
    expect((await spawnCli(['--nosuch'], { env })).code).toBe(2);
    expect((await spawnCli(['--nosuch', 'decode', token], { env })).code).toBe(2);
    expect(codeCaches(env)).toEqual([]);
    await spawnCli(['--profile', 'zzz', 'status'], { env });
    await spawnCli(['--timeout', '5', '--ca-file', 'x.pem', '-v', 'decode', token], { env });
    await spawnCli(['help', 'mint'], { env });
    await spawnCli(['--profile', 'zzz'], { env });
    await spawnCli(['--help'], { env });
    expect(keys()).toEqual(['decode', 'mint', 'program', 'status']);
  });

  it('every command has its own key', async () => {
    const env = sandboxEnv();
    for (const { name } of COMMANDS) expect((await spawnCli([name, '--help'], { env })).code).toBe(0);
    const named = codeCaches(env).map((file) => file.replace(/.*[/\\]/, ''));
    // A command's help is in its own module: help for one in dist/lazy.js caches that file under its key too.
    for (const { name } of COMMANDS)
      expect(
        named.filter((file) => file.startsWith('cli-') && file.includes(`-${name}-`)),
        name,
      ).toHaveLength(1);
  });

  it('writing a cache removes what no run will read: other builds of the install, names of no command, stale temporaries', async () => {
    const env = sandboxEnv();
    await spawnCli(['decode', token], { env });
    const [cache] = codeCaches(env);
    const name = cache!.replace(/.*[/\\]/, '');
    const sibling = (pattern: RegExp, replacement: string) => join(cache!, '..', name.replace(pattern, replacement));
    const earlier = sibling(/-\d+\.\d+-decode-/, '-1.2-decode-');
    const earlierOtherCommand = sibling(/-\d+\.\d+-decode-/, '-1.2-status-');
    const noCommand = sibling(/-decode-/, '-zzz-');
    const otherInstall = sibling(/^cli-[0-9a-f]{8}-\d+\.\d+-/, 'cli-00000000-1.2-');
    const otherInstallNoCommand = sibling(/^cli-[0-9a-f]{8}-\d+\.\d+-decode-/, 'cli-00000000-1.2-nosuchcmd-');
    const otherNode = sibling(/-x64-.*\.cache$|-arm64-.*\.cache$/, '-x64-11.0.0.cache');
    const oldTemporary = `${cache}.1234.tmp`;
    const freshTemporary = `${cache}.5678.tmp`;
    for (const file of [
      earlier,
      earlierOtherCommand,
      noCommand,
      otherInstall,
      otherInstallNoCommand,
      otherNode,
      oldTemporary,
      freshTemporary,
    ])
      writeFileSync(file, 'stale');
    utimesSync(oldTemporary, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    writeFileSync(cache!, 'damaged');
    await spawnCli(['decode', token], { env });
    expect(codeCaches(env).sort()).toEqual([cache, otherInstall, otherNode, freshTemporary].sort());
  });

  it('keeps the directory at 128 files at most, removing the oldest', async () => {
    const env = sandboxEnv();
    await spawnCli(['decode', token], { env });
    const [cache] = codeCaches(env);
    const directory = dirname(cache!);
    const name = cache!.replace(/.*[/\\]/, '');
    const others = Array.from({ length: 140 }, (_, index) =>
      join(directory, name.replace(/^cli-[0-9a-f]{8}-/, `cli-${index.toString(16).padStart(8, '0')}-`)),
    );
    others.forEach((file, index) => {
      writeFileSync(file, 'another install');
      utimesSync(file, new Date(1_000_000 + index * 1000), new Date(1_000_000 + index * 1000));
    });
    writeFileSync(cache!, 'damaged');
    await spawnCli(['decode', token], { env });
    const left = codeCaches(env);
    expect(left.length).toBeLessThanOrEqual(128);
    expect(left).toContain(cache);
    expect(left).toContain(others.at(-1));
    expect(left).not.toContain(others[0]);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns them off', async () => {
    const env = sandboxEnv({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect((await spawnCli(['decode', token], { env })).code).toBe(0);
    expect(codeCaches(env)).toEqual([]);
  });
});

describe('code loaded when first needed (dist/lazy.js, and jose from dist/vendor)', () => {
  it('verifies with jose, and its failures keep their exit codes, with and without a cache', async () => {
    const env = sandboxEnv();
    const good = join(env.HOME!, 'good.json');
    const wrong = join(env.HOME!, 'wrong.json');
    writeFileSync(good, JSON.stringify(jwks(key)));
    writeFileSync(wrong, JSON.stringify(jwks(otherKey)));
    for (let round = 0; round < 2; round++) {
      const valid = await spawnCli(
        ['decode', token, '--verify', '--jwks', good, '--issuer', 'https://issuer.test', '--audience', 'api'],
        { env },
      );
      expect(valid).toMatchObject({ code: 0, stderr: '' });
      expect(valid.stdout).toMatch(/Verified\s+✓ valid/);
      // The error is made in lazy.js and reported by cli.js: one CliError class for both, or this would be exit 1.
      const forged = await spawnCli(['decode', token, '--verify', '--jwks', wrong, '--json'], { env });
      expect(forged.code).toBe(3);
      expect(JSON.parse(forged.stderr)).toMatchObject({ error: { code: 'JWT_SIGNATURE_INVALID', exitCode: 3 } });
      expect(forged.stderr).not.toMatch(STACK_TRACE);
    }
    expect(
      codeCaches(env)
        .map((file) => file.replace(/.*[/\\]/, '').split('-')[0])
        .sort(),
    ).toEqual(['cli', 'jose', 'lazy']);
  });
});

/** Runs bin/oauth.js under `node`, told by a preload that it is another Node version when `version` is given. */
function runAs(
  node: string,
  version: string | undefined,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const preload = join(mkdtempSync(join(tmpdir(), 'oauth-node-')), 'version.cjs');
  writeFileSync(
    preload,
    version ? `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });\n` : '',
  );
  const child = spawn(node, ['--require', preload, join(import.meta.dirname, '..', 'bin', 'oauth.js'), ...args], {
    env: { PATH: process.env.PATH, ...sandboxEnv() },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const ENGINES = '^22.22.2 || ^24.15.0 || >=26.0.0';

/** npm's engines forms that our dependencies use: `^a.b.c`, `>=a[.b[.c]]`, alternatives joined by `||`. */
function satisfies(version: number[], range: string): boolean {
  return range.split('||').some((alternative) => {
    const match = /^\s*(\^|>=)\s*(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?\s*$/.exec(alternative);
    if (!match) throw new Error(`an engines range this test cannot read: ${range}`);
    const want = [Number(match[2]), Number(match[3] ?? 0) || 0, Number(match[4] ?? 0) || 0];
    if (match[1] === '^' && version[0] !== want[0]) return false;
    for (let part = 0; part < 3; part++) if (version[part] !== want[part]) return version[part]! > want[part]!;
    return true;
  });
}

/** The `engines.node` of every package the CLI runs: the dependencies and theirs, as Node resolves them. */
function runtimeEngines(): Map<string, string> {
  const root = join(import.meta.dirname, '..');
  const found = new Map<string, string>();
  const visit = (directory: string, name: string) => {
    for (let at = directory; ; at = dirname(dirname(at.endsWith('node_modules') ? at : join(at, 'node_modules')))) {
      const manifest = join(at, 'node_modules', name, 'package.json');
      if (existsSync(manifest)) {
        const json = JSON.parse(readFileSync(manifest, 'utf8'));
        const key = `${name}@${json.version}`;
        if (found.has(key)) return;
        found.set(key, json.engines?.node ?? '>=0');
        for (const dependency of Object.keys({ ...json.dependencies, ...json.optionalDependencies }))
          visit(dirname(manifest), dependency);
        return;
      }
      if (at === root || at === dirname(at)) return;
    }
  };
  for (const dependency of Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies))
    visit(root, dependency);
  return found;
}

describe('the Node.js version', () => {
  it('one minimum everywhere: package.json engines and bin/ are exactly what every runtime dependency supports', () => {
    const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(packageJson.engines.node).toBe(ENGINES);
    expect(readFileSync(join(import.meta.dirname, '..', 'bin', 'oauth.js'), 'utf8')).toContain(
      `var NODE_ENGINES = '${ENGINES}';`,
    );
    const engines = runtimeEngines();
    expect([...engines.keys()].some((key) => key.startsWith('@inquirer/prompts@'))).toBe(true);
    for (let major = 18; major <= 30; major++) {
      for (let minor = 0; minor <= 30; minor++) {
        for (const patch of [0, 1, 2, 3]) {
          const version = [major, minor, patch];
          const everyDependency = [...engines.values()].every((range) => satisfies(version, range));
          expect({ version: version.join('.'), ours: satisfies(version, ENGINES) }).toEqual({
            version: version.join('.'),
            ours: everyDependency,
          });
        }
      }
    }
  });

  it.each([
    ['22.22.1', false],
    ['22.22.2', true],
    ['23.11.0', false],
    ['24.14.9', false],
    ['24.15.0', true],
    ['25.9.0', false],
    ['26.0.0', true],
    ['20.20.2', false],
  ])('Node %s: %s', async (version, supported) => {
    const result = await runAs(process.execPath, version, ['--version']);
    if (supported) {
      expect(result).toMatchObject({ code: 0, stderr: '' });
    } else {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `error[NODE_UNSUPPORTED]: oauth needs Node.js 22.22.2 or a later 22.x, 24.15.0 or a later 24.x, or 26.0.0 or newer; this is Node.js ${version}.\n` +
          'hint: Install Node.js 24 (LTS), e.g. from https://nodejs.org/ (the README shows how without touching the system).\n',
      );
    }
  });

  const systemNode = '/usr/bin/node';
  it.runIf(existsSync(systemNode))(
    'a real older Node (the system one) gets the message, not a stack trace, for any command',
    async () => {
      const probe = await runAs(systemNode, undefined, ['--version']);
      const real = (
        await new Promise<string>((resolve) => {
          const child = spawn(systemNode, ['-p', 'process.versions.node']);
          let out = '';
          child.stdout.on('data', (chunk) => (out += chunk));
          child.on('close', () => resolve(out.trim()));
        })
      )
        .split('.')
        .map(Number);
      if (satisfies(real, ENGINES)) return expect(probe.code).toBe(0);
      for (const args of [['--version'], ['decode', token], ['login', '--issuer', 'http://127.0.0.1:1']]) {
        const result = await runAs(systemNode, undefined, args);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(
          /^error\[NODE_UNSUPPORTED\]: oauth needs Node\.js .*; this is Node\.js \d+\.\d+\.\d+\.\nhint: /,
        );
        expect(result.stderr).not.toMatch(STACK_TRACE);
      }
    },
  );
});
