// Bundles the CLI with esbuild. Each command is a dynamic import in src/cli.ts, so code splitting turns every
// command (and the heavy dependencies only it uses) into a chunk that loads only when that command runs.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  // simulated-user has a stable name so tests (and anyone scripting the local server) can run it as BROWSER.
  entryPoints: { cli: 'src/cli.ts', 'simulated-user': 'src/serve/simulated-user.ts' },
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
  logLevel: 'warning',
});
