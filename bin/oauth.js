#!/usr/bin/env node
// The only place that touches the process: it checks the Node version, loads the CLI, hands it the real streams,
// turns stop signals into a cancellation, and the CLI's result into an exit code.
'use strict';

// First, and in syntax any Node parses: on a Node that our dependencies do not support, say so instead of failing
// somewhere inside them with a stack trace. The range is the intersection of every dependency's `engines` (the
// @inquirer packages need 22.22.2 on 22 and 24.15 on 24, and no 23 or 25); package.json says the same, and a test keeps
// the two equal. Each alternative is `^a.b.c` (a.b.c or a later a.x) or `>=a.b.c`.
var NODE_ENGINES = '^22.22.2 || ^24.15.0 || >=26.0.0';
var ranges = NODE_ENGINES.split(' || ');
var have = process.versions.node.split('.').map(Number);
var supported = ranges.some(function (range) {
  var want = range.replace(/^\D+/, '').split('.').map(Number);
  if (range[0] === '^' && have[0] !== want[0]) return false;
  return (have[0] - want[0] || have[1] - want[1] || have[2] - want[2]) >= 0;
});
if (!supported) {
  var words = ranges.map(function (range) {
    var version = range.replace(/^\D+/, '');
    return range[0] === '^' ? version + ' or a later ' + version.split('.')[0] + '.x' : version + ' or newer';
  });
  var needs = words.slice(0, -1).join(', ') + ', or ' + words[words.length - 1];
  process.stderr.write(
    `error[NODE_UNSUPPORTED]: oauth needs Node.js ${needs}; this is Node.js ${process.versions.node}.\n` +
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
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Scripts ask this in loops: answered without loading the CLI.
  const version = `${require('../package.json').version}\n`;
  try {
    require('node:fs').writeSync(1, version);
  } catch (error) {
    if (error.code === 'EAGAIN') process.stdout.write(version);
    else onStreamError(error);
  }
} else {
  // The compiled CLI is kept between runs (src/startup/code-cache.ts; NODE_DISABLE_COMPILE_CACHE=1 turns that off). The
  // bundle's packages resolve from bin/ as from dist/, its sibling: it gets this file's require.
  const dist = require('node:path').join(__dirname, '..', 'dist');
  const codeCache = require(`${dist}/code-cache.cjs`);
  const loaded = codeCache.loadWithCodeCache(`${dist}/cli.cjs`, codeCache.cacheFor(argv, process.env), require);
  const cli = loaded.exports;
  let cancel;
  const cancellation = () => {
    if (!cancel) cancel = new AbortController();
    return cancel;
  };
  const abort = () => {
    cancellation().abort(new DOMException('Cancelled', 'AbortError'));
    // Waits that listen to the signal end at once; anything that does not (a read from a terminal) must not keep the
    // user waiting.
    setTimeout(() => process.exit(130), 1500).unref();
  };
  // Work that must finish once begun (see IO.shield) holds a Ctrl-C until it ends; a second Ctrl-C ends the run anyway.
  let shielded = 0;
  let held = false;
  const shield = async (work) => {
    shielded++;
    try {
      return await work();
    } finally {
      shielded--;
      if (shielded === 0 && held) abort();
    }
  };
  const stop = () => {
    if (cancellation().signal.aborted || held) process.exit(130);
    if (shielded > 0) {
      held = true;
      process.stderr.write(
        'Finishing what the server has already received, so nothing is lost (stop again to quit at once, which may lose it)…\n',
      );
      return;
    }
    abort();
  };
  // Ctrl-C, and the ways other programs stop a run (timeout, CI cancellation, systemd, a closed terminal), alike.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);
  cli
    .main(
      argv,
      cli.processIO(() => cancellation().signal, onStreamError, shield),
    )
    .then((code) => {
      // A Ctrl-C held until shielded work ended is still a cancellation (for `serve`, Ctrl-C is the normal stop: its own).
      process.exitCode = held ? 130 : code;
      // A usage error (a typo, an unknown option) ran no command's usual path: not worth a cache.
      if (code !== 2) loaded.save();
    });
}
