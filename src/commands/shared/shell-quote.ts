// A value as one word of a command line a hint prints for the user to paste into a POSIX shell.
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
