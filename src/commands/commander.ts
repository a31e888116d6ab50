// A command's definition as commander's command: its arguments, options and help, and the values commander parsed read
// back as the definition's types.
import { type Command, Option } from 'commander';
import { CliError } from '../errors.js';
import {
  type ArgumentDefinitions,
  type ArgumentValues,
  type CommandDefinition,
  examplesText,
  type FlagDefinition,
  type FlagDefinitions,
  type FlagValues,
  flagParts,
  hasFlagTypes,
} from './define.js';

/** Where commander keeps a flag's value ("--no-browser": browser), worked out once per flag. */
const attributeNames = new WeakMap<FlagDefinition, string>();
function attributeName(definition: FlagDefinition): string {
  const known = attributeNames.get(definition);
  if (known !== undefined) return known;
  const name = new Option(definition.flags).attributeName();
  attributeNames.set(definition, name);
  return name;
}

/** A flag definition as commander's option: repeatable flags collect a list, counted ones count. */
export function commanderOption(definition: FlagDefinition): Option {
  const option = new Option(definition.flags, definition.description);
  attributeNames.set(definition, option.attributeName());
  if (definition.kind === 'list') option.argParser((value: string, previous: string[] = []) => [...previous, value]);
  if (definition.kind === 'count') option.argParser((_: string, previous: number) => previous + 1).default(0);
  return option;
}

/** Each flag's value under its definition's key, as commander parsed it, of the type its definition says. */
export function flagValues<F extends FlagDefinitions>(definitions: F, parsed: Record<string, unknown>): FlagValues<F> {
  const values: Record<string, unknown> = {};
  for (const [key, definition] of Object.entries(definitions)) {
    const value = parsed[attributeName(definition)];
    if (value !== undefined) values[key] = value;
  }
  if (!hasFlagTypes(definitions, values))
    throw new CliError('INTERNAL', 'commander parsed a flag of an unexpected type.');
  return values;
}

/** The command as commander's: its arguments, flags and help, the global options listed in its help too. */
export function addCommand(program: Command, summary: string, definition: CommandDefinition): Command {
  const command = program.command(definition.name).summary(summary).configureHelp({ showGlobalOptions: true });
  if (definition.description) command.description(definition.description);
  for (const { term, description } of Object.values(definition.args ?? {})) command.argument(term, description);
  for (const flag of Object.values(definition.flags ?? {})) command.addOption(commanderOption(flag));
  if (definition.examples) command.addHelpText('after', examplesText(definition.examples, definition.exits));
  return command;
}

/**
 * A flag given with an empty or blank value (--timeout '', --audience " ") is a mistake to say, not a flag to drop:
 * dropped, the environment's, the profile's or the default value would apply in its place unannounced. (An empty
 * environment variable, by contrast, is unset: that is how a variable is cleared for one command.)
 */
export function refuseBlankFlags(parsed: Record<string, unknown>, definitions: FlagDefinitions): void {
  for (const definition of Object.values(definitions)) {
    if (definition.mayBeEmpty) continue;
    const value = parsed[attributeName(definition)];
    if (![value].flat().some((item) => typeof item === 'string' && item.trim() === '')) continue;
    const flag = `--${flagParts(definition).long}`;
    throw new CliError('USAGE', `${flag} was given an empty value.`, {
      hint: `Give ${flag} a value, or leave it out.`,
    });
  }
}

/** The arguments under their definitions' names, as commander parsed them. */
export function argumentValues(
  definition: CommandDefinition,
  processed: readonly unknown[],
): ArgumentValues<ArgumentDefinitions> {
  const values: Record<string, string> = {};
  Object.keys(definition.args ?? {}).forEach((name, index) => {
    const value = processed[index];
    if (typeof value === 'string') values[name] = value;
  });
  return values;
}
