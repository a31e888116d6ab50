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
    'error[NODE_UNSUPPORTED]: oauth needs Node.js ' + describeEngines(NODE_ENGINES) + '; this is Node.js ' + process.versions.node + '.\n' +
      'hint: Install Node.js 24 (LTS), e.g. from https://nodejs.org/ (the README shows how without touching the system).\n',
  );
  process.exit(2);
}

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
  process.on('SIGINT', () => {
    if (cancellation().signal.aborted) process.exit(130);
    cancel.abort(new DOMException('Cancelled', 'AbortError'));
    // Waits that listen to the signal end at once; anything that does not (a read from a terminal) must not keep the
    // user waiting.
    setTimeout(() => process.exit(130), 1500).unref();
  });
  cli.main(argv, cli.processIO(() => cancellation().signal, onStreamError)).then((code) => {
    process.exitCode = code;
    saveCodeCaches();
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
 * and build; NODE_DISABLE_COMPILE_CACHE=1 turns them off. V8 rejects a cache made by another V8 or with other flags,
 * and then a new one is written. A cache is code: it is read only if this user owns it and no one else can write to it.
 * Any failure only means compiling from source, as without a cache.
 */
function loadCli(argv) {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const dist = path.join(__dirname, '..', 'dist');
  const directory = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : cacheDirectory(path);
  const named = argv.find((arg) => !arg.startsWith('-')) || 'program';
  const command = /^[a-z][a-z-]{0,19}$/.test(named) ? named : 'other';
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
    const cacheFile = directory && cacheFileFor(fs, path, directory, file, command);
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

/** cacheDir's rule in src/paths.ts (which lives in the bundle this directory serves), then `code`. */
function cacheDirectory(path) {
  try {
    const xdg = process.env.XDG_CACHE_HOME;
    const home = () => process.env.HOME || process.getBuiltinModule('node:os').homedir();
    const base = xdg && xdg.startsWith('/') ? xdg : path.join(home(), '.cache');
    return path.join(base, 'oauth', 'code');
  } catch {
    return undefined;
  }
}

/**
 * `<file>-<install>-<build>-<command>-<arch>-<V8>.cache`. The install is where the CLI is (two installs used in turn
 * must not remove each other's caches), the build its file's size and time: a cache read for another source would
 * be accepted by V8, which compares only lengths. Caches that differ only in the build are one slot: a new build's
 * replaces the others.
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
    descriptor = fs.openSync(file, 'r');
    const stats = fs.fstatSync(descriptor);
    const own = process.getuid === undefined || (stats.uid === process.getuid() && (stats.mode & 0o022) === 0);
    return own && stats.isFile() ? fs.readFileSync(descriptor) : undefined;
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) fs.closeSync(descriptor);
  }
}

/** Writes a cache atomically, and removes the other builds' caches in its slot. */
function writeCache(fs, path, script, cacheFile) {
  const temporary = `${cacheFile.path}.${process.pid}.tmp`;
  const directory = path.dirname(cacheFile.path);
  try {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temporary, cacheFile.path);
    const { before, after } = cacheFile;
    for (const name of fs.readdirSync(directory)) {
      const build = name.startsWith(before) && name.endsWith(after) ? name.slice(before.length, -after.length) : '';
      const inSlot = /^\d+\.\d+$/.test(build);
      if (inSlot && name !== path.basename(cacheFile.path)) fs.rmSync(path.join(directory, name), { force: true });
    }
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

/** `version` satisfies `range`, written as npm writes engines: `^a.b.c` and `>=a.b.c` alternatives joined by `||`. */
function nodeSupported(version, range) {
  var have = version.split('.').map(Number);
  return range.split('||').some(function (alternative) {
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
  var words = range.split('||').map(function (alternative) {
    var match = /^\s*(\^|>=)(\d+)\.(\d+\.\d+)\s*$/.exec(alternative);
    if (!match) return alternative.trim();
    return match[1] === '^' ? match[2] + '.' + match[3] + ' or a later ' + match[2] + '.x' : match[2] + '.' + match[3] + ' or newer';
  });
  return words.length > 1 ? words.slice(0, -1).join(', ') + ', or ' + words[words.length - 1] : words[0];
}
