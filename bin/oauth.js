#!/usr/bin/env node
// The only place that touches the process: it loads the CLI, hands it the real streams, turns Ctrl-C into a
// cancellation, and turns the CLI's result into an exit code. CommonJS (bin/package.json says so): Node starts an ES
// module entry point more slowly.
'use strict';

// First, and in syntax any Node parses: on a Node that our dependencies do not support, say so instead of failing
// somewhere inside them with a stack trace. The range is the intersection of every dependency's `engines` (the
// @inquirer packages need 22.22.2 on 22 and 24.15 on 24, and no 23 or 25); package.json says the same, and a test keeps
// the two equal.
var NODE_ENGINES = '^22.22.2 || ^24.15.0 || >=26.0.0';
if (!nodeSupported(process.versions.node, NODE_ENGINES)) {
  process.stderr.write(
    'error[NODE_UNSUPPORTED]: oauth needs Node.js ' +
      describeEngines(NODE_ENGINES) +
      '; this is Node.js ' +
      process.versions.node +
      '.\n' +
      'hint: Install Node.js 24 (LTS), e.g. from https://nodejs.org/ (the README shows how without touching the system).\n',
  );
  process.exit(2);
}

/** The commands and the global options that take a value, as src/commands/definitions.ts and src/cli.ts have them. */
const COMMANDS = new Set([
  'demo',
  'login',
  'token',
  'status',
  'logout',
  'decode',
  'revoke',
  'introspect',
  'userinfo',
  'discover',
  'check',
  'serve',
  'mint',
]);
const OPTIONS_WITH_VALUES = new Set(['--timeout', '--ca-file', '--profile']);
/** Code caches kept at most: more than a few installs and Node versions need; the oldest go first beyond it. */
const MAX_CACHE_FILES = 128;

// A reader that goes away (`oauth decode … | head`) is not an error: stop quietly, as other Unix tools do.
const onStreamError = (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : process.exitCode);
  throw error;
};

const argv = process.argv.slice(2);
// `oauth --version` is asked by scripts and version checks: answer it without loading the CLI at all.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  require('../dist/version.cjs').printVersion(onStreamError);
} else {
  const { cli, saveCodeCaches } = loadCli(argv);
  let cancel;
  const cancellation = () => {
    if (!cancel) cancel = new AbortController();
    return cancel;
  };
  const abort = () => {
    cancel.abort(new DOMException('Cancelled', 'AbortError'));
    // Waits that listen to the signal end at once; anything that does not (a read from a terminal) must not keep the
    // user waiting.
    setTimeout(() => process.exit(130), 1500).unref();
  };
  // Work that must finish once begun (see IO.shield) holds a Ctrl-C until it ends; a second Ctrl-C ends the run anyway.
  let shielded = 0;
  let held = false;
  const shield = async (work) => {
    shielded++;
    try {
      return await work();
    } finally {
      shielded--;
      if (shielded === 0 && held) abort();
    }
  };
  const stop = () => {
    if (cancellation().signal.aborted || held) process.exit(130);
    if (shielded > 0) {
      held = true;
      process.stderr.write(
        'Finishing what the server has already received, so nothing is lost (stop again to quit at once, which may lose it)…\n',
      );
      return;
    }
    abort();
  };
  // Ctrl-C, and the ways other programs stop a run (timeout, CI cancellation, systemd, a closed terminal), alike.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);
  cli
    .main(
      argv,
      cli.processIO(() => cancellation().signal, onStreamError, shield),
    )
    .then((code) => {
      // A Ctrl-C held until shielded work ended is still a cancellation (for `serve`, Ctrl-C is the normal stop: its own).
      process.exitCode = held ? 130 : code;
      // A usage error (a typo, an unknown option) ran no command's usual path: not worth a cache.
      if (code !== 2) saveCodeCaches();
    });
}

/**
 * Runs dist/cli.js (and dist/lazy.js and dist/vendor/*, the first time a run needs them) from V8 code caches taken at
 * the end of an earlier run of the same command. Node's own compile cache is taken right after compiling, so it holds
 * only top-level code: every function a run calls would be compiled from source again, each run: more than a third of
 * what the CLI added to Node's start-up. A cache taken after the run holds those functions too. No library does this on
 * Node ≥ 22 (v8-compile-cache did, for older Nodes, and is unmaintained), so it is written here.
 *
 * The caches live in the user's cache directory (XDG_CACHE_HOME or ~/.cache, then oauth/code), one per file, command
 * (cacheKey) and build, and the directory is kept bounded (prune); NODE_DISABLE_COMPILE_CACHE=1 turns them off. V8 rejects a cache made by another V8 or with other flags,
 * and then a new one is written. A cache is code: it is read only if this user owns it and no one else can write to it.
 * Any failure only means compiling from source, as without a cache.
 */
function loadCli(argv) {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const dist = path.join(__dirname, '..', 'dist');
  const directory = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : cacheDirectory(path);
  const command = cacheKey(argv);
  const pending = [];
  // `require` for the bundles, which name their files by absolute path: the bundled dependencies in dist/vendor run
  // from code caches too; a package from node_modules (oidc-provider, the keyring) is Node's to load, with its compile
  // cache switched on first (node:module, which does that, costs a short run 2%, so only then).
  const vendors = new Map();
  let compileCacheOn = false;
  const bundleRequire = (id) => {
    if (id.startsWith('node:')) return require(id);
    if (path.dirname(id) === path.join(dist, 'vendor')) {
      if (!vendors.has(id)) vendors.set(id, run(path.join('vendor', path.basename(id))));
      return vendors.get(id);
    }
    if (!compileCacheOn) {
      require('node:module').enableCompileCache();
      compileCacheOn = true;
    }
    return require(id);
  };

  const run = (name, links = {}) => {
    const file = path.join(dist, name);
    const source = fs.readFileSync(file, 'utf8');
    const cacheFile = directory && command && cacheFileFor(fs, path, directory, file, command);
    const cachedData = cacheFile && readOwnFile(fs, cacheFile.path);
    // The bundle is a function expression taking the module's variables and the two links between the bundles.
    const script = new vm.Script(source, { filename: file, cachedData });
    if (cacheFile && (!cachedData || script.cachedDataRejected)) pending.push({ script, cacheFile });
    const module = { exports: {} };
    script.runInThisContext()(module.exports, bundleRequire, module, file, path.dirname(file), links.lazy, links.hot);
    return module.exports;
  };

  let lazy;
  const hot = run('cli.js', { lazy: () => lazy || (lazy = run('lazy.js', { hot })) });
  const saveCodeCaches = () => {
    for (const { script, cacheFile } of pending) writeCache(fs, path, script, cacheFile);
  };
  return { cli: hot, saveCodeCaches };
}

/**
 * Which cache a run uses: the command it runs (what src/cli.ts's invokedCommand resolves, `help <command>` included),
 * `program` for none (`oauth`, `oauth --help`), and none at all for anything else (a typo, an unknown word): a cache
 * per word a user ever typed would only fill the directory.
 */
function cacheKey(argv) {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--') break;
    if (OPTIONS_WITH_VALUES.has(arg)) {
      index++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    const named = arg === 'help' ? argv.slice(index + 1).find((next) => !next.startsWith('-')) : arg;
    if (named === undefined) return 'program';
    return COMMANDS.has(named) ? named : undefined;
  }
  return 'program';
}

/** cacheDir's rule in src/settings/paths.ts (which lives in the bundle this directory serves), then `code`. */
function cacheDirectory(path) {
  try {
    const xdg = process.env.XDG_CACHE_HOME;
    const home = () => process.env.HOME || process.getBuiltinModule('node:os').homedir();
    const base = xdg && xdg.startsWith('/') ? xdg : path.join(home(), '.cache');
    const directory = path.join(base, 'oauth', 'code');
    // A directory others may write to could be given caches of theirs (names are predictable): then none is used.
    const fs = require('node:fs');
    const stats = fs.statSync(directory, { throwIfNoEntry: false });
    if (stats && process.getuid !== undefined && (stats.uid !== process.getuid() || (stats.mode & 0o022) !== 0))
      return undefined;
    return directory;
  } catch {
    return undefined;
  }
}

/**
 * `<file>-<install>-<build>-<command>-<arch>-<V8>.cache`. The install is where the CLI is (two installs used in turn
 * must not remove each other's caches), the build its file's size and time: a cache read for another source would
 * be accepted by V8, which compares only lengths. A new build's caches replace all of the install's older ones.
 */
function cacheFileFor(fs, path, directory, file, command) {
  try {
    const { size, mtimeMs } = fs.statSync(file);
    const before = `${path.basename(file, '.js')}-${fnv1a(path.dirname(file))}-`;
    const after = `-${command}-${process.arch}-${process.versions.v8}.cache`;
    return { before, after, path: path.join(directory, `${before}${size}.${Math.trunc(mtimeMs)}${after}`) };
  } catch {
    return undefined;
  }
}

/** A short, stable name for a path (32-bit FNV-1a): node:crypto would cost more than the rest of this file. */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function readOwnFile(fs, file) {
  let descriptor;
  try {
    // Non-blocking: a FIFO put where a cache belongs would otherwise block the open before fstat could refuse it.
    descriptor = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const stats = fs.fstatSync(descriptor);
    const own = process.getuid === undefined || (stats.uid === process.getuid() && (stats.mode & 0o022) === 0);
    return own && stats.isFile() ? fs.readFileSync(descriptor) : undefined;
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) fs.closeSync(descriptor);
  }
}

/** Writes a cache atomically, then keeps the directory bounded. */
function writeCache(fs, path, script, cacheFile) {
  const temporary = `${cacheFile.path}.${process.pid}.tmp`;
  const directory = path.dirname(cacheFile.path);
  try {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temporary, cacheFile.path);
    prune(fs, path, directory, cacheFile);
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Runs only when a cache was written (a command's first run of a build). Removes what no run will read again: this
 * bundle's caches from other builds of the same install (for every command), caches under a name that is not a
 * command (written by earlier versions for any word), temporaries a killed run left; then the oldest files beyond
 * MAX_CACHE_FILES (other installs, other Node versions).
 */
function prune(fs, path, directory, cacheFile) {
  const current = path.basename(cacheFile.path);
  const build = current.slice(cacheFile.before.length).split('-')[0];
  const kept = [];
  for (const name of fs.readdirSync(directory)) {
    if (name === current) continue;
    const file = path.join(directory, name);
    let stale;
    if (name.endsWith('.tmp')) {
      stale = Date.now() - fs.statSync(file).mtimeMs > 3_600_000;
    } else if (name.startsWith(cacheFile.before)) {
      const [otherBuild, ...rest] = name.slice(cacheFile.before.length).split('-');
      stale = otherBuild !== build || !isCacheKey(rest.join('-'));
    } else {
      const other = /^[\w.-]+?-[0-9a-f]{8}-\d+\.\d+-(.+)$/.exec(name);
      stale = !other || !isCacheKey(other[1]);
    }
    if (stale) fs.rmSync(file, { force: true });
    else kept.push(name);
  }
  if (kept.length < MAX_CACHE_FILES) return;
  const byAge = kept
    .map((name) => ({ name, at: fs.statSync(path.join(directory, name)).mtimeMs }))
    .sort((a, b) => a.at - b.at);
  for (const { name } of byAge.slice(0, kept.length - MAX_CACHE_FILES + 1))
    fs.rmSync(path.join(directory, name), { force: true });
}

/** Whether `<command>-<arch>-<V8>.cache` names a cache key a run can use. */
function isCacheKey(tail) {
  if (!tail.endsWith('.cache')) return false;
  if (tail.startsWith('program-')) return true;
  for (const command of COMMANDS) if (tail.startsWith(`${command}-`)) return true;
  return false;
}

/** `version` satisfies `range`, written as npm writes engines: `^a.b.c` and `>=a.b.c` alternatives joined by `||`. */
function nodeSupported(version, range) {
  var have = version.split('.').map(Number);
  return range.split('||').some((alternative) => {
    var match = /^\s*(\^|>=)(\d+)\.(\d+)\.(\d+)\s*$/.exec(alternative);
    if (!match) return false;
    var want = [Number(match[2]), Number(match[3]), Number(match[4])];
    if (match[1] === '^' && have[0] !== want[0]) return false;
    for (var part = 0; part < 3; part++) if (have[part] !== want[part]) return have[part] > want[part];
    return true;
  });
}

/** `^22.22.2 || >=26.0.0` in words: "22.22.2 or a later 22.x, or 26.0.0 or newer". */
function describeEngines(range) {
  var words = range.split('||').map((alternative) => {
    var match = /^\s*(\^|>=)(\d+)\.(\d+\.\d+)\s*$/.exec(alternative);
    if (!match) return alternative.trim();
    return match[1] === '^'
      ? match[2] + '.' + match[3] + ' or a later ' + match[2] + '.x'
      : match[2] + '.' + match[3] + ' or newer';
  });
  return words.length > 1 ? words.slice(0, -1).join(', ') + ', or ' + words[words.length - 1] : words[0];
}
