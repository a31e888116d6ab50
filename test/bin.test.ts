// The built CLI as installed: bin/oauth.js checks the Node version first, then runs dist/cli.cjs from its code cache.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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

const codeCaches = (env: Record<string, string | undefined>) => {
  const directory = join(env.XDG_CACHE_HOME!, 'oauth', 'code');
  return existsSync(directory) ? readdirSync(directory) : [];
};

describe('the code cache', () => {
  it('keeps the compiled CLI between runs, per command; NODE_DISABLE_COMPILE_CACHE=1 turns it off', async () => {
    const env = sandboxEnv();
    // The same answer, but for the lines that tell time ("expires in 1h", a second later "in 59m 59s").
    const decode = async (extra = {}) => {
      const { code, stdout, stderr } = await spawnCli(['decode', token], { env: { ...env, ...extra } });
      return { code, stdout: stdout.split('\n').filter((line) => !/\d/.test(line)), stderr };
    };
    const uncached = await decode({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(uncached).toMatchObject({ code: 0, stderr: '' });
    expect(codeCaches(env)).toEqual([]);
    expect(await decode()).toEqual(uncached);
    expect(codeCaches(env)).toEqual([expect.stringContaining('-decode-')]);
    expect(await decode()).toEqual(uncached);
    expect((await spawnCli(['--help'], { env })).code).toBe(0);
    expect(codeCaches(env)).toHaveLength(2);
  });

  it('a damaged cache (V8 would abort on it) is compiled from source and written again', async () => {
    const env = sandboxEnv();
    const first = await spawnCli(['decode', token], { env });
    expect(first.code).toBe(0);
    const [name] = codeCaches(env);
    const file = join(env.XDG_CACHE_HOME!, 'oauth', 'code', name!);
    const written = readFileSync(file);
    const damaged = Buffer.from(written);
    for (let at = 64; at < damaged.length; at += 1000) damaged[at]! ^= 0xff;
    writeFileSync(file, damaged);
    const run = await spawnCli(['decode', token], { env });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.split('\n')[0]).toBe(first.stdout.split('\n')[0]);
    expect(codeCaches(env)).toEqual([name]);
    expect(readFileSync(file).equals(damaged)).toBe(false);
    expect((await spawnCli(['decode', token], { env })).code).toBe(0);
  });

  it('is named after the command run, so options and their values take no cache of their own', async () => {
    const env = sandboxEnv();
    for (const argv of [
      ['--timeout', '5', 'decode', token],
      ['--profile', 'work', 'decode', token],
      ['help', 'decode'],
    ])
      expect((await spawnCli(argv, { env })).code).toBe(0);
    expect(codeCaches(env)).toEqual([expect.stringContaining('-decode-')]);
  });
});

describe("Node's compile cache", () => {
  const nodeCaches = (env: Record<string, string | undefined>) => existsSync(join(env.TMPDIR!, 'node-compile-cache'));
  it('is switched on only when a run loads a package from node_modules (here undici)', async () => {
    const env = sandboxEnv();
    env.TMPDIR = env.HOME;
    expect((await spawnCli(['decode', token], { env })).code).toBe(0);
    expect(nodeCaches(env)).toBe(false);
    expect((await spawnCli(['discover', 'http://127.0.0.1:9', '--timeout', '2'], { env })).code).not.toBe(0);
    expect(nodeCaches(env)).toBe(true);
  });
});

describe('code loaded when first needed', () => {
  it('verifies with jose, and its failures keep their exit codes', async () => {
    const env = sandboxEnv();
    const good = join(env.HOME!, 'good.json');
    const wrong = join(env.HOME!, 'wrong.json');
    writeFileSync(good, JSON.stringify(jwks(key)));
    writeFileSync(wrong, JSON.stringify(jwks(otherKey)));
    const valid = await spawnCli(
      ['decode', token, '--verify', '--jwks', good, '--issuer', 'https://issuer.test', '--audience', 'api'],
      { env },
    );
    expect(valid).toMatchObject({ code: 0, stderr: '' });
    expect(valid.stdout).toMatch(/Verified\s+✓ valid/);
    const forged = await spawnCli(['decode', token, '--verify', '--jwks', wrong, '--json'], { env });
    expect(forged.code).toBe(3);
    expect(JSON.parse(forged.stderr)).toMatchObject({ error: { code: 'JWT_SIGNATURE_INVALID', exitCode: 3 } });
    expect(forged.stderr).not.toMatch(STACK_TRACE);
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
