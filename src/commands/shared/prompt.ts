// Asking the user on a terminal: only when stdin and stdout are terminals and CI is unset; prompts draw on stderr.
import { CliError } from '../../errors.js';
import type { Context } from '../context.js';

export function canPrompt(ctx: Context): boolean {
  return ctx.io.terminal !== undefined && ctx.io.stdinIsTTY && ctx.io.stdoutIsTTY && !ctx.io.env.CI;
}

/** Where @inquirer/prompts draws: stderr, so stdout stays the result. */
export function promptContext(ctx: Context) {
  return { input: ctx.io.terminal!.input, output: ctx.io.terminal!.output, signal: ctx.io.signal };
}

/**
 * A required setting: the value given (an argument), else the run's setting (flag > OAUTH_* > profile), else asked for
 * on a terminal, else a usage error naming both ways.
 */
export async function requireSetting(
  ctx: Context,
  name: 'issuer' | 'client_id',
  given: string | undefined,
  label: string,
): Promise<string> {
  const value = given || ctx.settings.get(name)?.value;
  if (value) return value;
  const flagName = `--${name.replace(/_/g, '-')}`;
  const envName = `OAUTH_${name.toUpperCase()}`;
  if (canPrompt(ctx)) {
    const { input } = await import('@inquirer/prompts');
    const answer = (await input({ message: `${label}:`, required: true }, promptContext(ctx))).trim();
    if (answer) return answer;
  }
  throw new CliError('MISSING_SETTING', `No ${label.charAt(0).toLowerCase()}${label.slice(1)} given.`, {
    hint: `Pass ${flagName} or set ${envName} (or sign in once with "oauth login" to save a profile).`,
  });
}
