#!/usr/bin/env node
// The only place that touches the process: it hands the real streams to the CLI, turns Ctrl-C into a cancellation,
// and turns the CLI's result into an exit code.
import module from 'node:module';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`oauth needs Node.js 22 or newer; this is Node.js ${process.versions.node}.\n`);
  process.exit(2);
}
module.enableCompileCache?.();

// A reader that goes away (`oauth decode … | head`) is not an error: stop quietly, as other Unix tools do.
const onStreamError = (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
};

// `oauth --version` is asked by scripts and version checks: answer it without loading the CLI at all.
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  const { printVersion } = await import('../dist/version.js');
  printVersion(onStreamError);
} else {
  const { main, processIO } = await import('../dist/cli.js');
  const cancel = new AbortController();
  process.on('SIGINT', () => {
    if (cancel.signal.aborted) process.exit(130);
    cancel.abort(new DOMException('Cancelled', 'AbortError'));
    // Waits that listen to the signal end at once; anything that does not (a read from a terminal) must not keep the
    // user waiting.
    setTimeout(() => process.exit(130), 1500).unref();
  });
  process.exitCode = await main(process.argv.slice(2), processIO(cancel.signal, onStreamError));
}
