// Which command a run names, as commander reads the arguments: the one module loaded and run is that one, never a
// stand-in that does nothing.
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('the command a run names', () => {
  it.each([
    [['--', 'decode', 'x']],
    [['--json', '--', 'decode', 'x']],
    [['--timeout', '5', '--', 'decode', 'x']],
    [['--profile', 'work', 'decode', 'x']],
    [['decode', '--', 'x']],
  ])('%j runs decode, which refuses the malformed token (exit 2)', async (argv) => {
    const result = await runCli(argv);
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).toContain('TOKEN_MALFORMED');
  });

  it('a command after "--" that needs a sign-in says so (exit 4), it does not end quietly', async () => {
    const result = await runCli(['--', 'token']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('error[NOT_LOGGED_IN]');
  });

  it.each([[['help', '--profile', 'x', 'decode']], [['help', '--timeout', '5', 'decode']], [['help', '--', 'decode']]])(
    '%j shows the help of decode, not of a command named after a flag value',
    async (argv) => {
      const result = await runCli(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: oauth decode');
    },
  );

  it('an unknown command is a usage error (exit 2), with or without "help", pointing at the program\'s help', async () => {
    const cases: Array<[string[], string]> = [
      [['nope'], 'nope'],
      [['help', 'nope'], 'nope'],
      [['--profile', 'x', 'nope'], 'nope'],
      // A lone "-" is a word (stdin, by convention): the command it stands in place of.
      [['-', 'decode'], '-'],
      [['help', '-', 'decode'], '-'],
    ];
    for (const [argv, unknown] of cases) {
      const result = await runCli(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(`unknown command '${unknown}'`);
      expect(result.stderr).toContain('Run "oauth --help" for usage.');
    }
  });
});
