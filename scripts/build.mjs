// Bundles the CLI into one CommonJS file, dist/cli.cjs, that bin/oauth.js loads (through dist/code-cache.cjs, built
// beside it). Each module the source imports with `import()` (every command, and what only some runs need) stays a
// lazily-initialised module inside that file, so a run executes only what it uses.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

// What commander's default imports of built-ins resolve to (a change of resolution, not of its source). Its
// node:child_process serves subcommands that are separate programs, which this CLI has none of, and loads ~30 more of
// Node's modules (net, dgram, streams) on every run: a stand-in loads it on first use. The others are the modules
// themselves, written as ES modules so that esbuild does not copy each one's properties into a namespace at start.
const commanderBuiltins = {
  name: 'commander-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:(child_process|fs|path|process)$/ }, ({ path, importer }) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(importer) ? { path, namespace: 'commander-builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'commander-builtin' }, ({ path }) => ({
      contents:
        path === 'node:child_process'
          ? 'export default { spawn: (...args) => require("node:child_process").spawn(...args) };'
          : `export default require("${path}");`,
    }));
  },
};

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', 'code-cache': 'src/startup/code-cache.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  // Whitespace only: traces keep the source's names (no keepNames: nothing reads a function's `name`).
  minifyWhitespace: true,
  // Loaded from node_modules when a run needs them: native code (the keyring), the local server, and the two largest
  // packages (CommonJS undici, prompts that wait for a person anyway), which would make the file every run reads
  // several times larger. The ES-module-only packages every run may need (commander, jose, oauth4webapi…) are
  // bundled: requiring one from node_modules would start Node's ES module loader.
  external: ['@napi-rs/keyring', 'oidc-provider', 'undici', '@inquirer/prompts'],
  plugins: [commanderBuiltins],
  // Their `import()` becomes require() (of ES modules too, on our Nodes): in a vm.Script, import() is experimental.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
