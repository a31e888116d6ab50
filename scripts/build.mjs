// Bundles the CLI with esbuild into CommonJS code that bin/oauth.js runs:
// - dist/cli.js: what every run needs (src/cli.ts and what it imports statically: commander, the command registry,
//   context, output, errors) and the `decode` and `token` commands, one file.
// - dist/lazy.js: every other module of ours, one file, loaded the first time a run needs any of it. Each module in
//   it is initialized only when imported, so `oauth check` runs none of `oauth serve`'s code.
// - dist/vendor/*.js: each heavy dependency bundled on its own, required by the code that needs it when that runs.
// - dist/version.cjs: `oauth --version` without the CLI. dist/simulated-user.js: the test and demo browser.
// bin/ runs these from V8 code caches it keeps (see there). Measured on `oauth decode`, against
// `node -e 0`: the same code as ES module chunks 1.21×, as one CommonJS file with everything 1.17×, as a hot file of
// 180 kB with a code cache 1.12×. Start-up is proportional to the size of what is loaded, so the hot file holds only
// the hot path.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';

/**
 * commander imports node:child_process (for executable subcommands, which we do not use) and node:util (for help
 * layout) at the top of its module. Loading child_process pulls in net, dgram and spawn bindings: a large share of
 * our start-up. Inside commander only, both become lazy: the real module loads on first use. Its default imports of
 * node:fs, node:path and node:process are handed the module itself: esbuild's interop would copy every property of
 * each, and reading node:fs's property descriptors loads parts of fs that commander never uses.
 */
const lazyBuiltinsForCommander = {
  name: 'lazy-builtins-for-commander',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:(child_process|util|fs|path|process)$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: args.path, namespace: 'commander-builtin' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'commander-builtin' }, (args) => {
      if (args.path === 'node:util') {
        // Loading node:util for this one function costs more than the help it lays out; this is Node's own pattern.
        return {
          loader: 'js',
          contents: `const ANSI = /[\\u001B\\u009B][[\\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]+)*|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]*)*)?(?:\\u0007|\\u001B\\u005C|\\u009C))|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-ntqry=><~]))/g;
             export const stripVTControlCharacters = (text) => text.replace(ANSI, '');`,
        };
      }
      if (args.path === 'node:child_process') {
        return {
          loader: 'js',
          contents: `let real;\nexport default new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });`,
        };
      }
      return { loader: 'js', contents: `export default require(${JSON.stringify(args.path)});` };
    });
  },
};

/**
 * commander tests every option's flags against /\p{ID_Continue}\.\.\.[>\]]$/u, and V8 builds ICU's ID_Continue set
 * the first time: a millisecond of every run. Our flags are ASCII, where ID_Continue is exactly \w. The build fails
 * if a commander upgrade changes the line, rather than ship without the substitution.
 */
const asciiOptionPattern = {
  name: 'ascii-option-pattern',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]option\.js$/ }, async (args) => {
      const source = readFileSync(args.path, 'utf8');
      const unicode = '/\\p{ID_Continue}\\.\\.\\.[>\\]]$/u';
      if (!source.includes(unicode))
        throw new Error(`commander's option.js no longer contains ${unicode}; review asciiOptionPattern`);
      return { loader: 'js', contents: source.replace(unicode, '/\\w\\.\\.\\.[>\\]]$/') };
    });
  },
};

/** The source files an entry imports statically, directly or not: what every run of the CLI loads. */
async function staticClosure(entry) {
  const dynamicImportsExternal = {
    name: 'dynamic-imports-external',
    setup: (pluginBuild) =>
      pluginBuild.onResolve({ filter: /.*/ }, (args) =>
        args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
      ),
  };
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
    plugins: [dynamicImportsExternal],
  });
  return new Set(Object.keys(metafile.inputs).map((input) => resolve(input)));
}

/** A module's id across the two files: its path from the project root. */
const moduleId = (path) => relative(resolve('.'), path).split('\\').join('/');
const sourceFile = (resolveDir, specifier) => resolve(resolveDir, specifier.replace(/\.js$/, '.ts'));

/**
 * In the hot file, a dynamic import of any other module of ours asks lazy.js for it. bin/ passes `__oauthLazy`,
 * which loads lazy.js once; `modules[id]()` initializes the module and returns its exports.
 */
function lazyModulesFromLazyFile(hotPath, lazyIds) {
  return {
    name: 'lazy-modules-from-lazy-file',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const target = sourceFile(args.resolveDir, args.path);
        if (hotPath.has(target)) return undefined;
        lazyIds.add(moduleId(target));
        return { path: moduleId(target), namespace: 'lazy-module' };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => ({
        loader: 'js',
        contents: `module.exports = __oauthLazy().modules[${JSON.stringify(args.path)}]();`,
      }));
    },
  };
}

/**
 * In the lazy file, an import of a hot module takes the one instance in the hot file (`__oauthHot`, passed by bin/):
 * a second copy of errors.ts would be a second CliError class, and `instanceof` would fail between them.
 */
function hotModulesFromHotFile(hotPath, used) {
  return {
    name: 'hot-modules-from-hot-file',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\./ }, (args) => {
        const target = sourceFile(args.resolveDir, args.path);
        if (!hotPath.has(target)) return undefined;
        used.add(moduleId(target));
        return { path: moduleId(target), namespace: 'hot-module' };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: 'hot-module' }, (args) => ({
        loader: 'js',
        contents: `module.exports = __oauthHot.hotModules[${JSON.stringify(args.path)}];`,
      }));
    },
  };
}

/** Heavy dependencies: each is bundled into dist/vendor/<file> and required from there when first needed. */
const VENDORS = {
  undici: 'undici.js',
  jose: 'jose.js',
  oauth4webapi: 'oauth4webapi.js',
  chalk: 'chalk.js',
  '@inquirer/prompts': 'prompts.js',
  open: 'open.js',
};
/** Native or server-only packages: required from node_modules at run time, never bundled. */
const UNBUNDLED = ['@napi-rs/keyring', 'oidc-provider', 'playwright-core'];

/**
 * A dependency is imported through a CommonJS shim that requires it, whether the import is static or dynamic: esbuild
 * keeps an external `import()` as is, and an `import()` in code that bin/ compiles itself (to keep its code cache)
 * would go through Node's experimental loader hook. Requiring also loads it when the importing module initializes,
 * not before.
 */
const dependenciesRequired = {
  name: 'dependencies-required',
  setup(pluginBuild) {
    const packages = [...Object.keys(VENDORS), ...UNBUNDLED];
    pluginBuild.onResolve({ filter: /^[@a-z]/ }, (args) =>
      packages.includes(args.path) && args.namespace === 'file'
        ? { path: args.path, namespace: 'required' }
        : undefined,
    );
    pluginBuild.onResolve({ filter: /.*/, namespace: 'required' }, (args) =>
      VENDORS[args.path] ? { path: args.path, namespace: 'vendor-file' } : { path: args.path, external: true },
    );
    // Written as an ES module: esbuild then maps `default` to a package's default export, whether require() returns
    // an ES module's namespace (oidc-provider), a bundle marked __esModule (dist/vendor) or a CommonJS module.exports.
    pluginBuild.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({
      loader: 'js',
      contents: `export * from ${JSON.stringify(args.path)};\nexport { default } from ${JSON.stringify(args.path)};`,
    }));
    // A bundled dependency is required by absolute path: __dirname is dist/ (bin/ passes it).
    pluginBuild.onLoad({ filter: /.*/, namespace: 'vendor-file' }, (args) => ({
      loader: 'js',
      contents: `module.exports = require(require('node:path').join(__dirname, 'vendor', ${JSON.stringify(VENDORS[args.path])}));`,
    }));
  },
};

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
// A CommonJS file has no import.meta; the code that asks (createRequire, a package finding its own files) gets the
// file's URL, worked out when asked.
const IMPORT_META =
  "const __oauthImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };";
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  minifySyntax: true,
  // Reading the bundle into a string is a tenth of a start, and whitespace is a third of it; names stay, for --debug.
  minifyWhitespace: true,
  legalComments: 'none',
  define: { 'import.meta': '__oauthImportMeta' },
  banner: { js: IMPORT_META },
  logLevel: 'warning',
};
/**
 * The bundles bin/ runs are function expressions that take the module's variables, as Node's own CommonJS wrapper
 * does: bin/ hands the file's text to V8 as it is, since adding a wrapper at run time copied each bundle once more
 * (a tenth of a start for the hot one). Strict, as the ES modules they come from.
 */
const runByBin = {
  banner: {
    js: `// Run by bin/oauth.js, which passes these parameters: not a module.\n(function (exports, require, module, __filename, __dirname, __oauthLazy, __oauthHot) {'use strict';${IMPORT_META}`,
  },
  footer: { js: '})' },
};
const plugins = [lazyBuiltinsForCommander, asciiOptionPattern, dependenciesRequired];
const entry = resolve('src/cli.ts');
// The commands scripts run in loops are loaded by `import()` like every other, but from the hot file, not lazy.js.
const HOT_COMMANDS = ['src/commands/decode.ts', 'src/commands/token.ts'];
const closures = await Promise.all([entry, ...HOT_COMMANDS.map((path) => resolve(path))].map(staticClosure));
const hotPath = new Set(closures.flatMap((closure) => [...closure]));
const hotBuild = (hotModules, lazyIds, write) => {
  // The hot file exports cli.ts's exports and, by id, the exports of each hot module the lazy file imports.
  const contents = [
    `export * from ${JSON.stringify(entry)};`,
    ...hotModules.map((id, index) => `import * as m${index} from ${JSON.stringify(resolve(id))};`),
    `export const hotModules = { ${hotModules.map((id, index) => `${JSON.stringify(id)}: m${index}`).join(', ')} };`,
  ].join('\n');
  return build({
    ...common,
    write,
    stdin: { contents, resolveDir: '.', loader: 'ts', sourcefile: 'hot-entry.ts' },
    ...runByBin,
    outfile: 'dist/cli.js',
    plugins: [...plugins, lazyModulesFromLazyFile(hotPath, lazyIds)],
  });
};
// Which modules the hot file imports dynamically decides what the lazy file holds, and that decides which hot modules
// the hot file must export: a first pass finds the former.
const lazyIds = new Set();
await hotBuild([], lazyIds, false);
// The lazy file: each module that the hot file imports dynamically, initialized on first request. The modules those
// import, statically or not, come along.
const hotIdsUsed = new Set();
const lazyEntry = `export const modules = { ${[...lazyIds].map((id) => `${JSON.stringify(id)}: () => require(${JSON.stringify(resolve(id))})`).join(', ')} };`;
await build({
  ...common,
  stdin: { contents: lazyEntry, resolveDir: '.', loader: 'js', sourcefile: 'lazy-entry.js' },
  ...runByBin,
  outfile: 'dist/lazy.js',
  plugins: [...plugins, hotModulesFromHotFile(hotPath, hotIdsUsed)],
});
await hotBuild([...hotIdsUsed].sort(), new Set(), true);
await build({
  ...common,
  entryPoints: { version: 'src/print-version.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  plugins,
});
for (const [name, file] of Object.entries(VENDORS)) {
  const reexport = `export * from ${JSON.stringify(name)};${'default' in (await import(name)) ? ` export { default } from ${JSON.stringify(name)};` : ''}`;
  await build({
    ...common,
    stdin: { contents: reexport, resolveDir: '.', loader: 'js' },
    ...runByBin,
    outfile: `dist/vendor/${file}`,
    external: UNBUNDLED,
  });
}
// The simulated user is run as a program (tests and scripts set it as BROWSER), so its name is stable.
await build({
  ...common,
  format: 'esm',
  define: {},
  banner: {
    js: "import { createRequire as __oauthCreateRequire } from 'node:module'; const require = __oauthCreateRequire(import.meta.url);",
  },
  entryPoints: { 'simulated-user': 'src/serve/simulated-user.ts' },
  outdir: 'dist',
});
