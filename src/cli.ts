// Builds the commander program from the registry and the command being run. Start-up is the tool's speed: `oauth --help`
// loads no command module, and a run loads the one it runs (its definition holds its flags, help and code). What only
// some runs need is imported with `import()` where it is used: in the one bundle (dist/cli.cjs) such a module is
// initialised when first imported, so `oauth --help` and `oauth decode` never run the HTTP stack or the protocol library.
import { refuseSharedStdin, stdinReaders } from './commands/shared/stdin-readers.js';
import { Command, CommanderError } from 'commander';
import { addCommand, argumentValues, commanderOption, flagValues, refuseBlankFlags } from './commands/commander.js';
import type {
  ArgumentDefinitions,
  ArgumentValues,
  CommandDefinition,
  FlagDefinitions,
  FlagValues,
} from './commands/define.js';
import { flagParts } from './commands/define.js';
import { createContext, type Context } from './commands/context.js';
import { GLOBAL_FLAGS, type GlobalFlags } from './commands/globals.js';
import { COMMANDS, findCommand, PROGRAM } from './commands/index.js';
import { helpIndex, invokedCommand } from './commands/names.js';
import { asCliError, CliError } from './errors.js';
import type { IO } from './term/io.js';
import { createOutput } from './term/output.js';

import packageJson from '../package.json' with { type: 'json' };

export { processIO } from './term/io.js';

export async function main(argv: string[], io: IO): Promise<number> {
  let exitCode = 0;
  let context: Context | undefined;
  let usageMessage: string | undefined;

  const program = new Command(PROGRAM.name)
    .description(PROGRAM.description)
    .version(packageJson.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
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
    .addHelpText('after', PROGRAM.help);

  const invoked = invokedCommand(argv);
  const entry = findCommand(invoked);
  let globalFlags: FlagDefinitions = GLOBAL_FLAGS;
  try {
    if (entry) {
      // A known command is the only one registered: building the others is most of commander's share of a run.
      const definition = await entry.load();
      globalFlags = globalsOf(definition);
      for (const flag of Object.values(globalFlags)) program.addOption(commanderOption(flag));
      addCommand(program, entry.summary, definition).action(async (...params: unknown[]) => {
        const self = params.at(-1);
        if (!(self instanceof Command))
          throw new CliError('INTERNAL', 'commander called the action without its command.');
        const parsed = self.optsWithGlobals();
        refuseBlankFlags(parsed, { ...globalFlags, ...definition.flags });
        const globals: GlobalFlags = flagValues(GLOBAL_FLAGS, withoutShadowed(parsed, globalFlags));
        const flags = flagValues(definition.flags ?? {}, self.opts());
        refuseSharedStdin(stdinReaders(definition, argumentValues(definition, self.processedArgs), flags));
        context = await createContext(io, globals, {
          flags,
          runCommand: main,
          // Only a command with the mutual-TLS flags presents a certificate: decode's --key is a verification key.
          mutualTls: 'keyPassphraseStdin' in (definition.flags ?? {}),
        });
        const args = argumentsWithoutUrlCredentials(context, argumentValues(definition, self.processedArgs));
        exitCode = await definition.run(args, withoutUrlCredentials(context, definition, flags), context);
      });
    } else {
      for (const flag of Object.values(GLOBAL_FLAGS)) program.addOption(commanderOption(flag));
      // Without one (`oauth --help`, a typo that needs suggestions) every command is there, by name and summary only.
      for (const { name, args, summary } of COMMANDS) {
        const command = program.command(name).summary(summary);
        for (const term of args ?? []) command.argument(term);
        // Reached only if commander found a command where invokedCommand found none: a bug to say, never a silent 0.
        command.action(() => {
          throw new CliError('INTERNAL', `The command "${name}" was not recognised in its arguments before it ran.`);
        });
      }
    }
    // commander answers `help <unknown>` with the program's help and exit 0; without the `help` word the unknown
    // command is the usage error (exit 2, with suggestions) that `oauth <unknown>` is.
    const help = helpIndex(argv);
    const parsed = help >= 0 && invoked !== undefined && !entry ? argv.filter((_, index) => index !== help) : argv;
    await program.parseAsync(parsed, { from: 'user' });
  } catch (error) {
    exitCode = await report(error, context, io, argv, usageMessage, 'json' in globalFlags);
  } finally {
    await context?.close().catch(() => undefined);
  }
  return exitCode;
}

/**
 * The global options a command takes: all but those it spells itself (curl's --json <data>, as curl spells it), which
 * are the command's in its runs.
 */
function globalsOf(definition: CommandDefinition): FlagDefinitions {
  const own = new Set(Object.values(definition.flags ?? {}).map((flag) => flagParts(flag).long));
  return Object.fromEntries(Object.entries(GLOBAL_FLAGS).filter(([, flag]) => !own.has(flagParts(flag).long)));
}

/** The parsed values without a command's own flag that has a global one's name, so the global one reads as not given. */
function withoutShadowed(parsed: Record<string, unknown>, globals: FlagDefinitions): Record<string, unknown> {
  const shadowed = Object.keys(GLOBAL_FLAGS).filter((key) => !(key in globals));
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => !shadowed.includes(key)));
}

/** Every URL the user gave loses its user:password@ before a command sees it (see Context.withoutUrlCredentials). */
function argumentsWithoutUrlCredentials(
  context: Context,
  args: ArgumentValues<ArgumentDefinitions>,
): ArgumentValues<ArgumentDefinitions> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(args))
    if (value !== undefined) clean[name] = context.withoutUrlCredentials(value, 'the command line');
  return clean;
}

/** Every URL in a flag loses its user:password@ too, but where the command audits it (check's redirect URIs). */
function withoutUrlCredentials(
  context: Context,
  definition: CommandDefinition,
  flags: FlagValues<FlagDefinitions>,
): FlagValues<FlagDefinitions> {
  const audited: ReadonlyArray<string> = definition.auditedUrlFlags ?? [];
  const clean: Record<string, FlagValues<FlagDefinitions>[string]> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (audited.includes(key)) {
      for (const item of [value].flat()) context.registerUrlCredentials(item);
      clean[key] = value;
      continue;
    }
    const flagDefinition = definition.flags?.[key];
    const origin = flagDefinition ? `--${flagParts(flagDefinition).long}` : key;
    clean[key] =
      typeof value === 'string'
        ? context.withoutUrlCredentials(value, origin)
        : Array.isArray(value)
          ? value.map((item) => context.withoutUrlCredentials(item, origin))
          : value;
  }
  return clean;
}

async function report(
  error: unknown,
  context: Context | undefined,
  io: IO,
  argv: string[],
  usageMessage: string | undefined,
  jsonErrors = true,
): Promise<number> {
  const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync'];
  if (error instanceof CommanderError && quiet.includes(error.code)) return 0;
  if (error instanceof CommanderError) {
    // An unknown command's help does not exist: point at the program's.
    const command = findCommand(invokedCommand(argv))?.name;
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
      json: jsonErrors && argv.includes('--json'),
      color: argv.includes('--no-color') ? false : undefined,
      debug: argv.includes('--debug') || io.env.OAUTH_DEBUG === '1',
      verbosity: 0,
    }));
  out.error(failure);
  return failure.exitCode;
}
