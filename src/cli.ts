// Builds the commander program from the command table. Start-up is the tool's speed, so only the command being run
// gets its options and help, and what only some runs need is imported with `import()` where it is used: in the one
// bundle (dist/cli.cjs) such a module is initialised when first imported, so `oauth --help` and `oauth decode` never
// run the HTTP stack or the protocol library.
import { Command, CommanderError } from 'commander';
import { COMMANDS, DEFAULT_TIMEOUT_SECONDS, PROGRAM_HELP } from './commands/definitions.js';
import { createContext, type Context, type GlobalOptions } from './commands/context.js';
import { asCliError, CliError } from './errors.js';
import type { IO } from './term/io.js';
import { createOutput } from './term/output.js';

import packageJson from '../package.json' with { type: 'json' };

export { processIO } from './term/io.js';

const increase = (_value: string, previous = 0) => previous + 1;
/** Global options that take a value: their value is not a command name. */
const GLOBAL_OPTIONS_WITH_VALUES = new Set(['--timeout', '--ca-file', '--profile']);

/** The command the arguments name (for `help <command>`, that command), or undefined for the program itself. */
export function invokedCommand(argv: string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') return undefined;
    if (GLOBAL_OPTIONS_WITH_VALUES.has(arg)) {
      index++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg === 'help' ? argv.slice(index + 1).find((next) => !next.startsWith('-')) : arg;
  }
  return undefined;
}

const isCommand = (name: string | undefined) => COMMANDS.some((spec) => spec.name === name);

/** Where `help` stands as the command word (`oauth help decode`), or -1. */
function helpIndex(argv: string[]): number {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') return -1;
    if (GLOBAL_OPTIONS_WITH_VALUES.has(arg)) {
      index++;
      continue;
    }
    if (!arg.startsWith('-')) return arg === 'help' ? index : -1;
  }
  return -1;
}

export async function main(argv: string[], io: IO): Promise<number> {
  let exitCode = 0;
  let context: Context | undefined;
  let usageMessage: string | undefined;

  const program = new Command('oauth')
    .description(
      'Debug OAuth 2.0 and OpenID Connect from the terminal: decode and verify tokens, sign in, audit configurations.',
    )
    .version(packageJson.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--json', 'print one JSON document on stdout (errors as JSON on stderr)')
    .option('--no-color', 'never color the output (also: NO_COLOR=1)')
    .option('-v, --verbose', 'trace HTTP exchanges on stderr, redacted (-vv adds bodies)', increase, 0)
    .option(
      '--timeout <seconds>',
      `give up on a server after this long (default ${DEFAULT_TIMEOUT_SECONDS}; env OAUTH_TIMEOUT)`,
    )
    .option('--ca-file <pem>', 'trust these extra certificate authorities (env OAUTH_CA_FILE)')
    .option('--insecure', 'allow plain http to hosts that are not loopback')
    .option('--profile <name>', 'profile from the config file (default "default"; env OAUTH_PROFILE)')
    .option('--debug', 'print stack traces for errors (also: OAUTH_DEBUG=1)')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Every answer comes from io: commander's defaults ask process.stdout, and creating that stream for a pipe costs
    // more than the rest of `oauth --help`. Help is plain text, so it never needs colors.
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Off a terminal, undefined: commander's own default there (it then lays help out for 80 columns).
      getOutHelpWidth: () => io.stdoutColumns as number,
      getErrHelpWidth: () => io.stderrColumns as number,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      outputError: (text) => {
        // Commander's own text, on one line: "unknown command 'tokn' (Did you mean token?)".
        usageMessage = text
          .replace(/^error:\s*/, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ');
      },
    })
    .addHelpText('after', PROGRAM_HELP);

  const invoked = invokedCommand(argv);
  // A known command is the only one registered: building the other sixteen is most of commander's share of a run.
  // Without one (`oauth --help`, a typo that needs suggestions) every command is there.
  const known = isCommand(invoked);
  for (const spec of COMMANDS) {
    if (known && spec.name !== invoked) continue;
    const command = program.command(spec.name).summary(spec.summary);
    for (const [argument, description] of spec.args ?? []) command.argument(argument, description);
    if (spec.name === invoked) spec.details?.(command);
    command.action(async (...params: unknown[]) => {
      const self = params.at(-1) as Command;
      const options = params.at(-2) as Record<string, unknown>;
      refuseBlankFlags(self.optsWithGlobals());
      context = await createContext(io, self.optsWithGlobals<GlobalOptions>());
      const { args, flags } = withoutUrlCredentials(
        context,
        params.slice(0, -2) as Array<string | undefined>,
        options,
        spec.auditedUrlFlags,
      );
      exitCode = await spec.run(args, flags, context);
    });
  }

  try {
    // commander answers `help <unknown>` with the program's help and exit 0; without the `help` word the unknown
    // command is the usage error (exit 2, with suggestions) that `oauth <unknown>` is.
    const help = helpIndex(argv);
    const parsed = help >= 0 && invoked !== undefined && !known ? argv.filter((_, index) => index !== help) : argv;
    await program.parseAsync(parsed, { from: 'user' });
  } catch (error) {
    exitCode = await report(error, context, io, argv, usageMessage);
  } finally {
    await context?.close().catch(() => undefined);
  }
  return exitCode;
}

/**
 * A flag given with an empty or blank value (--timeout '', --audience " ") is a mistake to say, not a flag to drop:
 * dropped, the environment's, the profile's or the default value would apply in its place unannounced. (An empty
 * environment variable, by contrast, is unset: that is how a variable is cleared for one command.)
 */
function refuseBlankFlags(options: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(options)) {
    if (![value].flat().some((item) => typeof item === 'string' && item.trim() === '')) continue;
    const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    throw new CliError('USAGE', `${flag} was given an empty value.`, {
      hint: `Give ${flag} a value, or leave it out.`,
    });
  }
}

/** Every URL the user gave loses its user:password@ before a command sees it (see Context.withoutUrlCredentials). */
function withoutUrlCredentials(
  context: Context,
  args: Array<string | undefined>,
  options: Record<string, unknown>,
  audited: string[] = [],
) {
  const clean = (value: unknown, origin: string): unknown => {
    if (typeof value === 'string') return context.withoutUrlCredentials(value, origin);
    return Array.isArray(value) ? value.map((item) => clean(item, origin)) : value;
  };
  for (const key of audited) for (const value of [options[key]].flat()) context.registerUrlCredentials(value);
  const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
  return {
    args: args.map((arg) => clean(arg, 'the command line') as string | undefined),
    flags: Object.fromEntries(
      Object.entries(options).map(([key, value]) => [key, audited.includes(key) ? value : clean(value, flagName(key))]),
    ),
  };
}

async function report(
  error: unknown,
  context: Context | undefined,
  io: IO,
  argv: string[],
  usageMessage: string | undefined,
): Promise<number> {
  const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync'];
  if (error instanceof CommanderError && quiet.includes(error.code)) return 0;
  if (error instanceof CommanderError) {
    // An unknown command's help does not exist: point at the program's.
    const invoked = invokedCommand(argv);
    const command = isCommand(invoked) ? invoked : undefined;
    error = new CliError('USAGE', usageMessage ?? error.message.replace(/^error:\s*/, ''), {
      hint: `Run "oauth${command ? ` ${command}` : ''} --help" for usage.`,
    });
  }
  // A failure that a Ctrl-C caused (a pipe whose writer it ended, a wait it cut short) is the cancellation it was. A
  // signal that arrived during synchronous work is handed to JavaScript in the loop's poll phase: a timer alone may fire
  // before that phase, so wait for a timer and then an immediate, which runs only after a poll phase has passed.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setImmediate(resolve));
  const failure =
    io.signal.aborted && !(error instanceof CommanderError)
      ? new CliError('CANCELLED', 'Cancelled.')
      : asCliError(error);
  const out =
    context?.out ??
    (await createOutput(io, {
      json: argv.includes('--json'),
      color: argv.includes('--no-color') ? false : undefined,
      debug: argv.includes('--debug') || io.env.OAUTH_DEBUG === '1',
      verbosity: 0,
    }));
  out.error(failure);
  return failure.exitCode;
}
