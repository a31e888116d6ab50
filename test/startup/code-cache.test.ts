// The V8 code cache bin/ runs the bundle from: used when it is this user's and this build's, bounded, and never able to
// make a run fail. Runs load the built module (npm test builds first), as bin/ does.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CacheChoice, cacheFor, loadWithCodeCache, MAX_CACHE_FILES } from '../../src/startup/code-cache.js';

/** A CommonJS module that requires a built-in, and a directory for its caches. */
function fixture(source = "const path = require('node:path');\nexports.answer = () => path.join('a', 'b');\n") {
  const directory = mkdtempSync(join(tmpdir(), 'oauth-code-cache-'));
  const file = join(directory, 'module.cjs');
  writeFileSync(file, source);
  const cache: CacheChoice = { directory: join(directory, 'code'), name: 'decode' };
  const caches = () => readdirSync(cache.directory);
  return { file, cache, caches };
}

const BUILT = join(import.meta.dirname, '..', '..', 'dist', 'code-cache.cjs');

/**
 * One run of the CLI, in a process of its own (V8 keeps what it compiled for the life of a process): load as bin/ does
 * (the built module), run what a command would, save.
 */
function run(file: string, cache: CacheChoice | undefined): { fromCache: boolean } {
  const script = `const loaded = require(${JSON.stringify(BUILT)}).loadWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cache)}, require);
if (loaded.exports.answer() !== ${JSON.stringify(join('a', 'b'))}) process.exit(3);
loaded.save();
process.stdout.write(JSON.stringify({ fromCache: loaded.fromCache }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('cacheFor', () => {
  const env = { HOME: '/home/u' };
  it('one cache per command the CLI runs, `program` for none or for anything that is not a command', () => {
    const name = (argv: string[]) => cacheFor(argv, env)?.name;
    expect(cacheFor(['decode', 'eyJ…'], env)).toEqual({ directory: '/home/u/.cache/oauth/code', name: 'decode' });
    expect(name(['--json', 'token'])).toBe('token');
    expect(name(['--profile', 'work', 'status'])).toBe('status');
    expect(name(['--profile=work', 'status'])).toBe('status');
    expect(name(['--timeout', '5', 'decode'])).toBe('decode');
    expect(name(['--ca-file', 'ca.pem', '-v', 'discover', 'https://id.example.com'])).toBe('discover');
    expect(name(['help', 'decode'])).toBe('decode');
    expect(name(['help', '--profile', 'x', 'decode'])).toBe('decode');
    expect(name(['help'])).toBe('program');
    expect(name(['--help'])).toBe('program');
    expect(name([])).toBe('program');
    expect(name(['work'])).toBe('program');
    expect(name(['decod'])).toBe('program');
    expect(name(['--', 'decode', 'x'])).toBe('decode');
    expect(name(['help', '--', 'decode'])).toBe('decode');
    expect(name(['--', '--profile'])).toBe('program');
    expect(name(['help', 'help'])).toBe('program');
    expect(name(['../../etc'])).toBe('program');
  });
  it('in XDG_CACHE_HOME when absolute; none with NODE_DISABLE_COMPILE_CACHE or no home', () => {
    expect(cacheFor(['token'], { ...env, XDG_CACHE_HOME: '/c' })?.directory).toBe('/c/oauth/code');
    expect(cacheFor(['token'], { ...env, XDG_CACHE_HOME: 'relative' })?.directory).toBe('/home/u/.cache/oauth/code');
    expect(cacheFor(['token'], { ...env, NODE_DISABLE_COMPILE_CACHE: '1' })).toBeUndefined();
    expect(cacheFor(['token'], {})).toBeUndefined();
  });
});

describe('loadWithCodeCache', () => {
  it('the first run writes a private cache, the next runs from it without writing again', () => {
    const { file, cache, caches } = fixture();
    expect(run(file, cache).fromCache).toBe(false);
    expect(caches()).toHaveLength(1);
    const written = join(cache.directory, caches()[0]!);
    expect(statSync(written).mode & 0o777).toBe(0o600);
    expect(statSync(cache.directory).mode & 0o777).toBe(0o700);
    const before = statSync(written).mtimeMs;
    expect(run(file, cache).fromCache).toBe(true);
    expect(statSync(written).mtimeMs).toBe(before);
  });

  it('a new build gets a new cache, and replaces the old build’s', () => {
    const { file, cache, caches } = fixture();
    run(file, cache);
    const first = caches();
    rmSync(file);
    writeFileSync(file, "const path = require('node:path');\nexports.answer = () => path.join('a', 'b'); // new\n");
    expect(run(file, cache).fromCache).toBe(false);
    expect(caches()).toHaveLength(1);
    expect(caches()).not.toEqual(first);
  });

  it('a cache whose payload does not match its checksum never reaches V8: compiled from source, then replaced', () => {
    const { file, cache, caches } = fixture();
    run(file, cache);
    const written = join(cache.directory, caches()[0]!);
    const damaged = readFileSync(written);
    for (let at = 64; at < damaged.length; at += 7) damaged[at]! ^= 0xff;
    writeFileSync(written, damaged);
    expect(run(file, cache).fromCache).toBe(false);
    expect(readFileSync(written).equals(damaged)).toBe(false);
    expect(run(file, cache).fromCache).toBe(true);
  });

  it('changes to several words do not cancel out: the top bit of two payload words flipped is caught too', () => {
    const { file, cache, caches } = fixture();
    run(file, cache);
    const written = join(cache.directory, caches()[0]!);
    const damaged = readFileSync(written);
    // The file is a 4-byte checksum, then the payload's words: bit 7 of the last byte of two words past V8's own header
    // (which V8 checks itself), where a plain sum of the words did not change.
    const middle = Math.floor((damaged.length - 4) / 8);
    for (const word of [middle, middle + 2]) damaged[4 + 4 * word + 3]! ^= 0x80;
    writeFileSync(written, damaged);
    expect(run(file, cache).fromCache).toBe(false);
    expect(readFileSync(written).equals(damaged)).toBe(false);
  });

  it('a cache V8 refuses (corrupt, or from another V8) is only a compile from source, then replaced', () => {
    const { file, cache, caches } = fixture();
    run(file, cache);
    writeFileSync(join(cache.directory, caches()[0]!), 'not a code cache');
    expect(run(file, cache).fromCache).toBe(false);
    expect(run(file, cache).fromCache).toBe(true);
  });

  it.runIf(process.getuid !== undefined)('reads no cache that others may write, nor from a directory they may', () => {
    const { file, cache, caches } = fixture();
    run(file, cache);
    const written = join(cache.directory, caches()[0]!);
    chmodSync(written, 0o666);
    expect(run(file, cache).fromCache).toBe(false);
    expect(statSync(written).mode & 0o777).toBe(0o600);
    chmodSync(cache.directory, 0o777);
    rmSync(written);
    expect(run(file, cache).fromCache).toBe(false);
    expect(caches()).toEqual([]);
  });

  it('a cache directory that cannot be made is only a compile from source', () => {
    const { file } = fixture();
    expect(run(file, { directory: join(file, 'code'), name: 'decode' }).fromCache).toBe(false);
  });

  it('keeps the directory bounded', () => {
    const { file, cache, caches } = fixture();
    mkdirSync(cache.directory, { mode: 0o700 });
    for (let index = 0; index < MAX_CACHE_FILES + 5; index++)
      writeFileSync(join(cache.directory, `0000000${index}-1.1.1-token-v0-x64.cache`), '', { mode: 0o600 });
    run(file, cache);
    expect(caches()).toHaveLength(MAX_CACHE_FILES);
  });

  it('with no cache at all, loads from source; errors point at the file’s own lines', () => {
    const { file } = fixture("exports.answer = () => 'x';\nexports.fail = () => {\n  throw new Error('here');\n};\n");
    const loaded = loadWithCodeCache(file, undefined, createRequire(file));
    expect(loaded.fromCache).toBe(false);
    expect(() => (loaded.exports.fail as () => void)()).toThrow(
      expect.objectContaining({ stack: expect.stringContaining(`${file}:3:`) }),
    );
  });
});

describe('the source as written', () => {
  it('keeps characters the build cannot escape (a raw template holds them as they are), from source and from cache', () => {
    const { file, cache } = fixture(
      "exports.answer = () => require('node:path').join('a', 'b');\nexports.raw = String.raw`…é‘`;\n",
    );
    for (let round = 0; round < 2; round++) {
      const script = `const loaded = require(${JSON.stringify(BUILT)}).loadWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cache)}, require);
loaded.save();
process.stdout.write(loaded.exports.raw);`;
      expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })).toBe('…é‘');
    }
  });
});
