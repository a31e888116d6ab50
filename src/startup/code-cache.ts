// Runs the bundle from a V8 code cache taken at the END of an earlier run of the same command. Node's compile cache is
// taken right after compiling, so it holds top-level code only and every function a run calls is compiled again on
// every run; a cache taken after the run holds those too, which makes `decode`, `token` and `--help` start faster. No
// maintained library does this on Node >= 22. Built into its own file (dist/code-cache.cjs): bin/ needs it before the
// bundle is loaded.
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** At most this many caches in the directory (a few commands × installs × Node versions); the oldest go first. */
export const MAX_CACHE_FILES = 24;

/** Which cache a run uses: `name` in `directory`. */
export interface CacheChoice {
  directory: string;
  name: string;
}

/**
 * One cache per command word (a run compiles what its command uses), `program` for none or anything unlike a command
 * name, in the user's cache directory (as src/settings/paths.ts's cacheDir: XDG_CACHE_HOME or ~/.cache, then oauth),
 * under code/. None with NODE_DISABLE_COMPILE_CACHE set, as for Node's own cache.
 */
export function cacheFor(argv: string[], env: Readonly<Record<string, string | undefined>>): CacheChoice | undefined {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg?.startsWith('/') ? xdg : env.HOME && join(env.HOME, '.cache');
  if (env.NODE_DISABLE_COMPILE_CACHE || !base) return undefined;
  const word = argv.find((arg) => !arg.startsWith('-'));
  return {
    directory: join(base, 'oauth', 'code'),
    name: word !== undefined && /^[a-z]{1,16}$/.test(word) ? word : 'program',
  };
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
  const cachedData = cacheFile === undefined ? undefined : readOwnFile(cacheFile);
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
      write(cacheFile, script.createCachedData());
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
    if (directoryStats && !trusted(directoryStats)) return undefined;
    const { size, ino, ctimeMs } = statSync(file);
    const build = `${size}.${ino}.${Math.round(ctimeMs * 1000)}`;
    return join(directory, `${fnv1a(file)}-${build}-${name}-${process.version}-${process.arch}.cache`);
  } catch {
    return undefined;
  }
}

/** A cache is code: used only if this user owns it (and its directory) and no one else may write to it. */
function trusted(stats: Stats): boolean {
  return process.getuid === undefined || (stats.uid === process.getuid() && (stats.mode & 0o022) === 0);
}

function readOwnFile(file: string): Buffer | undefined {
  let descriptor: number | undefined;
  try {
    // Non-blocking: a FIFO where a cache belongs would otherwise block the open before fstat could refuse it.
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = fstatSync(descriptor);
    return stats.isFile() && trusted(stats) ? readFileSync(descriptor) : undefined;
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
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
