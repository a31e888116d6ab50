// How a command is written down: its help, arguments and flags as data, and a `run` whose arguments and flags are typed
// from that data. Commander parses (src/cli.ts builds it from these definitions); the definitions are also what a help,
// docs or shell-completion generator reads, so they stay plain data.
import type { Context } from './context.js';

interface FlagBase {
  /** As commander spells it: "--issuer <url>", "-o, --output <format>", "--no-browser". */
  readonly flags: string;
  readonly description: string;
  /** A value that is data, not a setting: empty is a value of its own (curl's -d '' sends an empty body). */
  readonly mayBeEmpty?: boolean;
}

/** A flag with a value: `--issuer <url>`. */
export interface ValueFlag extends FlagBase {
  readonly kind: 'value';
  /** The values it takes, for help and completion (the command checks them, with its own message). */
  readonly choices?: readonly string[];
}
/** A flag without a value: `--verify`; `--no-browser` is false when given. */
export interface SwitchFlag extends FlagBase {
  readonly kind: 'switch';
}
/** A flag with a value that may be given again: `--audience a --audience b`. */
export interface ListFlag extends FlagBase {
  readonly kind: 'list';
}
/** A flag counted each time it is given: `-vv`. */
export interface CountFlag extends FlagBase {
  readonly kind: 'count';
}
export type FlagDefinition = ValueFlag | SwitchFlag | ListFlag | CountFlag;
export type FlagDefinitions = Readonly<Record<string, FlagDefinition>>;

export const option = (
  flags: string,
  description: string,
  extra: { choices?: readonly string[]; mayBeEmpty?: boolean } = {},
): ValueFlag => ({
  kind: 'value',
  flags,
  description,
  ...extra,
});
export const flag = (flags: string, description: string): SwitchFlag => ({ kind: 'switch', flags, description });
export const repeatable = (flags: string, description: string, extra: { mayBeEmpty?: boolean } = {}): ListFlag => ({
  kind: 'list',
  flags,
  description,
  ...extra,
});
export const counted = (flags: string, description: string): CountFlag => ({ kind: 'count', flags, description });

type FlagValue<F extends FlagDefinition> = F extends ListFlag
  ? string[] | undefined
  : F extends CountFlag
    ? number | undefined
    : F extends SwitchFlag
      ? boolean | undefined
      : string | undefined;

/** What `run` gets for a set of flag definitions: each flag's value under the definition's key. */
export type FlagValues<F extends FlagDefinitions> = { readonly [K in keyof F]?: FlagValue<F[K]> };

/** A positional argument: `[token]` (optional) as commander spells it. */
export interface ArgumentDefinition {
  readonly term: string;
  readonly description: string;
}
export type ArgumentDefinitions = Readonly<Record<string, ArgumentDefinition>>;
export type ArgumentValues<A extends ArgumentDefinitions> = { readonly [K in keyof A]?: string };

type NoArguments = Readonly<Record<never, ArgumentDefinition>>;
type NoFlags = Readonly<Record<never, FlagDefinition>>;

export const argument = (term: string, description: string): ArgumentDefinition => ({ term, description });

export interface CommandDefinition<
  A extends ArgumentDefinitions = ArgumentDefinitions,
  F extends FlagDefinitions = FlagDefinitions,
> {
  readonly name: string;
  /** The help's paragraphs; a line break starts a new line, everything else is wrapped to the terminal. */
  readonly description?: string;
  readonly args?: A;
  readonly flags?: F;
  readonly examples?: readonly string[];
  /** The help's last paragraph: the command's exit codes (serve's says what its --json line holds). */
  readonly exits?: string;
  /**
   * Flags whose URLs are audited rather than called (check's redirect URIs): they keep their user:password@, which is
   * what the audit reports, and it is still registered as a secret, so nothing printed shows it.
   */
  readonly auditedUrlFlags?: ReadonlyArray<keyof F & string>;
  run(args: ArgumentValues<A>, flags: FlagValues<F>, ctx: Context): Promise<number>;
}

/** A command's definition, with `run`'s arguments and flags typed from `args` and `flags`. */
export function defineCommand<A extends ArgumentDefinitions = NoArguments, F extends FlagDefinitions = NoFlags>(
  definition: CommandDefinition<A, F>,
): CommandDefinition<A, F> {
  return definition;
}

/** Whether each value commander parsed is of the type its flag's definition says, before a command gets it. */
export function hasFlagTypes<F extends FlagDefinitions>(
  definitions: F,
  values: Readonly<Record<string, unknown>>,
): values is FlagValues<F> {
  return Object.entries(values).every(([key, value]) => {
    const kind = definitions[key]?.kind;
    if (value === undefined) return kind !== undefined;
    if (kind === 'value') return typeof value === 'string';
    if (kind === 'switch') return typeof value === 'boolean';
    if (kind === 'count') return typeof value === 'number';
    return kind === 'list' && Array.isArray(value) && value.every((item) => typeof item === 'string');
  });
}

/** A flag's parts, for help and completion generators: "-o, --output <format>" is o, output, format. */
export function flagParts(definition: FlagDefinition): { short?: string; long: string; valueName?: string } {
  const match = /^(?:-(\w), )?--([\w-]+)(?: [<[]([^>\]]+)[>\]])?$/.exec(definition.flags);
  if (!match) throw new Error(`Unreadable flag definition: ${definition.flags}`);
  const [, short, long, valueName] = match;
  return { long: long!, ...(short ? { short } : {}), ...(valueName ? { valueName } : {}) };
}

/** The help text after the options: the examples, then the exit codes. */
export function examplesText(examples: readonly string[], exits?: string): string {
  return `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}${exits ? `\n\n${exits}` : ''}`;
}
