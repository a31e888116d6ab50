// Bundles the CLI with esbuild. Each command is a dynamic import in src/cli.ts, so code splitting turns every
// command (and the heavy dependencies only it uses) into a chunk that loads only when that command runs.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';

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
          : `import { createRequire } from 'node:module';
             let real;
             export default new Proxy({}, { get: (_, key) => (real ??= createRequire(import.meta.url)('node:child_process'))[key] });`,
    }));
  },
};

/**
 * An ESM import of a built-in evaluates every named export, so `import { readFileSync } from 'node:fs'` also loads
 * fs/promises (and with it readline), and node:stream loads stream/promises. Required as CommonJS (the banner
 * defines require), a built-in's lazy members stay lazy.
 */
/** Getters on built-ins that load whole subsystems when read: the promise APIs, fs's stream classes, process's streams. */
const LAZY_GETTERS = new Set(['promises', 'ReadStream', 'WriteStream', 'FileReadStream', 'FileWriteStream', 'stdin', 'stdout', 'stderr']);

const builtinsAsRequire = {
  name: 'builtins-as-require',
  setup(pluginBuild) {
    // One wrapper per importer, so each stays inside its importer's chunk instead of becoming a file of its own.
    // Only ESM import statements: CommonJS code (undici) requires built-ins itself, and needs module.exports as is.
    pluginBuild.onResolve({ filter: /^node:[a-z_/]+$/ }, (args) =>
      args.namespace === 'builtin-cjs' || args.kind !== 'import-statement' ? undefined : { path: `${args.path}?${args.importer}`, namespace: 'builtin-cjs' },
    );
    // Named exports are read once from the module — all but the lazy getters above; code that wants the promise API
    // imports node:fs/promises. This also spares esbuild's CommonJS interop, which copies every property of every
    // built-in on load.
    pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => {
      const name = args.path.split('?')[0];
      const builtin = createRequire(import.meta.url)(name);
      const names = Object.keys(builtin).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default' && !LAZY_GETTERS.has(key));
      return {
        loader: 'js',
        contents: `const m = require(${JSON.stringify(name)});\nexport default m;\n${names.map((key) => `export const ${key} = m.${key};`).join('\n')}\n`,
      };
    });
  },
};

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  // simulated-user has a stable name so tests (and anyone scripting the local server) can run it as BROWSER.
  entryPoints: { cli: 'src/cli.ts', version: 'src/version.ts', 'simulated-user': 'src/serve/simulated-user.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minifySyntax: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  // commander and undici still call require() for node: built-ins; an ESM bundle has no require unless we define one.
  banner: { js: "import { createRequire as __oauthCreateRequire } from 'node:module'; const require = __oauthCreateRequire(import.meta.url);" },
  // Native or server-only packages are loaded from node_modules at run time, never bundled.
  external: ['@napi-rs/keyring', 'oidc-provider', 'playwright-core'],
  plugins: [lazyBuiltinsForCommander, builtinsAsRequire],
  logLevel: 'warning',
});
