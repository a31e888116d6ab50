// Bundles the CLI with esbuild. Each command is a dynamic import in src/cli.ts, so code splitting turns every
// command (and the heavy dependencies only it uses) into a chunk that loads only when that command runs.
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

/**
 * commander imports node:child_process (for executable subcommands, which we do not use) and node:util (for help
 * layout) at the top of its module. Loading child_process pulls in net, dgram and spawn bindings: a large share of
 * our start-up. Inside commander only, both become lazy: the real module loads on first use.
 */
const lazyBuiltinsForCommander = {
  name: 'lazy-builtins-for-commander',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:(child_process|util)$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      loader: 'js',
      contents:
        args.path === 'node:util'
          ? // Loading node:util for this one function costs more than the help it lays out; this is Node's own pattern.
            `const ANSI = /[\\u001B\\u009B][[\\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]+)*|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]*)*)?(?:\\u0007|\\u001B\\u005C|\\u009C))|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-ntqry=><~]))/g;
             export const stripVTControlCharacters = (text) => text.replace(ANSI, '');`
          : // \`require\` is the one every chunk's banner defines.
            `let real;
             export default new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });`,
    }));
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
      if (!source.includes(unicode)) throw new Error(`commander's option.js no longer contains ${unicode}; review asciiOptionPattern`);
      return { loader: 'js', contents: source.replace(unicode, '/\\w\\.\\.\\.[>\\]]$/') };
    });
  },
};

/**
 * An ESM import of a built-in evaluates every named export, so `import { readFileSync } from 'node:fs'` also loads
 * fs/promises (and with it readline), node:crypto loads WebCrypto, and node:process loads its report and finalization
 * machinery. Required as CommonJS (the banner defines require), a built-in's lazy members stay lazy.
 */
/** The names an importer's `import { a, b as c } from '<specifier>'` statements bring in (none for our own shims). */
function namesImported(importer, specifier) {
  if (!existsSync(importer)) return new Set();
  const source = readFileSync(importer, 'utf8');
  const quoted = specifier.replace(/[/]/g, '\\/');
  const statements = source.matchAll(new RegExp(`import\\s+(?:type\\s+)?(?:[\\w$]+\\s*,\\s*)?\\{([^}]*)\\}\\s*from\\s*['"]${quoted}['"]`, 'g'));
  const names = new Set();
  for (const [, list] of statements) {
    for (const item of list.split(',')) {
      const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0];
      if (name) names.add(name);
    }
  }
  return names;
}

/** Whether an importer takes a module's whole namespace (`import * as x from '<specifier>'`), or we cannot read it. */
function importsNamespace(importer, specifier) {
  if (!existsSync(importer)) return true;
  const quoted = specifier.replace(/[/]/g, '\\/');
  return new RegExp(`import\\s+\\*\\s+as\\s+[\\w$]+\\s+from\\s*['"]${quoted}['"]`).test(readFileSync(importer, 'utf8'));
}

const builtinsAsRequire = {
  name: 'builtins-as-require',
  setup(pluginBuild) {
    // One wrapper per importer, so each stays inside its importer's chunk instead of becoming a file of its own.
    // Only ESM import statements: CommonJS code (undici) requires built-ins itself, and needs module.exports as is.
    pluginBuild.onResolve({ filter: /^node:[a-z_/]+$/ }, (args) =>
      args.namespace === 'builtin-cjs' || args.kind !== 'import-statement' ? undefined : { path: `${args.path}?${args.importer}`, namespace: 'builtin-cjs' },
    );
    // Named exports are read once from the module, and only those the importer names: every getter on a built-in is
    // there to load something late (fs.promises, crypto.webcrypto, process.stdout, process.report…), and every other
    // name is top-level code each run executes (node:fs has about a hundred). A name missed here fails the build
    // ("No matching export"). An importer that takes the namespace (`import * as`) gets every data property. This
    // also spares esbuild's CommonJS interop, which copies every property of every built-in on load.
    pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => {
      const name = args.path.split('?')[0];
      const importer = args.path.slice(name.length + 1);
      const builtin = createRequire(import.meta.url)(name);
      const wanted = namesImported(importer, name);
      const wholeNamespace = importsNamespace(importer, name);
      const isData = (key) => !Object.getOwnPropertyDescriptor(builtin, key)?.get;
      const names = Object.keys(builtin).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default' && (wanted.has(key) || (wholeNamespace && isData(key))));
      return {
        loader: 'js',
        contents: `const m = require(${JSON.stringify(name)});\nexport default m;\n${names.map((key) => `export const ${key} = m.${key};`).join('\n')}\n`,
      };
    });
  },
};

/** The source files an entry imports statically, directly or not: what every run of the CLI loads. */
async function staticClosure(entry) {
  const dynamicImportsExternal = {
    name: 'dynamic-imports-external',
    setup: (pluginBuild) => pluginBuild.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined)),
  };
  const { metafile } = await build({ entryPoints: [entry], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent', plugins: [dynamicImportsExternal] });
  return new Set(Object.keys(metafile.inputs).map((input) => resolve(input)));
}

/**
 * esbuild puts a module shared by several entries (dynamic imports count as entries) into a chunk per set of
 * importers, so the hot path came in 16 files. Every other source file importing the hot path's root makes that set
 * the same for all of the hot path: one chunk. The hot path never imports those files statically, so no cycle arises.
 * A dynamic import of a hot-path module would make it an entry, and a chunk, of its own: that fails the build.
 */
function importsHotPath(root, hotPath) {
  return {
    name: 'imports-hot-path',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        if (target === root || !hotPath.has(target)) return undefined;
        return { errors: [{ text: `${args.path} is on the hot path (src/cli.ts imports it statically): import it statically here too` }] };
      });
      pluginBuild.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) =>
        hotPath.has(args.path) ? undefined : { loader: 'ts', contents: `${readFileSync(args.path, 'utf8')}\nimport ${JSON.stringify(root)};\n` },
      );
    },
  };
}

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
const common = {
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minifySyntax: true,
  legalComments: 'none',
  // commander and undici still call require() for node: built-ins; an ESM bundle has no require unless we define one.
  banner: { js: "import { createRequire as __oauthCreateRequire } from 'node:module'; const require = __oauthCreateRequire(import.meta.url);" },
  // Native or server-only packages are loaded from node_modules at run time, never bundled.
  external: ['@napi-rs/keyring', 'oidc-provider', 'playwright-core'],
  plugins: [lazyBuiltinsForCommander, builtinsAsRequire, asciiOptionPattern],
  logLevel: 'warning',
};
// The CLI is one build of its own, split at its dynamic imports: each command off the hot path and each heavy
// dependency becomes a chunk that loads only when needed. Each module Node loads costs more than compiling its code as
// part of a bigger file (measured with callgrind: ~0.6M instructions a module, ~4% of a start), so what every run needs
// must be one chunk, not one per combination of importers (esbuild's default).
const entry = 'src/cli.ts';
const hotPath = await staticClosure(entry);
await build({ ...common, entryPoints: { cli: entry }, splitting: true, chunkNames: 'chunks/[name]-[hash]', plugins: [...common.plugins, importsHotPath(resolve(entry), hotPath)] });
// `oauth --version` (bin/ loads it alone) and the simulated user (tests and scripts run it as BROWSER, so its name is
// stable) stand alone.
await build({ ...common, entryPoints: { version: 'src/print-version.ts', 'simulated-user': 'src/serve/simulated-user.ts' }, splitting: false });
