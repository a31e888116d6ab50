// What tells which command a run runs: the commands' names, the global options whose next word is their value, and
// reading the arguments with them.
// The CLI (src/cli.ts) and the code cache (src/startup/code-cache.ts) both need them; the code cache is built into a
// file of its own that every run loads first, so this module imports nothing (the registry would bring every command).
// test/commands/registry.test.ts keeps these equal to the registry's names and the global flags.

export const COMMAND_NAMES = [
  'demo',
  'login',
  'register',
  'token',
  'status',
  'logout',
  'decode',
  'revoke',
  'introspect',
  'userinfo',
  'curl',
  'discover',
  'check',
  'serve',
  'mint',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/** Global options that take a value: the word after one is its value, never a command's name. */
export const GLOBAL_OPTIONS_WITH_VALUES: ReadonlySet<string> = new Set(['--timeout', '--ca-file', '--profile']);

/**
 * Where the words that are not options stand, as commander reads them: a global option that takes a value takes the
 * next word with it, and after `--` every word is one (`oauth -- decode x` runs decode).
 */
function operandIndexes(argv: string[]): number[] {
  const indexes: number[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      for (let rest = index + 1; rest < argv.length; rest++) indexes.push(rest);
      break;
    }
    if (GLOBAL_OPTIONS_WITH_VALUES.has(arg)) index++;
    // A lone "-" is a word to commander (stdin, by convention), not an option.
    else if (arg === '-' || !arg.startsWith('-')) indexes.push(index);
  }
  return indexes;
}

/** The command the arguments name (for `help <command>`, that command), or undefined for the program itself. */
export function invokedCommand(argv: string[]): string | undefined {
  const [first, second] = operandIndexes(argv).map((index) => argv[index]);
  return first === 'help' ? second : first;
}

/** Where `help` stands as the command word (`oauth help decode`), or -1. */
export function helpIndex(argv: string[]): number {
  const first = operandIndexes(argv)[0];
  return first !== undefined && argv[first] === 'help' ? first : -1;
}
