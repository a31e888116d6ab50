#!/usr/bin/env node
// The only place that touches the process: it checks the Node version, loads the CLI, hands it the real streams,
// turns stop signals into a cancellation, and the CLI's result into an exit code.
'use strict';

// First, and in syntax any Node parses: on a Node that our dependencies do not support, say so instead of failing
// somewhere inside them with a stack trace. The range is the intersection of every dependency's `engines` (the
// @inquirer packages need 22.22.2 on 22 and 24.15 on 24, and no 23 or 25); package.json says the same, and a test keeps
// the two equal.
var NODE_ENGINES = '^22.22.2 || ^24.15.0 || >=26.0.0';
if (!nodeSupported(process.versions.node, NODE_ENGINES)) {
  process.stderr.write(
    'error[NODE_UNSUPPORTED]: oauth needs Node.js ' +
      describeEngines(NODE_ENGINES) +
      '; this is Node.js ' +
      process.versions.node +
      '.\n' +
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
  // Node keeps the compiled CLI between runs (NODE_DISABLE_COMPILE_CACHE=1 turns that off).
  require('node:module').enableCompileCache();
  const cli = require('../dist/cli.cjs');
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
    });
}

/** `version` satisfies `range`, written as npm writes engines: `^a.b.c` and `>=a.b.c` alternatives joined by `||`. */
function nodeSupported(version, range) {
  var have = version.split('.').map(Number);
  return range.split('||').some((alternative) => {
    var match = /^\s*(\^|>=)(\d+)\.(\d+)\.(\d+)\s*$/.exec(alternative);
    if (!match) return false;
    var want = [Number(match[2]), Number(match[3]), Number(match[4])];
    if (match[1] === '^' && have[0] !== want[0]) return false;
    for (var part = 0; part < 3; part++) if (have[part] !== want[part]) return have[part] > want[part];
    return true;
  });
}

/** `^22.22.2 || >=26.0.0` in words: "22.22.2 or a later 22.x, or 26.0.0 or newer". */
function describeEngines(range) {
  var words = range.split('||').map((alternative) => {
    var match = /^\s*(\^|>=)(\d+)\.(\d+\.\d+)\s*$/.exec(alternative);
    if (!match) return alternative.trim();
    return match[1] === '^'
      ? match[2] + '.' + match[3] + ' or a later ' + match[2] + '.x'
      : match[2] + '.' + match[3] + ' or newer';
  });
  return words.length > 1 ? words.slice(0, -1).join(', ') + ', or ' + words[words.length - 1] : words[0];
}
