// Bundles the CLI into one CommonJS file, dist/cli.cjs, that bin/oauth.js loads (through dist/code-cache.cjs, built
// beside it). Each module the source imports with `import()` (every command, and what only some runs need) stays a
// lazily-initialised module inside that file, so a run executes only what it uses.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

// commander imports node:child_process for subcommands that are separate programs, which this CLI has none of; that
// import alone loads ~30 more of Node's modules (net, dgram, streams) on every run. So commander, and only commander,
// gets a stand-in that loads the real module on first use: a change of what the import resolves to, not of its source.
const childProcessOnFirstUse = {
  name: 'child-process-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(importer)
        ? { path: 'child_process', namespace: 'on-first-use' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'on-first-use' }, () => ({
      contents: 'module.exports = { spawn: (...args) => require("node:child_process").spawn(...args) };',
    }));
  },
};

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts', 'src/code-cache.ts'],
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  // Whitespace only: traces keep the source's names (no keepNames: nothing reads a function's `name`).
  minifyWhitespace: true,
  // bin/ reads the file as Latin-1, which is faster than UTF-8 and the same for ASCII.
  charset: 'ascii',
  // Loaded from node_modules when a run needs them: native code (the keyring), the local server, and the two largest
  // packages (CommonJS undici, prompts that wait for a person anyway), which would make the file every run reads
  // several times larger. The ES-module-only packages every run may need (commander, jose, oauth4webapi…) are
  // bundled: requiring one from node_modules would start Node's ES module loader.
  external: ['@napi-rs/keyring', 'oidc-provider', 'undici', '@inquirer/prompts'],
  plugins: [childProcessOnFirstUse],
  // `import()` of those packages becomes require() (of an ES module too, on the Nodes we support): bin/ runs the
  // bundle as a script, where import() would need an experimental API.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
