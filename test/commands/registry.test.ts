// The command registry and the definitions it loads: what `--help`, docs and completion are generated from.
import { describe, expect, it, vi } from 'vitest';
import { type FlagDefinition, flagParts } from '../../src/commands/define.js';
import { GLOBAL_FLAGS } from '../../src/commands/globals.js';
import { COMMANDS } from '../../src/commands/index.js';
import { COMMAND_NAMES, GLOBAL_OPTIONS_WITH_VALUES } from '../../src/commands/names.js';
import { runCli } from '../helpers/cli.js';

describe('the registry', () => {
  it('has the names the code cache tells commands by, and the global options that take values are those it skips', () => {
    expect(COMMANDS.map((entry) => entry.name)).toEqual([...COMMAND_NAMES]);
    const withValues = Object.values(GLOBAL_FLAGS).flatMap((definition) => {
      const parts = flagParts(definition);
      return parts.valueName === undefined ? [] : [`--${parts.long}`, ...(parts.short ? [`-${parts.short}`] : [])];
    });
    expect(new Set(withValues)).toEqual(GLOBAL_OPTIONS_WITH_VALUES);
  });

  it('loads, for each name, the definition of that command with the arguments the program help shows', async () => {
    for (const entry of COMMANDS) {
      const definition = await entry.load();
      expect(definition.name).toBe(entry.name);
      expect(Object.values(definition.args ?? {}).map((argument) => argument.term)).toEqual(entry.args ?? []);
    }
  });

  it('gives every flag a readable name, value name and, where it has them, its choices', async () => {
    for (const entry of COMMANDS) {
      const definition = await entry.load();
      const flags: FlagDefinition[] = [...Object.values(definition.flags ?? {}), ...Object.values(GLOBAL_FLAGS)];
      for (const flag of flags) {
        const parts = flagParts(flag);
        expect(parts.long, flag.flags).toMatch(/^[a-z0-9-]+$/);
        if (flag.kind === 'value' || flag.kind === 'list') expect(parts.valueName, flag.flags).toBeDefined();
        else expect(parts.valueName, flag.flags).toBeUndefined();
      }
    }
    const token = await COMMANDS.find((entry) => entry.name === 'token')!.load();
    expect(token.flags?.output).toMatchObject({ kind: 'value', choices: ['raw', 'json', 'header', 'human'] });
    expect(flagParts(token.flags!.output!)).toEqual({ short: 'o', long: 'output', valueName: 'format' });
  });
});

describe('help', () => {
  it('lists the global options in every command help, once, each described as in the program help', async () => {
    const program = (await runCli(['--help'])).stdout;
    for (const { name } of COMMANDS) {
      const help = (await runCli([name, '--help'])).stdout;
      expect(help, name).toContain('\nGlobal Options:\n');
      for (const flag of Object.values(GLOBAL_FLAGS)) {
        expect(help.split(`  ${flag.flags} `).length - 1, `${name}: ${flag.flags}`).toBe(1);
        expect(program, flag.flags).toContain(`  ${flag.flags} `);
      }
    }
  });

  it('wraps a description to the terminal once: its lines are broken only at the width, or where a line ends', async () => {
    for (const columns of [60, 100, 200]) {
      const { bufferIO } = await import('../../src/term/io-buffer.js');
      const { main } = await import('../../src/cli.js');
      const io = Object.assign(bufferIO(), { stdoutColumns: columns });
      expect(await main(['token', '--help'], io)).toBe(0);
      const description = io.out().split('\n\n')[1]!;
      const lines = description.split('\n');
      // Every line but the last is filled: the next word would not have fit.
      for (const [index, line] of lines.slice(0, -1).entries()) {
        const nextWord = lines[index + 1]!.split(' ')[0]!;
        expect(`${line} ${nextWord}`.length, `${columns}: ${line}`).toBeGreaterThan(columns);
      }
    }
  });

  it('oauth --help loads no command module', async () => {
    vi.resetModules();
    for (const { name } of COMMANDS)
      vi.doMock(`../../src/commands/${name}.js`, () => {
        throw new Error(`oauth --help loaded the ${name} command`);
      });
    try {
      const result = await runCli(['--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('decode [token]');
      // The mocks are in force: a command's own help does load its module.
      expect((await runCli(['decode', '--help'])).code).toBe(1);
    } finally {
      for (const { name } of COMMANDS) vi.doUnmock(`../../src/commands/${name}.js`);
      vi.resetModules();
    }
  });
});
