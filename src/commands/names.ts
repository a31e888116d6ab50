// What tells which command a run runs: the commands' names, and the global options whose next word is their value.
// The CLI (src/cli.ts) and the code cache (src/startup/code-cache.ts) both need them; the code cache is built into a
// file of its own that every run loads first, so this module imports nothing (the registry would bring every command).
// test/commands/registry.test.ts keeps these equal to the registry's names and the global flags.

export const COMMAND_NAMES = [
  'demo',
  'login',
  'token',
  'status',
  'logout',
  'decode',
  'revoke',
  'introspect',
  'userinfo',
  'discover',
  'check',
  'serve',
  'mint',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/** Global options that take a value: the word after one is its value, never a command's name. */
export const GLOBAL_OPTIONS_WITH_VALUES: ReadonlySet<string> = new Set(['--timeout', '--ca-file', '--profile']);
