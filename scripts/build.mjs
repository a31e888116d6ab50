// Bundles the CLI into one CommonJS file, dist/cli.cjs, that bin/oauth.js loads. Each module the source imports with
// `import()` (every command, and what only some runs need) stays a lazily-initialised module inside that file, so a
// run executes only what it uses.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  minifyWhitespace: true,
  // Class and function names are what error reports and --debug traces show.
  keepNames: true,
  // Loaded from node_modules when a run needs them: native code (the keyring), the local server, and the two largest
  // packages (CommonJS undici, prompts that wait for a person anyway), which would make the file every run reads
  // several times larger. The ES-module-only packages every run may need (commander, jose, oauth4webapi…) are
  // bundled: requiring one from node_modules would start Node's ES module loader.
  external: ['@napi-rs/keyring', 'oidc-provider', 'undici', '@inquirer/prompts'],
  logLevel: 'warning',
});
