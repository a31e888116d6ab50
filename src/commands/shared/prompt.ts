// Asking the user on a terminal: only when stdin and stdout are terminals and CI is unset; prompts draw on stderr.
// Every prompt goes through `ask`, so each one ends the same way: an answer, a decision at the end of input (Ctrl-D),
// or exit 130 on Ctrl-C.
import { CliError } from '../../errors.js';
import type { Context } from '../context.js';

export function canPrompt(ctx: Context): boolean {
  return ctx.io.terminal !== undefined && ctx.io.stdinIsTTY && ctx.io.stdoutIsTTY && !ctx.io.env.CI;
}

/** Where @inquirer/prompts draws: stderr, so stdout stays the result. */
function promptContext(ctx: Context) {
  return { input: ctx.io.terminal!.input, output: ctx.io.terminal!.output, signal: ctx.io.signal };
}

type PromptContext = ReturnType<typeof promptContext>;
type Started<T> = Promise<T> & { cancel?: () => void };

/**
 * Runs a prompt. Ctrl-C (or the run's signal) is a cancel, exit 130. The end of input (Ctrl-D, a closed stdin) closes
 * the prompt's readline without an answer and @inquirer would wait for ever (the process then ends with 0, nothing
 * done): it is noticed as the input pausing or ending while the prompt is open, and `atEnd` decides.
 */
async function ask<T>(ctx: Context, start: (context: PromptContext) => Started<T>, atEnd: () => T): Promise<T> {
  const context = promptContext(ctx);
  const { input } = context;
  let open = true;
  let ended = false;
  const prompt = start(context);
  // A prompt that is answered pauses the input too, as it closes: by the next turn of the loop it has settled.
  const stopped = () =>
    setImmediate(() => {
      if (!open) return;
      ended = true;
      prompt.cancel?.();
    });
  input.on('pause', stopped);
  input.on('end', stopped);
  try {
    return await prompt;
  } catch (error) {
    if (ended) return atEnd();
    if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError'))
      throw cancelled();
    throw error;
  } finally {
    open = false;
    input.off('pause', stopped);
    input.off('end', stopped);
  }
}

const cancelled = () => new CliError('CANCELLED', 'Cancelled.');
const noAnswer = () => {
  throw new CliError('CANCELLED', 'Cancelled: the input ended without an answer.');
};

/** A yes/no question (default no); the end of input answers no. */
export async function askConfirm(ctx: Context, message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return ask(
    ctx,
    (context) => confirm({ message, default: false }, context),
    () => false,
  );
}

/** One of `choices`; the end of input cancels. */
export async function askChoice(
  ctx: Context,
  message: string,
  choices: ReadonlyArray<{ value: string; name: string }>,
): Promise<string> {
  const { select } = await import('@inquirer/prompts');
  return ask(ctx, (context) => select({ message, choices: [...choices] }, context), noAnswer);
}

/** A line of text (required); the end of input cancels. */
export async function askInput(ctx: Context, message: string): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return ask(ctx, (context) => input({ message, required: true }, context), noAnswer);
}

/** A secret, masked as it is typed; the end of input cancels. */
export async function askSecret(ctx: Context, message: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return ask(ctx, (context) => password({ message, mask: true }, context), noAnswer);
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
    const answer = (await askInput(ctx, `${label}:`)).trim();
    if (answer) return answer;
  }
  throw new CliError('MISSING_SETTING', `No ${label.charAt(0).toLowerCase()}${label.slice(1)} given.`, {
    hint: `Pass ${flagName} or set ${envName} (or sign in once with "oauth login" to save a profile).`,
  });
}
