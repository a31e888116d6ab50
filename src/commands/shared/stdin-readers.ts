// stdin is one stream a run reads once: the one place that decides which argument or flag gets it. Two that both want
// it (a "-" token, --client-secret-stdin, --key-passphrase-stdin, -d @-) would each take part of it, or the first would
// close it for the second, so they are refused before anything is read.
import { CliError } from '../../errors.js';
import { type CommandDefinition, type FlagDefinitions, type FlagValues, flagParts } from '../define.js';

/** Where a reader's value can come from instead of stdin. */
function alternative(reader: string): string {
  if (reader === '--client-secret-stdin') return 'the client secret from OAUTH_CLIENT_SECRET or --client-secret-file';
  if (reader === '--key-passphrase-stdin') return "--key's passphrase from OAUTH_KEY_PASSPHRASE";
  if (reader.endsWith('@-')) return `${reader.slice(0, -2)}@file for the body`;
  return `the token itself instead of ${reader.startsWith('"-"') ? '"-"' : reader}`;
}

/** The arguments and flags of a run that read stdin, as a user spells them. */
export function stdinReaders(
  definition: CommandDefinition,
  args: Readonly<Record<string, string | undefined>>,
  flags: FlagValues<FlagDefinitions>,
): string[] {
  const readers: string[] = [];
  for (const [name, value] of Object.entries(args)) if (value === '-') readers.push(`"-" (the ${name} from stdin)`);
  for (const [key, definition_] of Object.entries(definition.flags ?? {})) {
    const value = flags[key];
    const long = `--${flagParts(definition_).long}`;
    if (definition_.kind === 'switch' && long.endsWith('-stdin') && value === true) readers.push(long);
    const values = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    for (const item of values) if (item === '-' || item === '@-') readers.push(`${long} ${item}`);
  }
  return readers;
}

/** A usage error naming the first two readers of stdin, and where the others' values can come from instead. */
export function refuseSharedStdin(readers: readonly string[]): void {
  if (readers.length < 2) return;
  const [first, second] = readers;
  throw new CliError('USAGE', `${first} and ${second} both read stdin, which can be read only once.`, {
    hint: `Keep one on stdin and give the other another way: ${alternative(first!)}, or ${alternative(second!)}.`,
  });
}
