// Runs the bundle from a V8 code cache taken at the END of an earlier run of the same command. Node's compile cache is
// taken right after compiling, so it holds top-level code only and every function a run calls is compiled again on
// every run; a cache taken after the run holds those too, which makes `decode`, `token` and `--help` start faster. No
// maintained library does this on Node >= 22. Built into its own file (dist/code-cache.cjs): bin/ needs it before the
// bundle is loaded.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { COMMAND_NAMES, invokedCommand } from '../commands/names.js';
import { ownedByUserAlone, readOwnFile } from '../store/own-file.js';

/** At most this many caches in the directory (a few commands × installs × Node versions); the oldest go first. */
export const MAX_CACHE_FILES = 24;

/** Which cache a run uses: `name` in `directory`. */
export interface CacheChoice {
  directory: string;
  name: string;
}

/**
 * One cache per command (a run compiles what its command uses), `program` for anything else, in the user's cache
 * directory (as src/settings/paths.ts's cacheDir: XDG_CACHE_HOME or ~/.cache, then oauth), under code/. None with
 * NODE_DISABLE_COMPILE_CACHE set, as for Node's own cache.
 */
export function cacheFor(argv: string[], env: Readonly<Record<string, string | undefined>>): CacheChoice | undefined {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg?.startsWith('/') ? xdg : env.HOME && join(env.HOME, '.cache');
  if (env.NODE_DISABLE_COMPILE_CACHE || !base) return undefined;
  return { directory: join(base, 'oauth', 'code'), name: commandName(argv) };
}

/**
 * The command the CLI will run (as src/cli.ts finds it), or `program`: any other word (a typo, a profile's name) must
 * not take a cache file of its own.
 */
function commandName(argv: string[]): string {
  const command = invokedCommand(argv);
  return COMMAND_NAMES.find((name) => name === command) ?? 'program';
}

export interface LoadedModule {
  exports: Record<string, unknown>;
  /** Whether V8 ran it from a cache. */
  fromCache: boolean;
  /** Writes the cache for the next run, if this one had none (or V8 refused it): call it when the run is done. */
  save: () => void;
}

/**
 * require(file) for a CommonJS file (read as UTF-8: the bundle keeps characters no escape can stand for, in raw
 * template strings), from its cache if there is one. Any failure of a cache only means compiling from source, as with no cache.
 */
export function loadWithCodeCache(file: string, cache: CacheChoice | undefined, require: NodeJS.Require): LoadedModule {
  const cacheFile = cache && cacheFileFor(file, cache);
  const cachedData = cacheFile === undefined ? undefined : verifiedPayload(readOwnFile(cacheFile));
  const source = readFileSync(file, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
    filename: file,
    lineOffset: -1,
    ...(cachedData && { cachedData }),
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, withNodeCompileCache(require), module, file, dirname(file));
  const fromCache = cachedData !== undefined && script.cachedDataRejected === false;
  const save = () => {
    if (cacheFile === undefined || fromCache) return;
    try {
      write(cacheFile, withChecksum(script.createCachedData()));
    } catch {
      // No cache this time: the next run compiles from source again.
    }
  };
  return { exports: module.exports, fromCache, save };
}

/**
 * Packages from node_modules (undici, prompts, the local server) are Node's to load, with its compile cache: switched
 * on at the first one, as loading node:module for it would cost every run that needs none.
 */
function withNodeCompileCache(require: NodeJS.Require): (id: string) => unknown {
  let switchedOn = false;
  return (id) => {
    if (!switchedOn && !id.startsWith('node:')) {
      switchedOn = true;
      process.getBuiltinModule('node:module').enableCompileCache();
    }
    return require(id);
  };
}

/**
 * `<install>-<build>-<name>-<Node>-<arch>.cache` in the cache's directory, unless that directory is not this user's
 * alone. V8 checks only the source's length, so the build is named by the file's identity (size, inode, change time),
 * which every new build or install changes: hashing the source would cost about what the cache saves.
 */
function cacheFileFor(file: string, { directory, name }: CacheChoice): string | undefined {
  try {
    const directoryStats = statSync(directory, { throwIfNoEntry: false });
    if (directoryStats && !ownedByUserAlone(directoryStats)) return undefined;
    const { size, ino, ctimeMs } = statSync(file);
    const build = `${size}.${ino}.${Math.round(ctimeMs * 1000)}`;
    return join(directory, `${fnv1a(file)}-${build}-${name}-${process.version}-${process.arch}.cache`);
  } catch {
    return undefined;
  }
}

/**
 * A cache file is a checksum of its payload (4 bytes), then the payload: V8's cached data. Release builds of V8 do not
 * verify the checksum V8 keeps, and a damaged payload aborts the process (no exception: every later run would crash
 * until the file went), so a payload reaches V8 only if it matches.
 */
const HEADER_BYTES = 4;

function withChecksum(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  const sum = checksum(payload);
  if (sum === undefined) throw new Error('No checksum, so no cache.');
  header.writeUInt32LE(sum);
  return Buffer.concat([header, payload]);
}

function verifiedPayload(file: Buffer | undefined): Buffer | undefined {
  if (file === undefined || file.length <= HEADER_BYTES) return undefined;
  const payload = file.subarray(HEADER_BYTES);
  return file.readUInt32LE() === checksum(payload) ? payload : undefined;
}

/**
 * The checksum, computed by this WebAssembly module (hash = (rotl(hash, 5) ^ word) * 0x9e3779b1, over the payload's
 * 32-bit little-endian words, zero-padded: any change to one word changes it, and the rotation and the multiplication
 * mix every bit into the next words, so changes to several words do not cancel out as they did in a plain sum):
 *
 *   (module (memory (export "m") 1)
 *     (func (export "f") (param $length i32) (result i32) (local $at i32) (local $hash i32)
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $at) (local.get $length)))
 *         (local.set $hash (i32.mul
 *           (i32.xor (i32.rotl (local.get $hash) (i32.const 5)) (i32.load (local.get $at)))
 *           (i32.const 0x9e3779b1)))
 *         (local.set $at (i32.add (local.get $at) (i32.const 4)))
 *         (br 0)))
 *       (local.get $hash)))
 *
 * It is the cheapest way measured, per run, for a 300 kB cache: ~0.9 ms, where the same loop in JavaScript takes
 * ~2 ms (V8 interprets it: it runs once) and node:zlib's crc32 ~3.5 ms (loading node:zlib loads Node's streams).
 * Without WebAssembly (node --jitless) there is no checksum, so no cache.
 */
const CHECKSUM_MODULE = [
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...[0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f], // types: (i32) -> i32
  ...[0x03, 0x02, 0x01, 0x00], // functions: one, of that type
  ...[0x05, 0x03, 0x01, 0x00, 0x01], // memories: one, of one page at first
  ...[0x07, 0x09, 0x02, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x66, 0x00, 0x00], // exports: "m" the memory, "f" the function
  ...[0x0a, 0x32, 0x01, 0x30, 0x01, 0x02, 0x7f], // code: one body of 48 bytes, two i32 locals
  ...[0x02, 0x40, 0x03, 0x40], // block, loop
  ...[0x20, 0x01, 0x20, 0x00, 0x4f, 0x0d, 0x01], // br_if 1 (at >= length)
  ...[0x20, 0x02, 0x41, 0x05, 0x77, 0x20, 0x01, 0x28, 0x02, 0x00, 0x73], // rotl(hash, 5) ^ load(at)
  ...[0x41, 0xb1, 0xf3, 0xdd, 0xf1, 0x79, 0x6c, 0x21, 0x02], // hash = that * 0x9e3779b1
  ...[0x20, 0x01, 0x41, 0x04, 0x6a, 0x21, 0x01], // at += 4
  ...[0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x02, 0x0b], // br 0, end, end, hash
];

function checksum(bytes: Uint8Array): number | undefined {
  if (typeof WebAssembly === 'undefined') return undefined;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(CHECKSUM_MODULE)));
  const { m: memory, f: run } = exports;
  if (!(memory instanceof WebAssembly.Memory) || typeof run !== 'function') return undefined;
  const length = (bytes.length + 3) & ~3;
  memory.grow(Math.ceil(length / 65536));
  new Uint8Array(memory.buffer).set(bytes);
  const sum: unknown = run(length);
  return typeof sum === 'number' ? sum >>> 0 : undefined;
}

/** Written whole (beside, then renamed); then this install's caches of other builds go, and the oldest beyond the cap. */
function write(cacheFile: string, data: Buffer): void {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    const directory = dirname(cacheFile);
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, cacheFile);
    const [install, build] = basename(cacheFile).split('-');
    const others = readdirSync(directory)
      .filter((name) => name !== basename(cacheFile))
      .map((name) => ({ name, at: statSync(join(directory, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    others.forEach(({ name }, index) => {
      const [otherInstall, otherBuild] = name.split('-');
      const otherBuildHere = otherInstall === install && otherBuild !== build;
      if (otherBuildHere || index >= MAX_CACHE_FILES - 1) rmSync(join(directory, name), { force: true });
    });
  } catch {
    rmSync(temporary, { force: true });
  }
}

/** A short, stable name for a path (32-bit FNV-1a). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}
