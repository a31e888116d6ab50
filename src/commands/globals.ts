// The options every command takes, defined once: the program's help lists them, each command's help lists them as
// global options, and the context reads them.
import { DEFAULT_TIMEOUT_SECONDS } from '../settings/duration.js';
import { counted, flag, type FlagValues, option } from './define.js';

export const GLOBAL_FLAGS = {
  json: flag('--json', 'print one JSON document on stdout (errors as JSON on stderr)'),
  color: flag('--no-color', 'never color the output (also: NO_COLOR=1)'),
  verbose: counted('-v, --verbose', 'trace HTTP exchanges on stderr, redacted (-vv adds bodies)'),
  timeout: option(
    '--timeout <seconds>',
    `give up on a server after this long (default ${DEFAULT_TIMEOUT_SECONDS}; env OAUTH_TIMEOUT)`,
  ),
  caFile: option('--ca-file <pem>', 'trust these extra certificate authorities (env OAUTH_CA_FILE)'),
  insecure: flag('--insecure', 'allow plain http to hosts that are not loopback'),
  profile: option('--profile <name>', 'profile from the config file (default "default"; env OAUTH_PROFILE)'),
  debug: flag('--debug', 'print stack traces for errors (also: OAUTH_DEBUG=1)'),
};

export type GlobalFlags = FlagValues<typeof GLOBAL_FLAGS>;
