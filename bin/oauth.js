#!/usr/bin/env node
// The only place that touches process: it hands the real streams to the CLI and turns its result into an exit code.
import module from 'node:module';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`oauth needs Node.js 22 or newer; this is Node.js ${process.versions.node}.\n`);
  process.exit(2);
}
module.enableCompileCache?.();

const { main, processIO } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2), processIO());
